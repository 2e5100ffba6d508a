/**
 * What a person notices in the chat (issue 11, items 11 and 15), with the real
 * program in tmux against the fake model: Ctrl-C at the approval question,
 * Ctrl-D, the model named at start, `e` with and without changes, %verbose
 * logs, %load_message, %jupyter cells that run, `--server -y`.
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand, modelArgs } from "./helpers/terminal_cli.ts";
import { hasTmux, removeDir, TmuxSession, withTempDir } from "./helpers/terminal_tmux.ts";
import { StreamText } from "./helpers/stream_text.ts";
import { runMagic } from "../lib/terminal/magic.ts";
import { magicContext } from "./helpers/magic_context.ts";

const ignore = !hasTmux();
const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Ctx {
  term: TmuxSession;
  fake: ReturnType<typeof startFakeOpenAI>;
  home: string;
}

async function chat(
  script: FakeTurn[],
  fn: (ctx: Ctx) => Promise<void>,
  options: { args?: string[]; env?: Record<string, string>; delayMs?: number; wrap?: boolean } = {},
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "cf-chat-" });
  const fake = startFakeOpenAI({ script, delayMs: options.delayMs });
  const argv = cliCommand([...modelArgs(fake.url), ...(options.args ?? [])]);
  // `wrap`: a shell prints its own prompt after the program, as an interactive shell would.
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const term = await TmuxSession.start({
    command: options.wrap ? ["sh", "-c", `${quoted}; printf 'SHELL$ '`] : argv,
    env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "1", ...options.env },
    cwd: home,
    width: 100,
    height: 40,
  });
  try {
    await term.waitFor(/^>\s*$/m);
    await fn({ term, fake, home });
  } finally {
    // Ctrl-D typed while a turn is ending can be lost (cooked mode, nobody reading): bounded.
    await term.keys("C-d").then(() => term.waitForExit(3_000)).catch(() => {});
    await term.close();
    await fake.close();
    await removeDir(home);
  }
}

Deno.test({
  name: "chat: Ctrl-C at the approval question returns to the prompt, sends nothing, runs nothing",
  ignore,
  fn: () =>
    chat([
      { toolCalls: [{ language: "shell", code: "touch ran.txt" }] },
      { text: "second answer" },
    ], async ({ term, fake, home }) => {
      await term.line("make a file");
      await term.waitFor("Would you like to run this code? (y/n/e/a)");
      await term.keys("C-c");
      await term.waitFor("(interrupted)");
      await term.waitFor(/^>\s*$/m);
      // Give a wrong implementation time to send its request.
      await new Promise((r) => setTimeout(r, 1000));
      assertEquals(fake.requests.length, 1, "no model request after Ctrl-C");
      assert(!(await Deno.stat(`${home}/ran.txt`).then(() => true, () => false)), "not run");
      // The next message tells the model the code did not run.
      await term.line("never mind");
      await term.waitFor("second answer");
      const sent = JSON.stringify(fake.requests[1].messages);
      assertStringIncludes(sent, "not run");
      assert(!(await Deno.stat(`${home}/ran.txt`).then(() => true, () => false)), "not run");
    }),
});

Deno.test({
  name: "chat: the model is named at start; Ctrl-D leaves the shell prompt on its own line",
  ignore,
  fn: () =>
    chat([], async ({ term }) => {
      const screen = await term.capture();
      assertStringIncludes(screen, "Model set to gpt-4o-mini");
      await term.keys("C-d");
      const after = await term.waitFor("SHELL$");
      const line = after.split("\n").find((l) => l.includes("SHELL$"))!;
      assert(line.startsWith("SHELL$"), `glued to the prompt: ${JSON.stringify(line)}`);
    }, { wrap: true }),
});

Deno.test({
  name: "chat: e shows the edited code; an unchanged edit does not claim one",
  ignore,
  fn: async () => {
    await withTempDir("cf-editor-", async (dir) => {
      const change = `${dir}/change.sh`;
      await Deno.writeTextFile(change, "#!/bin/sh\nsed -i 's/ONE/TWO/' \"$1\"\n");
      await Deno.chmod(change, 0o755);
      await chat([
        { toolCalls: [{ language: "shell", code: "echo ONE" }] },
        { text: "first done" },
        { toolCalls: [{ language: "shell", code: "echo THREE" }] },
        { text: "second done" },
      ], async ({ term }) => {
        await term.line("go");
        await term.waitFor("Would you like to run this code? (y/n/e/a)");
        await term.line("e");
        const shown = await term.waitFor("first done");
        assertStringIncludes(shown, "Running the edited code:");
        assertStringIncludes(shown, "│ echo TWO");
        // The edited code is what ran.
        assert(/^\s+TWO$/m.test(shown), shown);
        // The same editor script finds no ONE in "echo THREE": that edit changes nothing.
        await term.line("again");
        await term.waitFor("Would you like to run this code? (y/n/e/a)", { count: 2 });
        await term.line("e");
        const second = await term.waitFor("second done");
        const after = second.slice(second.indexOf("again"));
        assertStringIncludes(after, "No changes: running the code as it was.");
        assert(!after.includes("Running the edited code"), after);
      }, { env: { EDITOR: change, VISUAL: "" } });
    });
  },
});

Deno.test({
  name: "chat: %verbose logs land on their own lines, never on the spinner's row",
  ignore,
  fn: () =>
    chat([{ text: "slow answer here", pieces: 8 }], async ({ term }) => {
      await term.line("%verbose true");
      await term.waitFor("Verbose mode on.");
      await term.line("hello");
      const screen = await term.waitFor("slow answer here");
      const logLines = screen.split("\n").filter((l) => l.includes("[interpreter]"));
      assert(logLines.length > 0, `verbose logs shown:\n${screen}`);
      for (const line of logLines) {
        assert(line.startsWith("[interpreter]"), `log not at the start of its row: ${line}`);
      }
      assert(!/Thinking…\s*\S/.test(screen), `text glued to the spinner:\n${screen}`);
    }, { delayMs: 150 }),
});

Deno.test({
  name: "server: -y warns that every token holder's code runs unasked",
  ignore: false,
  fn: async () => {
    await withTempDir("cf-server-", async (home) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "--server", "--port", "0", "-y"],
        env: { INTERPRETER_HOME: home, INTERPRETER_API_KEY: "", INTERPRETER_PORT: "" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new StreamText(child.stderr);
      try {
        const text = await stderr.until((t) => /listening on http:\/\/\S+/.test(t), 60_000);
        assertStringIncludes(text, "warning: auto_run (-y) is on for the server");
        assertStringIncludes(text, "every client holding the token");
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await stderr.rest();
        await child.stdout.cancel();
      }
    });
  },
});

Deno.test("magic: %load_message of a missing or broken file is one plain line", async () => {
  await withTempDir("cf-load-", async (dir) => {
    const ctx = magicContext(dir, []);
    await runMagic("%load_message nope.json", ctx);
    await Deno.writeTextFile(`${dir}/bad.json`, "{not json");
    await runMagic("%load_message bad.json", ctx);
    assertEquals(ctx.printed.length, 2, ctx.printed.join("\n"));
    assertEquals(
      ctx.printed[0],
      `Cannot load ${dir}/nope.json: no such file (save one with %save_message).`,
    );
    assertStringIncludes(ctx.printed[1], "bad.json: it is not JSON");
    for (const line of ctx.printed) {
      assert(!/os error|readfile|\n/.test(line), `raw Deno error text: ${line}`);
    }
  });
});

/** A python3 that can import IPython (Debian's, installed by .ci/run), or undefined. */
function ipythonPython(): string | undefined {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const ok = new Deno.Command(python, { args: ["-c", "import IPython"], stderr: "null" })
        .outputSync().success;
      if (ok) return python;
    } catch { /* not there */ }
  }
  return undefined;
}

