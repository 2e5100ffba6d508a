/**
 * The real program in a real terminal (tmux), against the fake model server:
 * approval keys, Ctrl-C, history across runs, multi-line input, %commands.
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand, modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { removeDir, TmuxSession, withTempDir } from "./helpers/terminal_tmux.ts";
import { missingPrograms } from "./helpers/requirements.ts";

const TMUX = !missingPrograms("terminal tests", { tmux: ["-V"] });
const ignore = !TMUX;

interface Ctx {
  term: TmuxSession;
  fake: ReturnType<typeof startFakeOpenAI>;
  home: string;
}

async function session(
  script: FakeTurn[],
  fn: (ctx: Ctx) => Promise<void>,
  options: {
    args?: string[];
    env?: Record<string, string>;
    home?: string;
    delayMs?: number;
    /** Runs before the first prompt is awaited (e.g. to answer a picker). */
    beforePrompt?: (term: TmuxSession) => Promise<void>;
  } = {},
): Promise<void> {
  const home = options.home ?? await Deno.makeTempDir({ prefix: "interpreter-tmux-" });
  const fake = startFakeOpenAI({ script, delayMs: options.delayMs });
  const term = await TmuxSession.start({
    command: cliCommand([
      ...modelArgs(fake.url, "sk-tmux-test-key-0123456789"),
      ...(options.args ?? []),
    ]),
    // NO_COLOR empty: these tests look at the rendered answer, whatever this machine sets.
    env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "", ...options.env },
    cwd: home,
    width: 100,
    height: 30,
  });
  try {
    await options.beforePrompt?.(term);
    await term.waitFor(/^>\s*$/m);
    await fn({ term, fake, home });
  } finally {
    // Let the program end on its own (it saves on exit) before tearing down.
    await term.keys("C-d").then(() => term.waitForExit(10_000)).catch(() => {});
    await term.close();
    await fake.close();
    if (!options.home) await removeDir(home);
  }
}

const CODE_THEN_TEXT = (code: string, text: string): FakeTurn[] => [
  {
    toolCalls: [{ language: "python", code }],
    usage: { prompt_tokens: 120, completion_tokens: 20 },
  },
  { text, usage: { prompt_tokens: 160, completion_tokens: 8 } },
];

Deno.test({
  name: "tmux: y runs the code, output and answer show, tokens and cost after the answer",
  ignore,
  fn: () =>
    session(CODE_THEN_TEXT("print(6 * 7)", "The answer is **42**."), async ({ term, fake }) => {
      await term.line("what is 6 times 7?");
      await term.waitFor("Would you like to run this code? (y/n/e/a)");
      const shown = await term.capture();
      assertStringIncludes(shown, "┌─ python");
      assertStringIncludes(shown, "print(6 * 7)");
      await term.line("y");
      const done = await term.waitFor(/^>\s*$/m);
      assertStringIncludes(done, "42");
      assertStringIncludes(done, "The answer is 42.");
      assert(/tokens in, \d+ out/.test(done), "usage line");
      assertStringIncludes(JSON.stringify(fake.requests[1].messages), "42");
    }),
});

Deno.test({
  name: "tmux: n declines, the model is told, nothing runs; Ctrl-C at an empty prompt exits",
  ignore,
  fn: () =>
    withTempDir("interpreter-tmux-", async (home) => {
      await session(
        [
          { toolCalls: [{ language: "python", code: "open('made.txt', 'w').write('x')" }] },
          { text: "Okay, I did not create it." },
        ],
        async ({ term, fake }) => {
          await term.line("make a file");
          await term.waitFor("Would you like to run this code?");
          await term.line("n");
          await term.waitFor("Okay, I did not create it.");
          assertStringIncludes(JSON.stringify(fake.requests[1].messages), "declined");
          // Ctrl-C at an empty prompt exits.
          await term.waitFor(/^>\s*$/m);
          await term.keys("C-c");
          assertEquals(await term.waitForExit(), 0);
          assertEquals(await Deno.stat(`${home}/made.txt`).then(() => true, () => false), false);
        },
        { home },
      );
    }),
});

Deno.test({
  name: "tmux: e opens $EDITOR and runs the edited code",
  ignore,
  fn: () =>
    withTempDir("interpreter-editor-", async (dir) => {
      const editor = `${dir}/fake-editor.sh`;
      await Deno.writeTextFile(editor, `#!/bin/sh\nsed -i 's/6 \\* 7/6 * 8/' "$1"\n`);
      await Deno.chmod(editor, 0o755);
      await session(CODE_THEN_TEXT("print(6 * 7)", "Edited run done."), async ({ term, fake }) => {
        await term.line("compute");
        await term.waitFor("Would you like to run this code?");
        await term.line("e");
        await term.waitFor("Edited run done.");
        // Back at the prompt before the session ends it with Ctrl-D (a key sent while the turn
        // is still finishing is not read, and the program would be killed without cleaning up).
        await term.waitFor(/^>\s*$/m);
        const tool = JSON.stringify(fake.requests[1].messages);
        assertStringIncludes(tool, "48");
        assertStringIncludes(tool, "6 * 8");
      }, { env: { EDITOR: editor, VISUAL: "" } });
    }),
});

