/**
 * What a person sees in a 60-column terminal (tmux): `%help` keeps its two
 * columns (a wrapped description continues under the description, not at the
 * left edge), and the approval prompt's hint after an unknown answer wraps at
 * spaces, never inside a word.
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, startCliInTmux } from "./helpers/terminal_cli.ts";
import { hasTmux, removeDir } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("narrow-terminal tests skipped: tmux is not installed");

const WIDTH = 60;
/** Where `%help` descriptions start (the names' column is 24 wide). */
const DESCRIPTION_COLUMN = 24;

Deno.test({
  name: "narrow chat: %help wraps under its descriptions; the approval hint wraps at spaces",
  ignore: !TMUX,
  sanitizeResources: false,
  fn: async () => {
    const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-narrow-" }));
    const fake = startFakeOpenAI({
      script: [{ toolCalls: [{ language: "python", code: "print(1)" }] }, { text: "ok" }],
    });
    const term = await startCliInTmux(modelArgs(fake.url), { home, width: WIDTH, height: 60 });
    try {
      await term.waitFor(/^>\s*$/m, { timeoutMs: 60_000 });
      await term.line("%help");
      const help = await term.waitFor("multi-line input");
      const rows = help.split("\n");
      const first = rows.findIndex((r) => r.startsWith("%% <command>"));
      const last = rows.findIndex((r) => r.includes("multi-line input"));
      assert(first >= 0 && last > first, help);
      let continued = 0;
      for (const row of rows.slice(first, last + 1)) {
        assert(row.length < WIDTH, `too wide: ${row}`);
        if (/^[%"]/.test(row)) continue;
        continued++;
        assertEquals(
          /^ */.exec(row)![0].length,
          DESCRIPTION_COLUMN,
          `a wrapped description continues under its column: "${row}"`,
        );
      }
      assert(continued > 0, "at 60 columns some descriptions wrap");

      await term.line("run it");
      await term.waitFor("(y/n/e/a)");
      await term.line("maybe");
      const asked = await term.waitFor("(y/n/e/a)", { count: 2 });
      const hint = asked.slice(asked.indexOf("Answer y"));
      // Joined by spaces, the rows give back the hint's words: no word was cut in two.
      assertStringIncludes(
        hint.replace(/\s*\n\s*/g, " "),
        "Answer y (run it), n (don't), e (edit it first) or a (run this and all later code).",
      );
      await term.line("n");
      await term.waitFor(/^ok\n[\s\S]*^>\s*$/m);
      assertEquals(await term.exitWithCtrlD(), 0);
    } finally {
      await term.close();
      await fake.close();
      await removeDir(home);
    }
  },
});