Deno.test("magic: %jupyter writes shell code as cells that run in IPython", async () => {
  const python = ipythonPython();
  assert(python, "IPython is needed (.ci/run installs ipython3)");
  await withTempDir("cf-nb-", async (dir) => {
    const ctx = magicContext(dir, [
      { role: "user", type: "message", content: "count" },
      { role: "assistant", type: "code", format: "shell", content: "echo shell-ran-$((6*7))" },
      { role: "computer", type: "console", format: "output", content: "shell-ran-42\n" },
      { role: "assistant", type: "code", format: "python", content: "print('py-ran', 6*7)" },
    ]);
    await runMagic("%jupyter nb", ctx);
    const nb = JSON.parse(await Deno.readTextFile(`${dir}/nb.ipynb`));
    const cells = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code").map((
      c: { source: string[] },
    ) => c.source.join(""));
    assertEquals(cells[0].split("\n")[0], "%%bash");
    // Run every code cell the way Jupyter would: through IPython.
    const runner = [
      "import json, sys",
      "from IPython.core.interactiveshell import InteractiveShell",
      "shell = InteractiveShell.instance()",
      "for src in json.load(open(sys.argv[1])):",
      "    r = shell.run_cell(src)",
      "    if not r.success: sys.exit('cell failed: ' + src)",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/cells.json`, JSON.stringify(cells));
    const out = await new Deno.Command(python, {
      args: ["-c", runner, `${dir}/cells.json`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert(out.success, text);
    assertStringIncludes(text, "shell-ran-42");
    assertStringIncludes(text, "py-ran 42");
  });
});

Deno.test({
  name: "chat: input() and read offer the prompt to the person and pass the answer on",
  ignore,
  fn: () =>
    chat([
      {
        toolCalls: [{
          language: "python",
          code: "name = input('Your name: ')\nprint('Hello,', name + '!')",
        }],
      },
      { toolCalls: [{ language: "shell", code: 'read -r city; echo "City: $city"' }] },
      { text: "all asked" },
    ], async ({ term, fake }) => {
      await term.line("greet me");
      await term.waitFor(/^Your name: $/m);
      await term.line("Ada Lovelace");
      await term.waitFor("Hello, Ada Lovelace!");
      // The shell's `read` (no prompt of its own) is asked too.
      await new Promise((r) => setTimeout(r, 300));
      await term.waitFor(/^\s*$/m);
      await term.line("London");
      const screen = await term.waitFor("all asked");
      assertStringIncludes(screen, "City: London");
      assert(!screen.includes("nobody can type here"), screen);
      const sent = JSON.stringify(fake.requests.map((r) => r.messages));
      assertStringIncludes(sent, "Hello, Ada Lovelace!");
      assertStringIncludes(sent, "City: London");
    }, { args: ["-y"] }),
});
