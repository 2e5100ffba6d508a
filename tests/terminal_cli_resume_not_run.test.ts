/**
 * `--conversations` draws a saved conversation again. Code that was never run
 * (Ctrl-C at the approval question, or declined) is marked "(not run)", so
 * the person does not take it for code that ran and printed nothing. Control:
 * code that ran shows its output and no such mark.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, startCliInTmux } from "./helpers/terminal_cli.ts";
import { hasTmux, removeDir } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("resume tests skipped: tmux is not installed");
const hasPython = await new Deno.Command("python3", { args: ["-c", "1"] }).output().then(
  (o) => o.success,
  () => false,
);

Deno.test({
  name: "resume: code stopped at the approval question is shown as not run",
  ignore: !TMUX || !hasPython,
  sanitizeResources: false,
  fn: async () => {
    const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-resume-" }));
    const fake = startFakeOpenAI({
      script: [
        { toolCalls: [{ language: "python", code: "print('ran', 6 * 7)" }] },
        { text: "first done" },
        { toolCalls: [{ language: "python", code: "print('never', 1)" }] },
      ],
    });
    const start = (args: string[]) =>
      startCliInTmux([...modelArgs(fake.url), ...args], { home, height: 40 });
    let term = await start([]);
    try {
      await term.waitFor(/^>\s*$/m, { timeoutMs: 60_000 });
      await term.line("first");
      await term.waitFor("(y/n/e/a)");
      await term.line("y");
      await term.waitFor("first done");
      await term.line("second");
      await term.waitFor("(y/n/e/a)", { count: 2 });
      await term.keys("C-c");
      await term.waitFor(/\(interrupted\)\n>\s*$/m);
      assertEquals(await term.exitWithCtrlD(), 0);
      await term.close();

      term = await start(["--conversations"]);
      await term.waitFor("Resume which one?", { timeoutMs: 60_000 });
      await term.line("1");
      const screen = await term.waitFor(/^>\s*$/m);
      const rows = screen.split("\n");
      const ran = rows.findIndex((r) => r.includes("print('ran', 6 * 7)"));
      const never = rows.findIndex((r) => r.includes("print('never', 1)"));
      assert(ran >= 0 && never > ran, screen);
      // Control: the code that ran shows its output, and no mark before the next message.
      const afterRan = rows.slice(ran, never).join("\n");
      assert(afterRan.includes("ran 42") && !afterRan.includes("(not run)"), afterRan);
      assert(rows.slice(never).some((r) => r.trim() === "(not run)"), screen);
    } finally {
      await term.close();
      await fake.close();
      await removeDir(home);
    }
  },
});
