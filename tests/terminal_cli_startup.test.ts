/**
 * The first prompt is drawn before the line editor (node:readline) has
 * loaded: keys typed the moment it shows must still reach the line editor,
 * once each, and Ctrl-C / Ctrl-D there behave as at any empty prompt, leaving
 * the terminal in its normal mode.
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand } from "./helpers/terminal_cli.ts";
import { hasTmux, TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("start-up terminal tests skipped: tmux is not installed");

/**
 * Starts the program in tmux; after it ends the shell prints the terminal's
 * mode (`stty -a`) and then the program's status as `[status N]`.
 */
async function start(args: string[], home: string): Promise<TmuxSession> {
  const program = cliCommand(args).map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  return await TmuxSession.start({
    command: ["sh", "-c", `${program}; s=$?; stty -a; echo "[status $s]"`],
    env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "" },
    cwd: home,
    width: 120,
    height: 40,
  });
}

async function statusOf(term: TmuxSession): Promise<{ status: number; screen: string }> {
  const screen = await term.waitFor(/^\[status \d+\]$/m, { timeoutMs: 15_000 });
  return { status: Number(/^\[status (\d+)\]$/m.exec(screen)![1]), screen };
}

/** The terminal is back in its normal mode: line editing, echo, Ctrl-C as a signal. */
function assertCookedMode(screen: string): void {
  const words = screen.split(/[\s;]+/);
  for (const flag of ["icanon", "echo", "isig"]) {
    assert(words.includes(flag) && !words.includes(`-${flag}`), `${flag} not restored:\n${screen}`);
  }
}

Deno.test({
  name: "startup: a message typed the moment the first prompt shows is read once and sent",
  ignore: !TMUX,
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "interpreter-startup-" });
    const fake = startFakeOpenAI({ script: [{ text: "Hello from the model." }] });
    const term = await start(
      ["--api_base", fake.url, "--model", "gpt-4o-mini", "--api_key", "sk-startup-0123456789"],
      home,
    );
    try {
      // Poll fast and type at once: the keys arrive before readline has loaded.
      await term.waitFor(/^> /m, { pollMs: 1, timeoutMs: 20_000 });
      await term.line("typed early");
      const screen = await term.waitFor("Hello from the model.");
      assertEquals(screen.split("typed early").length - 1, 1, screen);
      assertStringIncludes(JSON.stringify(fake.requests[0].messages), "typed early");
      await term.waitFor(/^>\s*$/m);
      await term.keys("C-d");
      const { status, screen: end } = await statusOf(term);
      assertEquals(status, 0);
      assertCookedMode(end);
    } finally {
      await term.close();
      await fake.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

for (const key of ["C-c", "C-d"]) {
  Deno.test({
    name: `startup: ${key} the moment the first prompt shows exits with 0, terminal restored`,
    ignore: !TMUX,
    fn: async () => {
      const home = await Deno.makeTempDir({ prefix: "interpreter-startup-" });
      const term = await start(["--api_base", "http://127.0.0.1:9/v1", "-m", "startup"], home);
      try {
        await term.waitFor(/^> /m, { pollMs: 1, timeoutMs: 20_000 });
        await term.keys(key);
        const { status, screen } = await statusOf(term);
        assertEquals(status, 0, screen);
        assertCookedMode(screen);
      } finally {
        await term.close();
        await Deno.remove(home, { recursive: true });
      }
    },
  });
}