Deno.test({
  name: "tmux: a runs this and every later block without asking",
  ignore,
  fn: () =>
    session(
      [
        { toolCalls: [{ language: "python", code: "print('first-block')" }] },
        { toolCalls: [{ language: "python", code: "print('second-block')" }] },
        { text: "Both ran." },
      ],
      async ({ term }) => {
        await term.line("run two blocks");
        await term.waitFor("Would you like to run this code?");
        await term.line("a");
        const screen = await term.waitFor("Both ran.");
        assertEquals(screen.split("Would you like to run this code?").length - 1, 1);
        assertStringIncludes(screen, "second-block");
      },
    ),
});

Deno.test({
  name: "tmux: Ctrl-C stops the model stream and running code, back at the prompt; Ctrl-D exits",
  ignore,
  fn: () =>
    session(
      [
        { text: "word ".repeat(100), pieces: 100 },
        {
          toolCalls: [{
            language: "python",
            code: "import time\nprint('sleep' + 'ing', flush=True)\ntime.sleep(60)",
          }],
        },
        { text: "after the interrupt" },
      ],
      async ({ term, home }) => {
        await term.line("stream slowly");
        await term.waitFor("word word");
        await term.keys("C-c");
        await term.waitFor(/^>\s*$/m);
        await term.line("now some code");
        await term.waitFor("Would you like to run this code?");
        await term.line("y");
        await term.waitFor(/^ {2}sleeping/m);
        await term.keys("C-c");
        await term.waitFor(/^>\s*$/m);
        await term.keys("C-d");
        assertEquals(await term.waitForExit(), 0);
        const files = [...Deno.readDirSync(`${home}/data/conversations`)];
        assertEquals(files.length, 1);
        const saved = await Deno.readTextFile(`${home}/data/conversations/${files[0].name}`);
        assertStringIncludes(saved, "stream slowly");
        assertStringIncludes(saved, "time.sleep(60)");
      },
      { delayMs: 50 },
    ),
});

Deno.test({
  name: 'tmux: history across runs, """ multi-line input, %commands',
  ignore,
  fn: () =>
    withTempDir("interpreter-tmux-", async (home) => {
      await session([{ text: "first answer" }], async ({ term }) => {
        await term.line("remember this line");
        await term.waitFor("first answer");
        await term.waitFor(/^>\s*$/m);
        await term.keys("C-d");
        assertEquals(await term.waitForExit(), 0);
      }, { home });
      await session([{ text: "multi ok" }, { text: "paste ok" }], async ({ term, fake }) => {
        await term.keys("Up");
        await term.waitFor("> remember this line");
        await term.keys("C-u");
        await term.line('"""');
        await term.line("line one");
        await term.line('line two"""');
        await term.waitFor("multi ok");
        assertStringIncludes(JSON.stringify(fake.requests[0].messages), "line one\\nline two");
        await term.paste("pasted one\npasted two\n");
        await term.waitFor("paste ok");
        assertStringIncludes(JSON.stringify(fake.requests[1].messages), "pasted one\\npasted two");
        await term.line("%help");
        await term.waitFor("%undo");
        await term.line("%info");
        await term.waitFor("model: gpt-4o-mini");
        await term.line("%tokens");
        await term.waitFor("Next request:");
        await term.line("%% echo shell-$((20+1))");
        await term.waitFor("shell-21");
        await term.line("%save_message saved");
        await term.waitFor("Saved the conversation to");
        const saved = JSON.parse(await Deno.readTextFile(`${home}/saved.json`));
        assertEquals(saved[saved.length - 1].content, "paste ok");
        await term.line("%undo");
        await term.waitFor("Removed message");
        await term.line("%bogus");
        await term.waitFor("Unknown command %bogus");
      }, { home });
    }),
});

