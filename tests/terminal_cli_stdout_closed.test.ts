/**
 * `interpreter -y "…" | head -1`: the reader of standard output goes away while
 * the answer (or the code's output) is still being written. The program must
 * not die with an uncaught BrokenPipe stack trace: it ends as a SIGPIPE would
 * (status 141), after the same cleanup as a signal (the code's processes end,
 * the conversation is saved). Control: with the reader kept open, the same run
 * ends normally (0), so the test sees the difference.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { processesWith, waitGone } from "./helpers/computer_helpers.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand, modelArgs } from "./helpers/terminal_cli.ts";
import { removeDir } from "./helpers/terminal_tmux.ts";

const hasPython = await new Deno.Command("python3", { args: ["-c", "1"] }).output().then(
  (o) => o.success,
  () => false,
);
if (!hasPython) console.log("stdout-closed tests skipped: python3 is not installed");

/** Python that starts a marked `sleep`, then prints `lines` numbered lines, one every 100 ms. */
function printingCode(marker: string, lines: number): string {
  return `import subprocess, time\nsubprocess.Popen(['sleep', '${marker}'])\n` +
    `for i in range(${lines}):\n    print('line', i, flush=True); time.sleep(0.1)`;
}

function savedWith(dir: string, text: string): boolean {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory && savedWith(p, text)) return true;
    if (e.isFile && Deno.readTextFileSync(p).includes(text)) return true;
  }
  return false;
}

/**
 * Runs the program with its stdout piped; reads until `stopAt` shows (then
 * closes the pipe) or to the end when `stopAt` is undefined. Returns the exit
 * status and stderr.
 */
async function runReadingUntil(
  args: string[],
  home: string,
  stopAt: string | undefined,
): Promise<{ code: number; stderr: string; seen: string }> {
  const [cmd, ...rest] = cliCommand(args);
  const child = new Deno.Command(cmd, {
    args: rest,
    env: { INTERPRETER_HOME: home, NO_COLOR: "1" },
    cwd: home,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const stderr = new Response(child.stderr).text();
  let seen = "";
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    if (stopAt !== undefined && seen.includes(stopAt)) {
      await reader.cancel(); // the reader leaves, as `head` does
      break;
    }
  }
  const { code } = await child.status;
  clearTimeout(killer);
  return { code, stderr: await stderr, seen };
}

for (const json of [false, true]) {
  Deno.test({
    name: `cli: stdout closed by its reader${json ? " (--json)" : ""} ends with 141, cleaned up`,
    ignore: !hasPython,
    sanitizeResources: false,
    fn: async () => {
      const marker = (700 + Math.floor(Math.random() * 90_000) / 1000).toFixed(3);
      const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-stdout-closed-" }));
      const fake = startFakeOpenAI({
        script: [
          { toolCalls: [{ language: "python", code: printingCode(marker, 600) }] },
          { text: "done" },
        ],
      });
      try {
        const args = [...modelArgs(fake.url), "-y", ...(json ? ["--json"] : []), "print lines"];
        const run = await runReadingUntil(args, home, "line 3");
        assert(
          !/Uncaught|BrokenPipe|Broken pipe/.test(run.stderr),
          `no stack trace:\n${run.stderr}`,
        );
        assertEquals(run.code, 141, `stderr:\n${run.stderr}`);
        assertEquals(await waitGone(processesWith(marker), 10_000), [], "the code's sleep ended");
        assert(savedWith(home, "print lines"), "the conversation was saved");
      } finally {
        await fake.close();
        await removeDir(home);
      }
    },
  });
}

Deno.test({
  name: "cli: control: the same run read to its end exits 0",
  ignore: !hasPython,
  sanitizeResources: false,
  fn: async () => {
    const marker = (700 + Math.floor(Math.random() * 90_000) / 1000).toFixed(3);
    const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-stdout-closed-" }));
    const fake = startFakeOpenAI({
      script: [
        { toolCalls: [{ language: "python", code: printingCode(marker, 5) }] },
        { text: "all done" },
      ],
    });
    try {
      const run = await runReadingUntil(
        [...modelArgs(fake.url), "-y", "print lines"],
        home,
        undefined,
      );
      assertEquals(run.code, 0, `stderr:\n${run.stderr}`);
      assert(run.seen.includes("line 4") && run.seen.includes("all done"), run.seen);
      // The Popen'd sleep is the code's own: the session end stops it too.
      assertEquals(await waitGone(processesWith(marker), 10_000), []);
    } finally {
      await fake.close();
      await removeDir(home);
    }
  },
});

Deno.test("cli: every exit status is listed in --help and in the README's table", async () => {
  const { ExitCode } = await import("../lib/terminal/exit_codes.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cliCommand([])[3], "--help"],
    stdout: "piped",
  }).output();
  const help = new TextDecoder().decode(out.stdout).replaceAll("\n", " ");
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const [name, status] of Object.entries(ExitCode)) {
    assert(new RegExp(`[ ,]${status} [a-z]`).test(help), `--help names status ${status} (${name})`);
    assert(new RegExp(`^\\| ${status} +\\|`, "m").test(readme), `README lists ${status} (${name})`);
  }
});
