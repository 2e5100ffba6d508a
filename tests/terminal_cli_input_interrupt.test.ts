/**
 * In the interactive chat a program waiting for input (`input()`) asks the
 * person. Ctrl-C at that prompt stops the turn as Ctrl-C while code runs does:
 * back to the chat prompt with "(interrupted)", and no further (paid) model
 * request is sent. The python session still runs code afterwards. Control:
 * answering the prompt instead lets the turn go on to the model's next answer.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, startCliInTmux } from "./helpers/terminal_cli.ts";
import { hasTmux, removeDir, type TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("input-interrupt tests skipped: tmux is not installed");
const hasPython = await new Deno.Command("python3", { args: ["-c", "1"] }).output().then(
  (o) => o.success,
  () => false,
);

const ASK = { toolCalls: [{ language: "python", code: "x = input('name? ')\nprint('hi', x)" }] };

async function chat(
  script: Parameters<typeof startFakeOpenAI>[0]["script"],
  fn: (term: TmuxSession, fake: ReturnType<typeof startFakeOpenAI>) => Promise<void>,
): Promise<void> {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "cli-input-int-" }));
  const fake = startFakeOpenAI({ script });
  const term = await startCliInTmux(modelArgs(fake.url), { home, height: 40 });
  try {
    await term.waitFor(/^>\s*$/m, { timeoutMs: 60_000 });
    await fn(term, fake);
  } finally {
    await term.close();
    await fake.close();
    await removeDir(home);
  }
}

Deno.test({
  name: "chat: Ctrl-C at a program's input prompt returns to the prompt, no model request",
  ignore: !TMUX || !hasPython,
  sanitizeResources: false,
  fn: () =>
    chat([
      ASK,
      { toolCalls: [{ language: "python", code: "print('alive', 6 * 7)" }] },
      { text: "done" },
    ], async (term, fake) => {
      await term.line("ask me");
      await term.waitFor("(y/n/e/a)");
      await term.line("y");
      await term.waitFor(/^name\? *$/m);
      await term.keys("C-c");
      await term.waitFor("(interrupted)");
      assertEquals(fake.requests.length, 1, "no model request after Ctrl-C");
      // The session still runs code.
      await term.line("again");
      await term.waitFor("(y/n/e/a)", { count: 2 });
      await term.line("y");
      await term.waitFor("alive 42");
    }),
});

Deno.test({
  name: "chat: control: answering the program's prompt lets the turn go on",
  ignore: !TMUX || !hasPython,
  sanitizeResources: false,
  fn: () =>
    chat([ASK, { text: "greeted" }], async (term, fake) => {
      await term.line("ask me");
      await term.waitFor("(y/n/e/a)");
      await term.line("y");
      await term.waitFor(/^name\? *$/m);
      await term.line("Ada");
      await term.waitFor("greeted");
      assert((await term.capture()).includes("hi Ada"));
      assertEquals(fake.requests.length, 2);
    }),
});
