/**
 * Wrapping at any width (issue 11, item 10): prose at word boundaries, code
 * inside its frame with a continuation mark, a table too wide shown one
 * record per block, program notes with a hanging indent. Unit tests on the
 * renderer, then the real program in tmux at 60 columns.
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { Renderer } from "../lib/terminal/renderer.ts";
import { stripAnsi, visibleWidth } from "../lib/terminal/ansi.ts";
import { wrapStyled } from "../lib/terminal/wrap.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand, modelArgs } from "./helpers/terminal_cli.ts";
import { hasTmux, TmuxSession, withTempDir } from "./helpers/terminal_tmux.ts";
import type { LmcChunk } from "../lib/wire/lmc.ts";

function render(chunks: LmcChunk[], columns: number, color = false): string[] {
  let out = "";
  const r = new Renderer({ write: (s) => out += s, columns: () => columns }, {
    color,
    live: false,
  });
  for (const c of chunks) r.chunk(c);
  r.finish();
  return out.split("\n").slice(0, -1);
}

const message = (text: string): LmcChunk[] => [
  { role: "assistant", type: "message", start: true },
  { role: "assistant", type: "message", content: text },
  { role: "assistant", type: "message", end: true },
];

const PROSE = "This paragraph is long enough that it must wrap at sixty columns. " +
  "Every row ends at a space, so no word is ever cut in two at the edge of the terminal.";

Deno.test("wrap: prose breaks at spaces, lists and quotes keep a hanging indent", () => {
  for (const color of [false, true]) {
    const rows = render(
      message(`${PROSE}\n\n- ${PROSE}\n\n> ${PROSE}`),
      60,
      color,
    ).map(stripAnsi);
    const words = new Set(PROSE.split(" "));
    for (const row of rows) {
      assert(visibleWidth(row) <= 59, `too wide: ${row}`);
      for (const word of row.replace(/^[•▌\-> ]+/, "").split(" ").filter(Boolean)) {
        assert(words.has(word), `a split word "${word}" in: ${row}`);
      }
    }
    const item = rows.findIndex((r) => /^[•-] This/.test(r));
    assert(rows[item + 1].startsWith("  ") && !rows[item + 1].startsWith("   "), rows[item + 1]);
    if (color) assert(rows.filter((r) => r.startsWith("▌ ")).length >= 3, "quote bar on each row");
  }
});

Deno.test("wrap: styles carry across rows and never leak into a prefix", () => {
  const bold = "\x1b[1m" + "word ".repeat(20).trim() + "\x1b[22m";
  const rows = wrapStyled(bold, 30, { words: true, continuation: "\x1b[90m> \x1b[39m" });
  assert(rows.length >= 4, rows.join("\n"));
  for (const [i, row] of rows.entries()) {
    assert(visibleWidth(row) <= 30, row);
    if (i < rows.length - 1) assert(row.endsWith("\x1b[0m"), `row ${i} closes its style`);
    if (i > 0) assert(row.startsWith("\x1b[90m> \x1b[39m\x1b[1m"), `row ${i} reopens bold`);
  }
  assertEquals(stripAnsi(rows.join(" ")).replaceAll("> ", "").split(" ").length, 20);
});

Deno.test("wrap: a long code line stays inside its frame, continuation marked", () => {
  const long = "result = compute(" + Array.from({ length: 12 }, (_, i) => `arg${i}`).join(", ") +
    ")";
  const rows = render([
    { role: "assistant", type: "code", format: "python", start: true },
    { role: "assistant", type: "code", format: "python", content: long + "\nprint(result)\n" },
    { role: "assistant", type: "code", format: "python", end: true },
  ], 40);
  const frameWidth = visibleWidth(rows[0]);
  for (const row of rows) assert(visibleWidth(row) <= frameWidth, `past the frame: ${row}`);
  const body = rows.slice(1, -1);
  assert(body[0].startsWith("│ result = compute("), body[0]);
  assert(body[1].startsWith("│↪ "), `continuation mark: ${body[1]}`);
  assertEquals(
    body.filter((r) => r.startsWith("│↪ ") || r.startsWith("│ result")).map((r) =>
      r.replace(/^│↪? /, "")
    ).join(""),
    long,
  );
  assertEquals(body[body.length - 1], "│ print(result)");
});

Deno.test("wrap: a table wider than the terminal is one record per block", () => {
  const table = [
    "| Name | Department | Description |",
    "|---|---|---|",
    "| Alice Example | Research and Development | Leads the team that builds the parser |",
    "| Bob Example | Operations | Keeps the servers running through the night |",
  ].join("\n");
  for (const color of [false, true]) {
    const rows = render(message(table + "\n"), 50, color).map(stripAnsi);
    assert(!rows.some((r) => r.includes("|---")), `raw table shown:\n${rows.join("\n")}`);
    for (const row of rows) assert(visibleWidth(row) <= 49, `too wide: ${row}`);
    const text = rows.join("\n");
    assertStringIncludes(text, "1 of 2");
    assertStringIncludes(text, "Name: Alice Example");
    assertStringIncludes(text, "Department: Research and Development");
    assertStringIncludes(text, "Name: Bob Example");
    // A value longer than a row wraps under its field, at a space.
    const desc = rows.findIndex((r) => r.startsWith("Description: Keeps"));
    assert(rows[desc + 1].startsWith("    "), rows[desc + 1]);
  }
  // A table that fits is still drawn with aligned columns.
  const small = render(message("| a | b |\n|---|---|\n| 1 | 2 |\n"), 50, true).map(stripAnsi);
  assertStringIncludes(small.join("\n"), "│ a │ b │");
});

Deno.test("wrap: program notes wrap at spaces with a hanging indent; other output is kept", () => {
  const note = "[sandbox] Writing /etc/hosts was denied: the sandbox lets code write only in " +
    "the working directory and its temp folder; --allow-write=/etc/hosts would allow it.";
  const raw = "x".repeat(90);
  const rows = render([
    { role: "computer", type: "console", format: "output", start: true },
    { role: "computer", type: "console", format: "output", content: `${raw}\n${note}\n` },
    { role: "computer", type: "console", format: "output", end: true },
  ], 50);
  assertEquals(rows[0], "  " + raw, "program output is shown as printed");
  const noteRows = rows.slice(1);
  assert(noteRows.length >= 3, noteRows.join("\n"));
  assert(noteRows[0].startsWith("  [sandbox] Writing"), noteRows[0]);
  for (const row of noteRows.slice(1)) assert(row.startsWith("      ") && row[6] !== " ", row);
  assertEquals(noteRows.map((r) => r.trim()).join(" "), note);
});

Deno.test({
  name: "wrap: in a 60-column terminal nothing is cut mid-word (tmux)",
  ignore: !hasTmux(),
  fn: async () => {
    const table = "| Name | Department | Description |\n|---|---|---|\n" +
      "| Alice Example | Research and Development | Leads the team that builds the parser |\n";
    const code = "echo 'a long line of shell code that is wider than the frame of sixty columns'";
    const fake = startFakeOpenAI({
      script: [
        { text: `${PROSE}\n\n${table}` },
        { toolCalls: [{ language: "shell", code }] },
        { text: "done." },
      ],
    });
    try {
      await withTempDir("cf-wrap-", async (home) => {
        const term = await TmuxSession.start({
          command: cliCommand([...modelArgs(fake.url), "-y"]),
          env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "" },
          cwd: home,
          width: 60,
          height: 50,
        });
        try {
          await term.waitFor(/^>\s*$/m);
          await term.line("explain");
          await term.waitFor("tokens in");
          await term.line("run it");
          await term.waitFor("done.");
          // Without -J: the rows as the terminal shows them.
          const rows = (await term.command("capture-pane", "-p", "-S", "-", "-t", "main"))
            .split("\n");
          const words = new Set(PROSE.split(" "));
          for (const row of rows.filter((r) => words.has(r.split(" ")[0]) && r.length > 20)) {
            for (const word of row.trim().split(" ")) assert(words.has(word), `cut: ${row}`);
          }
          const screen = rows.join("\n");
          assertStringIncludes(screen, "Name: Alice Example");
          assert(!screen.includes("|---"), "no raw table");
          assertStringIncludes(screen, "│↪ ");
          for (const row of rows) assert(row.length <= 60, `too wide: ${row}`);
        } finally {
          await term.close();
        }
      });
    } finally {
      await fake.close();
    }
  },
});