Deno.test({
  name: "tmux: --conversations lists saved ones newest first and resumes the chosen one",
  ignore,
  fn: async () => {
    await withTempDir("interpreter-tmux-", async (home) => {
      const fake = startFakeOpenAI({
        script: [{ text: "older answer" }, { text: "newer answer" }],
      });
      try {
        const args = modelArgs(fake.url);
        assertEquals((await runCli([...args, "older question"], { home })).code, 0);
        await new Promise((r) => setTimeout(r, 1100)); // distinct file times
        assertEquals((await runCli([...args, "newer question"], { home })).code, 0);
      } finally {
        await fake.close();
      }
      await session([{ text: "continued answer" }], async ({ term }) => {
        await term.line("follow up");
        await term.waitFor("continued answer");
        await term.waitFor(/^>\s*$/m);
        await term.keys("C-d");
        assertEquals(await term.waitForExit(), 0);
      }, {
        home,
        args: ["--conversations"],
        beforePrompt: async (term) => {
          const list = await term.waitFor("Resume which one?");
          assert(
            list.indexOf("1. newer question") >= 0 &&
              list.indexOf("2. older question") > list.indexOf("1. newer question"),
            list,
          );
          await term.line("2");
          const shown = await term.waitFor("older answer");
          assertStringIncludes(shown, "> older question");
        },
      });
      const files = [...Deno.readDirSync(`${home}/data/conversations`)].map((e) => e.name);
      assertEquals(files.length, 2);
      const older = files.find((f) => f.startsWith("older"))!;
      const saved = await Deno.readTextFile(`${home}/data/conversations/${older}`);
      assertStringIncludes(saved, "follow up");
      assertStringIncludes(saved, "continued answer");
    });
  },
});

Deno.test({
  name: "tmux: Ctrl-C during a one-shot request exits with status 130",
  ignore,
  fn: async () => {
    await withTempDir("interpreter-tmux-", async (home) => {
      const fake = startFakeOpenAI({
        script: [{ text: "word ".repeat(100), pieces: 100 }],
        delayMs: 50,
      });
      const term = await TmuxSession.start({
        command: cliCommand([...modelArgs(fake.url), "stream for a while"]),
        env: { INTERPRETER_HOME: home },
        cwd: home,
      });
      try {
        await term.waitFor("word word");
        await term.keys("C-c");
        assertEquals(await term.waitForExit(), 130);
      } finally {
        await term.close();
        await fake.close();
      }
    });
  },
});

Deno.test({
  name: "tmux: safe-mode reasons are shown in the approval prompt, even with -y",
  ignore,
  fn: () =>
    session(
      [{ toolCalls: [{ language: "shell", code: "rm -rf ~/important" }] }, {
        text: "Not deleted.",
      }],
      async ({ term }) => {
        await term.line("delete it");
        const screen = await term.waitFor("Would you like to run this code?");
        assert(/Safe mode \(\w+\): .*important/.test(screen), screen);
        await term.line("n");
        await term.waitFor("Not deleted.");
      },
      { args: ["--safe_mode", "ask", "-y"] },
    ),
});

Deno.test({
  name: "tmux: a long answer in a narrow terminal lands in the scrollback once per line",
  ignore,
  fn: async () => {
    const lines = Array.from(
      { length: 120 },
      (_, i) => `Line ${i + 1} of a long answer that wraps in a narrow window.`,
    );
    await withTempDir("interpreter-tmux-", async (home) => {
      const fake = startFakeOpenAI({ script: [{ text: lines.join("\n"), pieces: 600 }] });
      const term = await TmuxSession.start({
        command: cliCommand(modelArgs(fake.url)),
        env: { INTERPRETER_HOME: home, TERM: "xterm-256color" },
        cwd: home,
        width: 30,
        height: 12,
      });
      try {
        await term.waitFor(/^>\s*$/m);
        await term.line("go");
        await term.waitFor("Line 120 of");
        const screen = await term.waitFor(/^>\s*$/m);
        // Prose is wrapped at spaces (rows of at most 29 columns): compare with rows joined.
        const joined = screen.replace(/\s*\n\s*/g, " ");
        for (const line of lines) {
          assertEquals(joined.split(line + " ").length - 1, 1, `"${line}" once`);
        }
      } finally {
        await term.close();
        await fake.close();
      }
    });
  },
});

Deno.test({
  name: "tmux: --plain writes no escape codes and no frames; code, output and approval work",
  ignore,
  fn: () =>
    withTempDir("interpreter-tmux-", async (home) => {
      const raw = `${home}/pane.raw`;
      await session(
        CODE_THEN_TEXT("print(6 * 7)", "The answer is **42**."),
        async ({ term, fake }) => {
          // Everything the program writes to the terminal, byte for byte.
          await term.command("pipe-pane", "-o", "-t", "main", `cat >> '${raw}'`);
          await term.line("what is 6 times 7?");
          await term.waitFor("Would you like to run this code? (y/n/e/a)");
          await term.line("y");
          await term.waitFor("tokens in");
          const screen = await term.waitFor(/^>\s*$/m);
          assertStringIncludes(screen, "print(6 * 7)");
          assertStringIncludes(screen, "\n42\n");
          assertStringIncludes(screen, "The answer is **42**.");
          assertStringIncludes(JSON.stringify(fake.requests[1].messages), "42");
          for (const frame of ["┌", "│", "└", "─"]) {
            assert(!screen.includes(frame), `no frame drawing (${frame}) in --plain`);
          }
          await term.command("pipe-pane", "-t", "main"); // stop recording
          const bytes = await Deno.readTextFile(raw);
          assertStringIncludes(bytes, "print(6 * 7)");
          const ESC = "\x1b";
          assert(!new RegExp(`${ESC}\\[[0-9;]*m`).test(bytes), "no colours or styles");
          // What remains once the line editor's own moves (node:readline redrawing the prompt:
          // column, erase-below) and Deno's start-up progress-line clear are taken out: no escapes.
          const ours = bytes.replaceAll("\x1b[0G\x1b[2K\x1b[J", "")
            .replace(new RegExp(`${ESC}\\[\\d*G|${ESC}\\[0?J`, "g"), "");
          assert(!ours.includes("\x1b"), `an escape code in --plain: ${JSON.stringify(ours)}`);
        },
        { args: ["--plain"], home },
      );
    }),
});

