/**
 * A session's processes are bounded (`maxProcesses`, lib/sandbox/process_limit.ts): a fork
 * bomb stops inside its session, the session itself keeps working, and the person's other
 * processes do not count against it. Run as root (a cgroup's pids.max) and, in CI, again as
 * an unprivileged user (prlimit in the session's user namespace). The control: with no bound
 * the same code starts every process it asks for.
 */
import { Computer } from "../lib/computer/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const FORKS = 200;
const BOMB = `import os, time
n = 0
try:
    for _ in range(${FORKS}):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        n += 1
except OSError:
    pass
print("STARTED", n)
try:
    while True:
        os.wait()
except ChildProcessError:
    pass`;

function started(messages: { content?: unknown }[]): number {
  const text = messages.map((m) => String(m.content ?? "")).join("");
  const n = Number(/STARTED (\d+)/.exec(text)?.[1]);
  assert(Number.isInteger(n), text);
  return n;
}

async function withComputer(
  maxProcesses: number,
  fn: (computer: Computer) => Promise<void>,
): Promise<void> {
  const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "oi-pids-" }));
  const computer = new Computer({
    cwd: work,
    timeout: 60,
    maxProcesses,
    permissions: defaultPermissions({ cwd: work }),
  });
  try {
    await fn(computer);
  } finally {
    await computer.terminate();
    await Deno.remove(work, { recursive: true });
  }
}

Deno.test("sandbox: a fork bomb stops at the session's process bound; the session keeps working", async () => {
  await withComputer(64, async (computer) => {
    const n = started(await computer.run("python", BOMB));
    assert(n > 0 && n < 64, `started ${n} processes under a bound of 64`);
    // The session survives its own bomb.
    const after = await computer.run("python", "print('alive')");
    assertEquals(after.map((m) => m.content).join(""), "alive\n");
  });
  // Control: without a bound, every fork happens.
  await withComputer(0, async (computer) => {
    assertEquals(started(await computer.run("python", BOMB)), FORKS);
  });
});

Deno.test("sandbox: the person's other processes do not count against a session's bound", async () => {
  // 80 processes of this user outside any session, more than the session's bound of 64.
  const sleepers = Array.from(
    { length: 80 },
    () => new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" }).spawn(),
  );
  try {
    await withComputer(64, async (computer) => {
      const out = await computer.run("python", "import os\nprint('pid', os.getpid() > 0)");
      assertEquals(out.map((m) => m.content).join(""), "pid True\n");
    });
  } finally {
    for (const s of sleepers) {
      s.kill("SIGKILL");
      await s.status;
    }
  }
});

Deno.test({
  name: "sandbox: run as root, a session's cgroup is removed once the session has ended",
  ignore: Deno.uid() !== 0,
  async fn() {
    // A process of the session the host can find by its arguments, and the group it is in.
    const marker = String(600000 + Math.floor(Math.random() * 99999));
    const groupOf = (): string | undefined => {
      for (const entry of Deno.readDirSync("/proc")) {
        if (!/^\d+$/.test(entry.name)) continue;
        try {
          const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
          if (cmdline !== `sleep\0${marker}\0`) continue;
          const line = Deno.readTextFileSync(`/proc/${entry.name}/cgroup`).split("\n")
            .find((l) => /^\d+:pids:/.test(l) || l.startsWith("0::"));
          return line?.split(":").slice(2).join(":");
        } catch { /* gone */ }
      }
      return undefined;
    };
    let group: string | undefined;
    await withComputer(64, async (computer) => {
      await computer.run("python", `import subprocess\nsubprocess.Popen(["sleep", "${marker}"])`);
      // Popen returns before its child has exec'd `sleep`: wait for it (bounded).
      for (let i = 0; i < 100 && !group; i++) {
        group = groupOf();
        if (!group) await new Promise((r) => setTimeout(r, 50));
      }
      assert(group?.includes("interpreter-session-"), `the session's group: ${group}`);
    });
    // A group still ending its processes at close goes when the next session starts.
    await withComputer(64, async (computer) => {
      await computer.run("python", "print(1)");
    });
    const path = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"].map((root) => root + group)
      .find((p) => p.includes("interpreter-session-"))!;
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      gone = [`/sys/fs/cgroup/pids${group}`, `/sys/fs/cgroup${group}`].every((p) => {
        try {
          Deno.statSync(p);
          return false;
        } catch {
          return true;
        }
      });
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    assert(gone, `${path} was removed`);
  },
});
