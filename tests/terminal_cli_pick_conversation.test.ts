/**
 * `--conversations` asks which saved conversation to resume. A number that is
 * not in the list is said and asked again (it used to exit 0 without a word);
 * Ctrl-C at the question exits 130 (interrupted), as Ctrl-C does elsewhere;
 * Enter cancels (exit 0). Control: a valid number resumes that conversation.
 */
import { assertEquals } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, runCli, startCliInTmux } from "./helpers/terminal_cli.ts";
import { hasTmux, removeDir, type TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("conversation picker tests skipped: tmux is not installed");

Deno.test({
  name: "pick: a wrong number is said and asked again; Ctrl-C exits 130; a right one resumes",
  ignore: !TMUX,
  sanitizeResources: false,
  fn: async () => {
    const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-pick-" }));
    const fake = startFakeOpenAI({ script: [{ text: "first answer" }, { text: "second answer" }] });
    const start = () =>
      startCliInTmux([...modelArgs(fake.url), "--conversations"], { home, height: 30 });
    let term: TmuxSession | undefined;
    try {
      for (const words of ["alpha question", "beta question"]) {
        const run = await runCli([...modelArgs(fake.url), words], { home, cwd: home });
        assertEquals(run.code, 0, run.stderr);
      }
      term = await start();
      await term.waitFor("Resume which one? [1-2", { timeoutMs: 60_000 });
      await term.line("9");
      await term.waitFor('No conversation "9": type a number from 1 to 2.');
      await term.waitFor("Resume which one?", { count: 2 });
      await term.keys("C-c");
      assertEquals(await term.waitForExit(30_000), 130);
      await term.close();

      // Control: a right number resumes it (its words are drawn again).
      term = await start();
      await term.waitFor("Resume which one?", { timeoutMs: 60_000 });
      await term.line("2");
      await term.waitFor(/> alpha question[\s\S]*first answer[\s\S]*^>\s*$/m);
      assertEquals(await term.exitWithCtrlD(), 0);
    } finally {
      await term?.close();
      await fake.close();
      await removeDir(home);
    }
  },
});