Deno.test({
  name: "tmux: narrowing the terminal mid-answer re-wraps the text with no duplicated lines",
  ignore: !TMUX,
  fn: async () => {
    const lines = Array.from(
      { length: 24 },
      (_, i) => `Line ${i + 1} of a streamed answer, long enough to fill most of a wide row.`,
    );
    const text = lines.join("\n");
    // Held mid-line (the live row then shows 65 columns of line 12) until the window is resized.
    const cut = text.indexOf("Line 12") + 65;
    let release!: () => void;
    const resized = new Promise<void>((resolve) => release = resolve);
    const sse = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const pieces = (s: string) => s.match(/[\s\S]{1,9}/g) ?? [];
    const encoder = new TextEncoder();
    const answer = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        await req.body?.cancel();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            const send = (s: string) => controller.enqueue(encoder.encode(s));
            const tick = () => new Promise((r) => timer = setTimeout(r, 5));
            send(sse({ role: "assistant", content: "" }));
            for (const p of pieces(text.slice(0, cut))) {
              send(sse({ content: p }));
              await tick();
            }
            // Bounded: the test resizes within seconds; 20 s at most.
            await Promise.race([resized, new Promise((r) => timer = setTimeout(r, 20_000))]);
            for (const p of pieces(text.slice(cut))) {
              send(sse({ content: p }));
              await tick();
            }
            send(sse({}, "stop"));
            send("data: [DONE]\n\n");
            controller.close();
          },
          cancel() {
            clearTimeout(timer);
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
    );
    await withTempDir("interpreter-tmux-", async (home) => {
      const term = await TmuxSession.start({
        command: cliCommand(modelArgs(`http://127.0.0.1:${answer.addr.port}/v1`)),
        env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "" },
        cwd: home,
        width: 100,
        height: 20,
      });
      try {
        await term.waitFor(/^>\s*$/m);
        await term.line("go");
        // The live row holds the unfinished line 12 (65 columns) when the window narrows.
        await term.waitFor(text.slice(text.indexOf("Line 12"), cut));
        await term.command("resize-window", "-t", "main", "-x", "30");
        release();
        await term.waitFor("tokens in");
        const screen = await term.waitFor(/^>\s*$/m);
        assertEquals(
          (await term.command("display", "-p", "-t", "main", "#{pane_width}")).trim(),
          "30",
        );
        // Joined rows: the answer is exactly its lines, each once, no fragments of the live row
        // (lines drawn before the resize were wrapped by the terminal, later ones at spaces).
        const start = screen.indexOf("> go\n") + "> go\n".length;
        const shown = screen.slice(start, screen.indexOf("tokens in")).split("\n").slice(0, -1);
        assertEquals(shown.join(" ").replace(/\s+/g, " ").trim(), lines.join(" "));
        // Re-wrapped: no row is wider than the terminal and a long line now takes several rows.
        const rows = await term.command("capture-pane", "-p", "-S", "-", "-t", "main");
        for (const row of rows.split("\n")) assert(row.length <= 30, `row too wide: ${row}`);
        const last = lines[lines.length - 1];
        // Drawn after the resize: wrapped at spaces onto several rows, no word split.
        const lastRows = rows.split("\n").slice(
          rows.split("\n").findIndex((r) => r.startsWith("Line 24")),
        );
        const taken = lastRows.slice(0, 4).join(" ").replace(/\s+/g, " ");
        assertStringIncludes(taken, last);
        assert(lastRows[0].length < last.length, "the last line takes several rows");
        for (const word of last.split(" ")) {
          assert(rows.split("\n").some((r) => r.split(" ").includes(word)), `"${word}" kept whole`);
        }
        // Still running: Ctrl-D ends it normally.
        await term.keys("C-d");
        assertEquals(await term.waitForExit(10_000), 0);
      } finally {
        release();
        await term.close();
        await answer.shutdown();
      }
    });
  },
});
