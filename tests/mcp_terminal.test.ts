/**
 * How the terminal shows MCP tool calls and results: live chunks and a resumed
 * conversation's stored messages give the same lines.
 */

import { assertEquals } from "./helpers/assert.ts";
import { toolChunkLines } from "../lib/terminal/chat.ts";
import { replay } from "../lib/terminal/cli.ts";
import { Renderer } from "../lib/terminal/renderer.ts";
import type { LmcMessage, McpToolResult } from "../lib/wire/lmc.ts";

const CALL: LmcMessage = {
  role: "assistant",
  type: "tool_call",
  format: "mcp",
  content: { server: "files", tool: "read_text_file", arguments: { path: "/tmp/a" } },
  toolCallId: "call_1",
};
const RESULT_CONTENT: McpToolResult = {
  server: "files",
  tool: "read_text_file",
  text: "line one\nline two",
  isError: false,
};
const RESULT: LmcMessage = {
  role: "computer",
  type: "tool_result",
  format: "mcp",
  content: RESULT_CONTENT,
  toolCallId: "call_1",
};

Deno.test("mcp terminal: a call and its result as lines; errors say so; other chunks are not ours", () => {
  assertEquals(toolChunkLines(CALL), ['⚒ files.read_text_file {"path":"/tmp/a"}']);
  assertEquals(toolChunkLines(RESULT), ["line one", "line two"]);
  assertEquals(
    toolChunkLines({ ...RESULT, content: { server: "s", tool: "t", text: "boom", isError: true } }),
    ["s.t failed: boom"],
  );
  assertEquals(toolChunkLines({ ...CALL, start: true }), []);
  assertEquals(toolChunkLines({ role: "assistant", type: "message", content: "hi" }), undefined);
  const long = { ...RESULT, content: { ...RESULT_CONTENT, text: "x\n".repeat(30).trim() } };
  const lines = toolChunkLines(long)!;
  assertEquals(lines.length, 21);
  assertEquals(lines[20], "… (10 more lines)");
});

Deno.test("mcp terminal: a resumed conversation shows its tool calls and results", () => {
  let written = "";
  const renderer = new Renderer({ write: (t: string) => (written += t), columns: () => 80 }, {
    color: false,
    live: false,
  });
  replay(
    [{ role: "user", type: "message", content: "read it" }, CALL, RESULT],
    renderer,
    toolChunkLines,
  );
  for (
    const line of ["> read it", '⚒ files.read_text_file {"path":"/tmp/a"}', "line one", "line two"]
  ) {
    assertEquals(written.includes(line), true, `${line} missing from: ${written}`);
  }
  // Control: without the tool lines nothing of them shows.
  let plain = "";
  const other = new Renderer({ write: (t: string) => (plain += t), columns: () => 80 }, {
    color: false,
    live: false,
  });
  replay([CALL, RESULT], other);
  assertEquals(plain.includes("read_text_file"), false);
});
