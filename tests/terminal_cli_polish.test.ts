/**
 * Things a new user meets first, fixed after trying the program in tmux:
 * costs never shown as `$0.0000`, exports that match the conversation's name
 * and refuse an empty one, start-up notes wrapped at spaces, and a missing API
 * key said at start-up (not at the first message).
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { formatUsd } from "../lib/wire/usage.ts";
import { runMagic } from "../lib/terminal/magic.ts";
import { magicContext } from "./helpers/magic_context.ts";
import type { LmcMessage } from "../lib/wire/lmc.ts";
import { wrapWords } from "../lib/terminal/flags.ts";
import { conversationFileName } from "../lib/storage/conversations.ts";
import { cliCommand, runCli } from "./helpers/terminal_cli.ts";
import { hasTmux, TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("cli polish tmux tests skipped: tmux is not installed");

Deno.test("polish: small costs keep two significant digits", () => {
  assertEquals(formatUsd(0), "$0");
  assertEquals(formatUsd(0.000048), "$0.000048");
  assertEquals(formatUsd(0.0005), "$0.0005");
  assertEquals(formatUsd(0.0123), "$0.0123");
  assertEquals(formatUsd(1.5), "$1.50");
  assertEquals(formatUsd(12.34567), "$12.3457");
});

Deno.test("polish: wrapping breaks at spaces, never inside a word", () => {
  const text = "Permissions: read all except ~/.ssh, ~/.aws; write . and session temp; net all";
  const lines = wrapWords(text, 30);
  assertEquals(lines.join(" "), text);
  for (const line of lines) assert(line.length <= 30, line);
});

Deno.test("polish: %jupyter and %markdown share the conversation's name; nothing to export when empty", async () => {
  const dir = await Deno.makeTempDir({ prefix: "interpreter-polish-" });
  try {
    const empty = magicContext(dir, []);
    await runMagic("%jupyter", empty);
    await runMagic("%markdown", empty);
    assertEquals(empty.printed, [
      "Nothing to export yet: the conversation is empty.",
      "Nothing to export yet: the conversation is empty.",
    ]);
    assertEquals([...Deno.readDirSync(dir)].length, 0);
    const messages: LmcMessage[] = [{ role: "user", type: "message", content: "hi" }];
    const full = magicContext(dir, messages, {
      conversationPath: "/somewhere/hi__2026-01-01_10-00-00.json",
    });
    await runMagic("%jupyter", full);
    await runMagic("%markdown", full);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names, ["hi__2026-01-01_10-00-00.ipynb", "hi__2026-01-01_10-00-00.md"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "polish: first start with no API key says so at start-up, notes wrap at spaces",
  ignore: !TMUX,
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "interpreter-polish-" });
    const term = await TmuxSession.start({
      // No key anywhere: the key variables are emptied for the program.
      command: ["env", "-u", "OPENAI_API_KEY", "-u", "INTERPRETER_API_KEY", ...cliCommand([])],
      // INIT_CWD cleared: under `deno task test` the hint would name `deno task start`.
      env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "1", INIT_CWD: "" },
      cwd: home,
      width: 60,
    });
    try {
      const screen = await term.waitFor(/^>\s*$/m, { timeoutMs: 60_000 });
      const joined = screen.replace(/\n/g, " ");
      assertStringIncludes(joined, "No API key for gpt-4o: set OPENAI_API_KEY, pass --api_key KEY");
      // The hint names the command as started (this test runs `deno run -A main.ts`).
      assertStringIncludes(joined, "deno run -A main.ts --local");
      // Every line ends at a word: a wrapped line never splits "Permissions" words.
      for (const line of screen.split("\n")) assert(line.length < 60, `too wide: ${line}`);
      assertStringIncludes(joined, "env all except API keys");
      await term.keys("C-d");
      assertEquals(await term.waitForExit(30_000), 0);
    } finally {
      await term.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("polish: a conversation started with piped input is named by the person's words", () => {
  const name = conversationFileName("why did it fail?\n\nHere is the input I was given:\n\nerror");
  assert(name.startsWith("why_did_it_fail__"), name);
  assert(conversationFileName("  \n\n").startsWith("conversation__"));
});

Deno.test("polish: one request with no API key: one clear line, exit 1, nothing sent", async () => {
  const home = await Deno.makeTempDir({ prefix: "interpreter-polish-" });
  try {
    const r = await runCli(["hi"], { home, env: { OPENAI_API_KEY: "", INTERPRETER_API_KEY: "" } });
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertStringIncludes(r.stderr, "No API key for gpt-4o: set OPENAI_API_KEY, pass --api_key KEY");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
