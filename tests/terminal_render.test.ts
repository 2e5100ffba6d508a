import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { Renderer } from "../lib/terminal/renderer.ts";
import { stripAnsi, visibleWidth } from "../lib/terminal/ansi.ts";
import type { LmcChunk } from "../lib/wire/lmc.ts";

const FIXTURE = new URL(
  "./fixtures/providers/openai__gpt-4.1-nano__markdown-text.chunks.txt",
  import.meta.url,
);

async function deltas(): Promise<string[]> {
  const out: string[] = [];
  for (const line of (await Deno.readTextFile(FIXTURE)).split("\n")) {
    if (!line.trim()) continue;
    const c = JSON.parse(line).choices?.[0]?.delta?.content;
    if (typeof c === "string" && c) out.push(c);
  }
  return out;
}

/** A tiny terminal: "\r\x1b[2K" erases the current row, "\n" commits it to the scrollback. */
function emulate(output: string): { scrollback: string[]; row: string } {
  const scrollback: string[] = [];
  let row = "";
  // deno-lint-ignore no-control-regex
  for (const part of output.split(/(\r\x1b\[2K|\n)/)) {
    if (part === "\r\x1b[2K") row = "";
    else if (part === "\n") {
      scrollback.push(row);
      row = "";
    } else row += part;
  }
  return { scrollback, row };
}

function render(chunks: LmcChunk[], options: { color: boolean; live: boolean; width?: number }) {
  let out = "";
  const r = new Renderer(
    { write: (s) => void (out += s), columns: () => options.width ?? 80 },
    options,
  );
  for (const c of chunks) r.chunk(c);
  r.finish();
  return out;
}

function message(parts: string[]): LmcChunk[] {
  return [
    { role: "assistant", type: "message", start: true },
    ...parts.map((content): LmcChunk => ({ role: "assistant", type: "message", content })),
    { role: "assistant", type: "message", end: true },
  ];
}

Deno.test("render: a streamed answer lands in the scrollback once, with no cursor moves up", async () => {
  const chunks = message(await deltas());
  const live = render(chunks, { color: true, live: true });
  // deno-lint-ignore no-control-regex
  assert(!/\x1b\[\d*[AF]/.test(live), "never moves the cursor up");
  const settled = render(chunks, { color: true, live: false });
  const term = emulate(live);
  assertEquals(term.row, "");
  assertEquals(term.scrollback.join("\n") + "\n", settled);
  const text = stripAnsi(settled);
  assertEquals(text.split("Harmony Day aims").length - 1, 1, "no duplicated lines");
  assertStringIncludes(text, "Holiday Name:");
});

Deno.test("render: NO_COLOR / plain output has no escape codes; narrow live rows fit", async () => {
  const chunks = message(await deltas());
  const plain = render(chunks, { color: false, live: false });
  assert(!plain.includes("\x1b"), "no escape codes");
  assertStringIncludes(plain, "**Holiday Name:**");
  // On a 20-column live terminal, every redraw of the live row fits in one row.
  const narrow = render(chunks, { color: true, live: true, width: 20 });
  for (const segment of narrow.split("\r\x1b[2K").slice(1)) {
    const live = segment.split("\n").pop()!;
    assert(visibleWidth(live) <= 20, `live row too wide: ${JSON.stringify(stripAnsi(live))}`);
  }
});

Deno.test("render: headings, lists, tables, links, code frames with language, dim reasoning", () => {
  const text =
    "# Title\n- item one\n1. first\n| a | bb |\n|---|---|\n| 1 | 2 |\n\nSee [docs](https://x.dev).\n";
  const out = render([
    { role: "assistant", type: "reasoning", start: true },
    { role: "assistant", type: "reasoning", content: "thinking hard\n" },
    { role: "assistant", type: "reasoning", end: true },
    ...message([text.slice(0, 7), text.slice(7)]),
    { role: "assistant", type: "code", format: "python", start: true },
    { role: "assistant", type: "code", format: "python", content: "x = 1\nprint(x)" },
    { role: "assistant", type: "code", format: "python", end: true },
    { role: "computer", type: "console", start: true },
    { role: "computer", type: "console", format: "active_line", content: 2 },
    { role: "computer", type: "console", format: "output", content: "1\n" },
    { role: "computer", type: "console", format: "active_line", content: null },
    { role: "computer", type: "console", end: true },
    {
      role: "server",
      type: "usage",
      content: {
        model: "gpt-4o",
        turn: { promptTokens: 10, completionTokens: 5, cost: 0.001, calls: 1 },
        total: { promptTokens: 10, completionTokens: 5, cost: 0.001, calls: 1 },
        estimated: false,
      },
    },
  ], { color: true, live: false });
  const visible = stripAnsi(out);
  assertStringIncludes(out, "\x1b[2mthinking hard\x1b[22m");
  assertStringIncludes(out, "\x1b[1m\x1b[4mTitle");
  assertStringIncludes(visible, "• item one");
  assertStringIncludes(visible, "┌───┬────┐");
  assertStringIncludes(visible, "│ 1 │ 2  │");
  assertStringIncludes(visible, "docs (https://x.dev)");
  assertStringIncludes(visible, "┌─ python ─");
  assertStringIncludes(visible, "│ print(x)");
  assertStringIncludes(visible, "  1\n");
});

Deno.test("render: inline styles never break each other (bold before a link)", () => {
  const out = render(message(["All **done**. See [docs](https://x.dev) and `a*b*`.\n"]), {
    color: true,
    live: false,
  });
  assertEquals(stripAnsi(out), "All done. See docs (https://x.dev) and a*b*.\n");
});

Deno.test("render: the running line is shown on the live row", () => {
  let out = "";
  const r = new Renderer({ write: (s) => void (out += s), columns: () => 80 }, {
    color: true,
    live: true,
  });
  r.chunk({ role: "assistant", type: "code", format: "python", start: true });
  r.chunk({
    role: "assistant",
    type: "code",
    format: "python",
    content: "import time\ntime.sleep(1)\n",
  });
  r.chunk({ role: "assistant", type: "code", format: "python", end: true });
  r.chunk({ role: "computer", type: "console", start: true });
  r.chunk({ role: "computer", type: "console", format: "active_line", content: 2 });
  assertEquals(stripAnsi(emulate(out).row), "▶ 2: time.sleep(1)");
  r.chunk({ role: "computer", type: "console", format: "active_line", content: null });
  r.chunk({
    role: "server",
    type: "usage",
    content: {
      model: "gpt-4o",
      turn: { promptTokens: 1200, completionTokens: 5, calls: 1 },
      total: { promptTokens: 1200, completionTokens: 5, calls: 1 },
      estimated: false,
    },
  });
  r.finish();
  r.printUsage();
  assertStringIncludes(stripAnsi(out), "1,200 tokens in, 5 out");
});
