/**
 * A closed terminal (tmux kill-session: SIGHUP) or `kill -HUP` / `kill -TERM`
 * against the real program while its code is running: the code's processes
 * end, the session temp folders are removed, the conversation is saved, and
 * the program exits with 129 (SIGHUP) or 143 (SIGTERM).
 */
import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { processesWith, waitGone, waitUntil } from "./helpers/computer_helpers.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand, modelArgs } from "./helpers/terminal_cli.ts";
import { hasTmux, TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("cli signal test in tmux skipped: tmux is not installed");
const hasPython = await new Deno.Command("python3", { args: ["-c", "1"] }).output().then(
  (o) => o.success,
  () => false,
);
if (!hasPython) console.log("cli signal tests skipped: python3 is not installed");

interface Dirs {
  root: string;
  home: string;
  work: string;
  tmp: string;
}

async function makeDirs(): Promise<Dirs> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-signals-test-" }));
  const dirs = { root, home: join(root, "home"), work: join(root, "work"), tmp: join(root, "tmp") };
  for (const d of [dirs.home, dirs.work, dirs.tmp]) await Deno.mkdir(d);
  return dirs;
}

/** A python turn that marks it started, then runs a `sleep` that only a cleanup would end. */
function longCode(marker: string): string {
  return `import subprocess\nopen('started.txt', 'w').write('1')\nsubprocess.run(['sleep', '${marker}'])`;
}

/** A fake model whose first answer runs {@link longCode}; the program's flags that point at it. */
function longJobModel(
  marker: string,
): { fake: ReturnType<typeof startFakeOpenAI>; args: string[] } {
  const fake = startFakeOpenAI({
    script: [{ toolCalls: [{ language: "python", code: longCode(marker) }] }, { text: "done" }],
  });
  return { fake, args: [...modelArgs(fake.url, "sk-signal-test-key-0123456789"), "-y"] };
}

function uniqueSleep(): string {
  return (900 + Math.floor(Math.random() * 90_000) / 1000).toFixed(3);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...filesUnder(p));
    else if (e.isFile) out.push(p);
  }
  return out;
}

/** What must hold after the program was ended by a signal. */
async function assertCleanedUp(dirs: Dirs, sleepMarker: string, said: string): Promise<void> {
  assertEquals(await waitGone(processesWith(sleepMarker), 10_000), [], "the code's sleep ended");
  // The sandbox's shared private root (one per user) stays; each session's folder in it goes.
  const left = [...Deno.readDirSync(dirs.tmp)].map((e) => e.name)
    .filter((n) => !/^interpreter-sandbox-\w+$/.test(n) || filesUnder(join(dirs.tmp, n)).length);
  assertEquals(left, [], "session temp folders removed");
  for (const n of Deno.readDirSync(dirs.tmp)) {
    assertEquals([...Deno.readDirSync(join(dirs.tmp, n.name))].length, 0, `${n.name} is empty`);
  }
  const saved = filesUnder(dirs.home).filter((f) => Deno.readTextFileSync(f).includes(said));
  assert(saved.length > 0, "the conversation was saved");
}

for (const [signal, status] of [["SIGHUP", 129], ["SIGTERM", 143]] as const) {
  Deno.test({
    name: `cli: kill -${
      signal.slice(3)
    } while code runs ends the sessions, cleans /tmp, saves, exits ${status}`,
    ignore: !hasPython,
    async fn() {
      const dirs = await makeDirs();
      const marker = uniqueSleep();
      const said = `run the long job ${crypto.randomUUID()}`;
      const { fake, args } = longJobModel(marker);
      const argv = cliCommand([...args, said]);
      const child = new Deno.Command(argv[0], {
        args: argv.slice(1),
        env: { INTERPRETER_HOME: dirs.home, TMPDIR: dirs.tmp, NO_COLOR: "1" },
        cwd: dirs.work,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      try {
        const started = await waitUntil(
          () => processesWith(marker).length > 0,
          60_000,
        );
        assert(started, "the code started");
        child.kill(signal);
        const out = await child.output();
        const stderr = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, status, stderr);
        await assertCleanedUp(dirs, marker, said);
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* ended */ }
        await child.status;
        await fake.close();
        await Deno.remove(dirs.root, { recursive: true }).catch(() => {});
      }
    },
  });
}

Deno.test({
  name: "cli: closing the tmux session (SIGHUP) while code runs leaves no process or folder",
  ignore: !TMUX || !hasPython,
  async fn() {
    const dirs = await makeDirs();
    const marker = uniqueSleep();
    const said = `run the long job ${crypto.randomUUID()}`;
    const { fake, args } = longJobModel(marker);
    const term = await TmuxSession.start({
      command: cliCommand(args),
      env: { INTERPRETER_HOME: dirs.home, TMPDIR: dirs.tmp, TERM: "xterm-256color" },
      cwd: dirs.work,
      width: 100,
      height: 30,
    });
    try {
      await term.waitFor(/^>\s*$/m);
      const cli = processesWith(fake.url);
      assert(cli.length > 0, "the program is running");
      await term.line(said);
      assert(await waitUntil(() => processesWith(marker).length > 0, 60_000), "the code started");
      const killed = await new Deno.Command("tmux", {
        args: ["-L", term.socket, "kill-session", "-t", "main"],
      }).output();
      assert(killed.success, "tmux kill-session");
      assertEquals(await waitGone(cli, 15_000), [], "the program ended");
      await assertCleanedUp(dirs, marker, said);
    } finally {
      await term.close();
      await fake.close();
      await Deno.remove(dirs.root, { recursive: true }).catch(() => {});
    }
  },
});
