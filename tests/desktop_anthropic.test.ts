/**
 * Anthropic's native computer-use tool, mapped to the Computer API: offered (with its beta
 * header and the screen's size) to Claude models when display access is on; a `left_click` the
 * model sends becomes `computer.mouse.click(x, y)` run in the sandboxed Python session, which
 * clicks xmessage's Proceed button (exit status 7) on a private Xvfb; the next request carries
 * the tool's result and the screenshot. Not offered without display access.
 */

import { Interpreter } from "../lib/core/interpreter.ts";
import { Computer } from "../lib/computer/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { x11Backend } from "../lib/desktop/x11.ts";
import { computerActionCode, computerToolType } from "../lib/desktop/anthropic_tool.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { missingDesktop, startChoiceBox, startXvfb, waitFor } from "./helpers/desktop_xvfb.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";

const missing = missingDesktop();

function sse(events: Record<string, unknown>[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

function toolUse(input: Record<string, unknown>): string {
  return sse([
    { type: "message_start", message: { usage: { input_tokens: 10, output_tokens: 1 } } },
    {
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: "toolu_click", name: "computer", input: {} },
    },
    {
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(input) },
    },
    { type: "content_block_stop", index: 0 },
    { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } },
    { type: "message_stop" },
  ]);
}

const doneText = sse([
  { type: "message_start", message: { usage: { input_tokens: 10, output_tokens: 1 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Clicked." } },
  { type: "content_block_stop", index: 0 },
  { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } },
  { type: "message_stop" },
]);

Deno.test({
  name:
    "anthropic computer tool: a left_click from Claude clicks Proceed; the screenshot goes back",
  ignore: missing !== "",
}, async () => {
  const xvfb = await startXvfb();
  const box = startChoiceBox(xvfb);
  const cwd = await Deno.makeTempDir();
  const computer = new Computer({
    cwd,
    permissions: { ...defaultPermissions({ cwd }), display: true },
    desktop: { backend: () => x11Backend({ display: xvfb.display }) },
  });
  try {
    let target: [number, number] = [0, 0];
    await waitFor(async () => {
      const found = (await computer.display.find_text("Proceed")) as { x: number; y: number }[];
      if (found.length !== 1) return false;
      target = [found[0].x, found[0].y];
      return true;
    }, "the Proceed button");
    const fake = startFakeOpenAI({
      script: [{ sse: toolUse({ action: "left_click", coordinate: target }) }, { sse: doneText }],
    });
    try {
      const it = new Interpreter({
        computer,
        autoRun: true,
        llm: { model: "anthropic/claude-sonnet-4-20250514", apiBase: fake.url, apiKey: "k" },
      });
      const added = await it.chat("Click Proceed");
      assertEquals((await box.result).code, 7);
      const first = fake.requests[0];
      const tools = first.tools as Record<string, unknown>[];
      assertEquals(tools.find((t) => t.name === "computer"), {
        type: "computer_20250124",
        name: "computer",
        display_width_px: 1280,
        display_height_px: 800,
      });
      assertStringIncludes(
        String(fake.headers[0].get("anthropic-beta")),
        "computer-use-2025-01-24",
      );
      const code = added.find((m) => m.type === "code");
      assertEquals(
        code?.content,
        `computer.mouse.click(${target[0]}, ${target[1]})\ncomputer.display.view()`,
      );
      const second = JSON.stringify(fake.requests[1].messages);
      assertStringIncludes(second, '"tool_use_id":"toolu_click"');
      assertStringIncludes(second, '"media_type":"image/png"');
    } finally {
      await fake.close();
    }
  } finally {
    await box.kill();
    await computer.terminate();
    await xvfb.stop();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("anthropic computer tool: not offered without display access", async () => {
  const fake = startFakeOpenAI({ script: [{ sse: doneText }] });
  const cwd = await Deno.makeTempDir();
  try {
    const it = new Interpreter({
      computer: new Computer({ cwd, permissions: defaultPermissions({ cwd }) }),
      llm: { model: "anthropic/claude-sonnet-4-20250514", apiBase: fake.url, apiKey: "k" },
    });
    await it.chat("hi");
    const tools = fake.requests[0].tools as { name: string }[];
    assertEquals(tools.map((t) => t.name), ["execute"]);
    assertEquals(fake.headers[0].get("anthropic-beta"), null);
    await it.computer.terminate();
  } finally {
    await fake.close();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("anthropic computer tool: actions map to Computer API code; bad input is an error", () => {
  assertEquals(computerToolType("claude-sonnet-4-20250514"), "computer_20250124");
  assertEquals(computerToolType("claude-3-5-sonnet-20241022"), "computer_20241022");
  assertEquals(computerToolType("gpt-4o"), undefined);
  const code = (input: Record<string, unknown>) => {
    const r = computerActionCode(JSON.stringify(input));
    return r.ok ? r.code : `error: ${r.error}`;
  };
  assertEquals(code({ action: "screenshot" }), "computer.display.view()");
  assertEquals(
    code({ action: "key", text: "ctrl+Page_Down" }),
    'computer.keyboard.hotkey("ctrl", "pagedown")\ncomputer.display.view()',
  );
  assertEquals(
    code({ action: "key", text: "Return" }),
    'computer.keyboard.press("return")\ncomputer.display.view()',
  );
  assertEquals(
    code({ action: "type", text: 'a"b\n' }),
    'computer.keyboard.write("a\\"b\\n")\ncomputer.display.view()',
  );
  assertEquals(
    code({ action: "scroll", coordinate: [10, 20], scroll_direction: "up", scroll_amount: 5 }),
    "computer.mouse.move(10, 20)\ncomputer.mouse.scroll(-5)\ncomputer.display.view()",
  );
  assertEquals(
    code({ action: "left_click_drag", start_coordinate: [1, 2], coordinate: [3, 4] }),
    "computer.mouse.drag(1, 2, 3, 4)\ncomputer.display.view()",
  );
  assertEquals(
    code({ action: "double_click", coordinate: [5, 6] }),
    "computer.mouse.click(5, 6, clicks=2)\ncomputer.display.view()",
  );
  assertEquals(code({ action: "cursor_position" }), "print(computer.mouse.position())");
  assertStringIncludes(
    code({ action: "left_click", coordinate: ["1); import os; os.system('x')", 2] }),
    "error:",
  );
  assertStringIncludes(
    code({ action: "format_disk" }),
    'error: The computer tool call was not run: unknown action "format_disk"',
  );
  assert(!computerActionCode("{not json").ok);
});
