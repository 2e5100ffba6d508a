/**
 * The stream reader over real HTTP: line ends (CR, CRLF, LF) and a leading
 * byte-order mark (issue 10 §7), a provider that trickles bytes without
 * completing an event (issue 11 item 5), invalid JSON in a data line (item 6),
 * and the first-byte / stall bounds as settings (`--first_byte_timeout`,
 * `--stall_timeout`, `llm.first_byte_timeout`, `llm.stall_timeout`).
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import type { CompletionEvent, streamCompletion } from "../lib/llm/client.ts";
import type { LlmError } from "../lib/llm/errors.ts";
import { SseParser } from "../lib/llm/sse.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { streamCall } from "./helpers/llm_stream.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { interpreterOptionsFromProfile } from "../lib/terminal/settings.ts";

async function collect(
  script: FakeTurn[],
  extra: Partial<Parameters<typeof streamCompletion>[0]> = {},
): Promise<{ events: CompletionEvent[]; error?: LlmError; ms: number }> {
  const fake = startFakeOpenAI({ script });
  const t0 = Date.now();
  try {
    const call = await streamCall({
      model: "openai/gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      apiBase: fake.url,
      apiKey: "sk-test-key-123456",
      maxRetries: 0,
      ...extra,
    });
    return { ...call, ms: Date.now() - t0 };
  } finally {
    await fake.close();
  }
}

function textOf(events: CompletionEvent[]): string {
  return events.map((e) => e.type === "text" ? e.text : "").join("");
}

const chunk = (content: string, finish: string | null = null) =>
  JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

function body(lineEnd: string, bom = false): string {
  const events = [chunk("one "), chunk("two "), chunk("three", "stop"), "[DONE]"];
  return (bom ? "\uFEFF" : "") +
    events.map((e) => `data: ${e}${lineEnd}${lineEnd}`).join("");
}

for (const [name, lineEnd] of [["LF", "\n"], ["CRLF", "\r\n"], ["bare CR", "\r"]]) {
  Deno.test(`streams: ${name} line ends keep every event apart`, async () => {
    const { events, error } = await collect([{ sse: body(lineEnd) }]);
    assertEquals(error, undefined);
    assertEquals(textOf(events), "one two three");
  });
}

Deno.test("streams: bare CR split across network reads still ends lines", async () => {
  // 7-byte network pieces: some end right after a CR, so the parser must wait for the next byte.
  const whole = body("\r");
  const { events, error } = await collect([
    { binary: new TextEncoder().encode(whole), chunkSize: 7, contentType: "text/event-stream" },
  ]);
  assertEquals(error, undefined);
  assertEquals(textOf(events), "one two three");
});

Deno.test("streams: a byte-order mark before the first event does not lose it", async () => {
  const { events, error } = await collect([{ sse: body("\n", true) }]);
  assertEquals(error, undefined);
  assertEquals(textOf(events), "one two three");
});

Deno.test("streams: the SSE parser drops a leading BOM and splits on CR, CRLF and LF", () => {
  const parser = new SseParser();
  const events = [
    ...parser.push("\uFEFFdata: a\r\rdata: b\r"),
    ...parser.push("\ndata: c\r\n\r\ndata: d\n\n"),
    ...parser.end(),
  ];
  assertEquals(events.map((e) => e.data), ["a", "b\nc", "d"]);
});

Deno.test("streams: a trickle of bytes that never completes an event hits the stall bound", async () => {
  // Headers, one complete event, then a byte every 50 ms with no line end: the old timer restarted
  // on every byte and waited forever.
  const { events, error, ms } = await collect(
    [{ trickle: `data: ${chunk("partial ")}\n\ndata: {"choices":`, everyMs: 50 }],
    // The outer bound only keeps a regression from hanging the suite (it would end as "cancelled").
    { timeouts: { idle: 600 }, signal: AbortSignal.timeout(20_000) },
  );
  assert(error, "the trickle ends in an error");
  assertEquals(error.kind, "timeout");
  assertStringIncludes(error.message, "no complete event for 1s");
  assertStringIncludes(error.message, "what arrived is kept");
  assertStringIncludes(error.message, "--stall_timeout");
  assertEquals(textOf(events), "partial ");
  assert(ms < 30_000, `ended after ${ms} ms`);
});

Deno.test("streams: 'what arrived is kept' is said only when something arrived", async () => {
  const { error } = await collect([{ trickle: "data: {", everyMs: 50 }], {
    timeouts: { idle: 400 },
    signal: AbortSignal.timeout(20_000),
  });
  assert(error);
  assertEquals(error.kind, "timeout");
  assert(!error.message.includes("kept"), error.message);
  const cut = await collect([{ stall: "body" }], { timeouts: { idle: 300 } });
  assert(cut.error && !cut.error.message.includes("kept"), cut.error?.message);
});

Deno.test("streams: invalid JSON in a data line ends the turn with a provider error", async () => {
  const sse = `data: ${chunk("Hello ")}\n\ndata: {"choices":[{"delta":{"content":"wor\n\n` +
    `data: ${chunk("ld", "stop")}\n\ndata: [DONE]\n\n`;
  const { events, error } = await collect([{ sse }]);
  assert(error, "invalid JSON is not dropped silently");
  assertEquals(error.kind, "provider");
  assert(!error.message.includes("\n"));
  assertStringIncludes(error.message, "not valid JSON");
  assertStringIncludes(error.message, "what arrived is kept");
  assertEquals(textOf(events), "Hello ");
});

Deno.test("streams: the CLI reports invalid JSON in one line and fails (exit 1)", async () => {
  const fake = startFakeOpenAI({
    script: [{ sse: `data: ${chunk("Hi")}\n\ndata: {oops\n\ndata: [DONE]\n\n` }],
  });
  const home = await Deno.makeTempDir();
  try {
    const run = await runCli([...modelArgs(fake.url), "-y", "say hi"], { home });
    assertEquals(run.code, 1, run.stdout + run.stderr);
    assertStringIncludes(run.stdout + run.stderr, "not valid JSON");
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("streams: --first_byte_timeout and --stall_timeout bound the waits of the CLI", async () => {
  const fake = startFakeOpenAI({ script: [{ stall: "headers" }, { stall: "body" }] });
  const home = await Deno.makeTempDir();
  try {
    const first = await runCli([...modelArgs(fake.url), "--first_byte_timeout", "0.5", "hi"], {
      home,
    });
    assertEquals(first.code, 1, first.stdout + first.stderr);
    assertStringIncludes(first.stdout + first.stderr, "within 1s");
    const stall = await runCli([...modelArgs(fake.url), "--stall_timeout", "0.5", "hi"], {
      home,
    });
    assertEquals(stall.code, 1, stall.stdout + stall.stderr);
    assertStringIncludes(stall.stdout + stall.stderr, "--stall_timeout");
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("streams: llm.first_byte_timeout and llm.stall_timeout map to the client's bounds", () => {
  const options = interpreterOptionsFromProfile({
    llm: { model: "gpt-4o", first_byte_timeout: 12, stall_timeout: 30.5 },
  });
  assertEquals(options.llm?.timeouts, { firstByte: 12_000, idle: 30_500 });
  const none = interpreterOptionsFromProfile({ llm: { model: "gpt-4o" } });
  assertEquals(none.llm?.timeouts, undefined);
});

Deno.test("streams: a bound that is not positive is refused in one line", async () => {
  const { error } = await collect([{ text: "never sent" }], { timeouts: { idle: -5000 } });
  assert(error);
  assertEquals(error.kind, "bad_request");
  assertStringIncludes(error.message, "--stall_timeout");
});

Deno.test("streams: a bound flag that is not above zero exits 2 with one line", async () => {
  const home = await Deno.makeTempDir();
  try {
    for (const args of [["--stall_timeout", "-5"], ["--first_byte_timeout", "0"]]) {
      const run = await runCli([...args, "hi"], { home });
      assertEquals(run.code, 2, run.stderr);
      assertStringIncludes(run.stderr, `${args[0]} expects a number above 0`);
      assertEquals(run.stderr.trim().split("\n").length, 1);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
