/**
 * An attacker's review of the process bound of bubblewrap sessions
 * (lib/sandbox/process_limit.ts), with real processes.
 *
 * Run as root, a session goes into a pids cgroup of its own. An administrator may already
 * bound this program (a service's `TasksMax`, a parent group's `pids.max`): the session's
 * group must sit inside the program's own group, so that bound still holds for code. Were it
 * made at the hierarchy's root, a fork bomb would leave the administrator's bound behind.
 * The control: outside the administrator's group, the same bomb starts every process.
 *
 * Code inside a bounded session tries to leave the bound first: raise its process limit
 * (setrlimit), write itself into the root pids group, or into any group it can find; then
 * forks. The bound holds. The control: the same code in a session with no bound starts every
 * process, and the sandboxed code did try (each attempt's error is printed).
 */
import { join } from "node:path";
import { Computer } from "../lib/computer/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { repoModule } from "./helpers/deno_child.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const V1_PIDS = "/sys/fs/cgroup/pids";
const FORKS = 120;
const OUTER_MAX = 60;

/** A program running a session (bound 1024) with a fork bomb of FORKS; prints STARTED n. */
const SESSION = `
import { Computer } from ${JSON.stringify(repoModule("lib/computer/mod.ts"))};
import { defaultPermissions } from ${JSON.stringify(repoModule("lib/sandbox/defaults.ts"))};
const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "oi-pids-rt-" }));
const computer = new Computer({
  cwd: work, timeout: 60, maxProcesses: 1024, permissions: defaultPermissions({ cwd: work }),
});
const code = \`import os
r, w = os.pipe()
n = 0
try:
    for _ in range(${FORKS}):
        if os.fork() == 0:
            os.close(w)
            os.read(r, 1)
            os._exit(0)
        n += 1
except OSError:
    pass
os.close(w)  # every child ends at once: the bound is full for a moment only
try:
    while True:
        os.wait()
except ChildProcessError:
    pass
print("STARTED", n)\`;
try {
  const out = await computer.run("python", code);
  console.log(out.map((m) => String(m.content ?? "")).join(""));
} finally {
  await computer.terminate();
  await Deno.remove(work, { recursive: true });
}
`;

/** Runs SESSION in a process that first joins `group` (a cgroup folder), if given. */
async function session(group?: string): Promise<number> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(script, SESSION);
  try {
    const join = group ? `echo $$ > "${group}/cgroup.procs" && ` : "";
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", `${join}exec "$0" run -A "$1"`, Deno.execPath(), script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const n = Number(/STARTED (\d+)/.exec(text)?.[1]);
    assert(Number.isInteger(n), text + new TextDecoder().decode(out.stderr));
    return n;
  } finally {
    await Deno.remove(script);
  }
}

Deno.test({
  name:
    "sandbox redteam: run as root, a session's cgroup stays inside the program's own pids bound",
  ignore: Deno.uid() !== 0 || !isV1(),
  async fn() {
    const outer = join(V1_PIDS, `oi-redteam-admin-${crypto.randomUUID().slice(0, 8)}`);
    Deno.mkdirSync(outer);
    try {
      Deno.writeTextFileSync(join(outer, "pids.max"), String(OUTER_MAX));
      // The program's bound: the session's code stays under it.
      const n = await session(outer);
      assert(n < OUTER_MAX, `started ${n} processes past the administrator's bound ${OUTER_MAX}`);
      // Control: outside that group the same bomb starts every process.
      assertEquals(await session(), FORKS);
    } finally {
      // Its session groups are gone with their sessions (the host removes them when empty).
      for (let i = 0; i < 50; i++) {
        try {
          Deno.removeSync(outer);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  },
});

function isV1(): boolean {
  try {
    Deno.readTextFileSync("/sys/fs/cgroup/cgroup.subtree_control");
    return false;
  } catch {
    try {
      return Deno.statSync(join(V1_PIDS, "cgroup.procs")).isFile;
    } catch {
      return false;
    }
  }
}

const LEAVE_THEN_BOMB = `import os, resource, glob
try:
    resource.setrlimit(resource.RLIMIT_NPROC, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    print("RAISED")
except (OSError, ValueError) as e:
    print("setrlimit refused", type(e).__name__)
for procs in ["/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs"] + glob.glob("/sys/fs/cgroup/*/cgroup.procs"):
    try:
        open(procs, "w").write(str(os.getpid()))
        print("MOVED", procs)
    except OSError as e:
        print("move refused", procs, type(e).__name__)
r, w = os.pipe()
n = 0
try:
    for _ in range(${FORKS}):
        if os.fork() == 0:
            os.close(w)
            os.read(r, 1)
            os._exit(0)
        n += 1
except OSError:
    pass
os.close(w)
try:
    while True:
        os.wait()
except ChildProcessError:
    pass
print("STARTED", n)`;

async function bombIn(maxProcesses: number): Promise<string> {
  const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "oi-pids-rt-" }));
  const computer = new Computer({
    cwd: work,
    timeout: 60,
    maxProcesses,
    permissions: defaultPermissions({ cwd: work }),
  });
  try {
    const out = await computer.run("python", LEAVE_THEN_BOMB);
    return out.map((m) => String(m.content ?? "")).join("");
  } finally {
    await computer.terminate();
    await Deno.remove(work, { recursive: true });
  }
}

Deno.test("sandbox redteam: code cannot raise or leave its session's process bound", async () => {
  const out = await bombIn(32);
  assert(!out.includes("RAISED"), out);
  assert(!out.includes("MOVED"), out);
  assert(out.includes("setrlimit refused") || Deno.uid() === 0, out); // root: prlimit has no hold
  const n = Number(/STARTED (\d+)/.exec(out)?.[1]);
  assert(n >= 0 && n < 32, `started ${n} processes under a bound of 32: ${out}`);
  // Control: with no bound, the same code starts every process.
  const free = await bombIn(0);
  assertEquals(Number(/STARTED (\d+)/.exec(free)?.[1]), FORKS, free);
});
