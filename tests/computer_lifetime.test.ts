/**
 * Sessions never outlive the program that started them: a library script
 * that just ends (no terminate()) exits at once and leaves nothing running;
 * one killed without any chance to clean up (SIGKILL, or a plain SIGTERM
 * with no handler) takes its sessions with it (parent-death signal, and
 * bubblewrap's --die-with-parent). Checked with real processes and /proc.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { processAlive, textOf, waitGone, withComputer } from "./helpers/computer_helpers.ts";
import { hostPids, PYTHON_TOKEN, SANDBOX_MODES, tokenIn } from "./helpers/session_pids.ts";

const SCRIPT = new URL("./helpers/computer_script.ts", import.meta.url).pathname;
const BOUND_MS = 60_000;

interface ScriptState {
  leaders: number[];
  children: number[];
  tmp: string;
  /** Children of the runs still going when the script is killed (`wait`). */
  busy: number[];
}

/** Starts the library script and resolves once it printed its state (bounded). */
async function startScript(mode: string, end: string) {
  const home = await Deno.makeTempDir({ prefix: "lifetime-test-" });
  // The script is SIGKILLed on purpose: its session folders go in here, removed with `home`.
  const tmp = `${home}/tmp`;
  await Deno.mkdir(tmp);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", SCRIPT, mode, end, home],
    cwd: home,
    env: { INTERPRETER_HOME: home, TMPDIR: tmp },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), BOUND_MS);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let state: ScriptState | undefined;
  while (!state) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const line = text.match(/^STATE (.*)$/m)?.[1];
    const busy = text.match(/^BUSY (.*)$/m)?.[1];
    if (line && (end !== "wait" || busy)) {
      state = { ...JSON.parse(line), busy: busy ? JSON.parse(busy) : [] };
    }
  }
  // The rest of stdout is drained so the script never blocks on a full pipe.
  const rest = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  const stderr = new Response(child.stderr).text();
  const finish = async () => {
    const status = await child.status;
    clearTimeout(timer);
    await rest;
    const err = await stderr;
    await Deno.remove(home, { recursive: true }).catch(() => {});
    return { status, stderr: err };
  };
  if (!state) {
    const { stderr: err } = await finish();
    throw new Error(`the script printed no state:\n${text}\n${err}`);
  }
  return { child, state, finish };
}

for (const { name, options: _, sandboxed } of SANDBOX_MODES) {
  const mode = sandboxed ? "default" : "allow";

  for (const end of ["end", "exit"]) {
    Deno.test(`lifetime: a script that ${end === "end" ? "just ends" : "calls Deno.exit()"} without terminate() exits and leaves no process or folder, ${name}`, async () => {
      const { state, finish } = await startScript(mode, end);
      const { status, stderr } = await finish();
      assertEquals(status.code, 0, `exited by itself (not by the test's bound): ${stderr}`);
      const all = [...state.leaders, ...state.children];
      assertEquals(all.length, 4);
      assertEquals(await waitGone(all), [], "sessions and their background jobs are gone");
      assert(state.tmp, "the session temp folder was printed");
      let exists = true;
      try {
        Deno.statSync(state.tmp);
      } catch {
        exists = false;
      }
      assert(!exists, `the session temp folder ${state.tmp} was removed`);
    });
  }

  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    Deno.test(`lifetime: sessions die with a script killed by ${signal} (no cleanup ran), ${name}`, async () => {
      const { child, state, finish } = await startScript(mode, "wait");
      try {
        const jobs = [...state.children, ...state.busy];
        assertEquals(jobs.length, 3);
        assert([...state.leaders, ...jobs].length > 0, "the list checked below is not empty");
        assert([...state.leaders, ...jobs].every(processAlive), "all run first");
        child.kill(signal);
        // The session processes die with their parent (setpriv --pdeathsig, prctl);
        // under bubblewrap the whole PID namespace ends, background jobs included.
        assertEquals(await waitGone(state.leaders), [], "the sessions are gone");
        // Sandboxed: the PID namespace ends; unsandboxed: the session's watchdog ends them.
        assertEquals(await waitGone(jobs), [], "and the processes the code started");
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* already ended */ }
        await finish();
        // Unsandboxed, the processes the code started outlive a killed session (they are
        // reparented; only a normal exit ends them): this test started them, so it ends them.
        for (const pid of [...state.children, ...state.busy]) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* gone */ }
        }
      }
    });
  }
}

Deno.test("lifetime: the parent-death signal does not fire early: a session survives many runs and an idle spell with other async work", async () => {
  for (const { options } of SANDBOX_MODES) {
    await withComputer(options, async (computer) => {
      const first = textOf(
        await computer.run("python", `${PYTHON_TOKEN}\nimport os\nprint('PID', os.getpid())`),
      );
      const token = tokenIn(first)!;
      const [pid] = await hostPids([Number(first.match(/PID (\d+)/)![1])], token);
      for (let i = 0; i < 40; i++) await computer.run("python", `n = ${i}`);
      // Idle for 3 s while other work happens: processes spawned and awaited, timers, I/O.
      const until = Date.now() + 3_000;
      while (Date.now() < until) {
        await new Deno.Command("true").output();
        await Deno.readTextFile("/proc/self/status");
        await new Promise((r) => setTimeout(r, 100));
      }
      assert(processAlive(pid), "the session process is still alive");
      const last = textOf(
        await computer.run("python", `${PYTHON_TOKEN}\nimport os\nprint('PID', os.getpid(), n)`),
      );
      assertEquals(tokenIn(last), token);
      assertEquals(await hostPids([Number(last.match(/PID (\d+)/)![1])], token), [pid]);
      assert(last.includes(" 39\n"), `the state is kept: ${last}`);
    });
  }
});
