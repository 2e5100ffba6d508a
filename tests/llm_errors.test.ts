/**
 * Every way a model call can fail ends in one clear LlmError naming the cause
 * and the fix; retries honour Retry-After; nothing already received is lost.
 * Real HTTP against the fake server.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { type CompletionEvent, streamCompletion } from "../lib/llm/client.ts";
import { LlmError } from "../lib/llm/errors.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { FakeComputer } from "./helpers/fake_computer.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { oneLine, streamCall } from "./helpers/llm_stream.ts";

async function collect(
  script: FakeTurn[],
  extra: Partial<Parameters<typeof streamCompletion>[0]> = {},
  serverOptions: { apiKey?: string } = {},
): Promise<{ events: CompletionEvent[]; error?: LlmError; requests: number }> {
  const fake = startFakeOpenAI({ script, ...serverOptions });
  try {
    const call = await streamCall({
      model: "openai/gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      apiBase: fake.url,
      apiKey: "sk-test-key-123456",
      ...extra,
    });
    return { ...call, requests: fake.requests.length };
  } finally {
    await fake.close();
  }
}

Deno.test("llm errors: a missing key names the variable to set", async () => {
  const error = await assertRejects(async () => {
    for await (
      const _ of streamCompletion({
        model: "groq/llama-3.3-70b-versatile",
        messages: [{ role: "user", content: "hi" }],
        apiKey: undefined,
        // An empty environment, whatever keys this machine has (and no request goes out).
        env: () => undefined,
      })
    ) { /* nothing */ }
  }, LlmError);
  assertEquals((error as LlmError).kind, "missing_key");
  assertStringIncludes(error.message, "GROQ_API_KEY");
});

Deno.test("llm errors: a wrong key (401) says to check the key and never shows it", async () => {
  const { error, requests } = await collect([{ text: "never" }], {}, { apiKey: "right-key" });
  const message = oneLine(error);
  assertEquals(error!.kind, "auth");
  assertEquals(error!.status, 401);
  assertStringIncludes(message, "401");
  assertStringIncludes(message, "OPENAI_API_KEY");
  assert(!message.includes("sk-test-key-123456"), "the key is not in the message");
  assertEquals(requests, 1, "401 is not retried");
});

Deno.test("llm errors: a rejected key names where it came from, never the key", async () => {
  const wrong = "sk-wrong-key-7777777777";
  const env = (name: string) => name === "OPENAI_API_KEY" ? wrong : undefined;
  // From the provider's variable.
  const fromEnv = oneLine(
    (await collect([{ text: "never" }], { apiKey: undefined, env }, { apiKey: "right" })).error,
  );
  assertStringIncludes(fromEnv, "The key came from OPENAI_API_KEY");
  assert(!fromEnv.includes(wrong), fromEnv);
  // Given by the caller, who says where it came from.
  const given = oneLine(
    (await collect([{ text: "never" }], { apiKey: wrong, apiKeySource: "--api-key", env }, {
      apiKey: "right",
    })).error,
  );
  assertStringIncludes(given, "The key came from --api-key");
  assert(!given.includes(wrong), given);
  // `gpt-4o` at a custom address: OPENAI_API_KEY is not sent there, and the message says so.
  const custom = await collect([{ text: "never" }], { model: "gpt-4o", apiKey: undefined, env }, {
    apiKey: "right",
  });
  const message = oneLine(custom.error);
  assertEquals(custom.error!.kind, "auth");
  assertStringIncludes(message, "No key was sent");
  assertStringIncludes(message, "OPENAI_API_KEY is sent there only with -m openai/gpt-4o");
  assertStringIncludes(message, "--api-key");
  assert(!message.includes(wrong), message);
});

Deno.test("llm errors: an unknown model (404) names the model and the fix", async () => {
  const { error } = await collect([{
    status: 404,
    body: { error: { message: "The model `gpt-9` does not exist", code: "model_not_found" } },
  }], { model: "openai/gpt-9" });
  const message = oneLine(error);
  assertEquals(error!.kind, "not_found");
  assertStringIncludes(message, '"openai/gpt-9"');
  assertStringIncludes(message, "--model");
  assertStringIncludes(message, "does not exist");
});

Deno.test("llm errors: 429 with Retry-After is retried after the wait, then succeeds", async () => {
  const { events, error, requests } = await collect([
    { status: 429, headers: { "retry-after": "1" } },
    { text: "Hello after waiting." },
  ]);
  assertEquals(error, undefined);
  assertEquals(requests, 2);
  const retry = events.find((e) => e.type === "retry");
  assert(retry && retry.type === "retry");
  assertEquals(retry.delayMs, 1000, "the Retry-After header was honoured");
  const done = events.find((e) => e.type === "done");
  assert(done && done.type === "done");
  assertEquals(done.turn.text, "Hello after waiting.");
});

Deno.test("llm errors: 429 that persists ends with a rate-limit message", async () => {
  const tooMany = { status: 429, headers: { "retry-after-ms": "10" } };
  const { error, requests } = await collect([tooMany, tooMany, tooMany], { maxRetries: 2 });
  const message = oneLine(error);
  assertEquals(error!.kind, "rate_limit");
  assertEquals(requests, 3);
  assertStringIncludes(message, "429");
  assertStringIncludes(message, "2 retries");
});

Deno.test("llm errors: insufficient quota is not retried and says to add credit", async () => {
  const { error, requests } = await collect([{
    status: 429,
    body: { error: { message: "You exceeded your current quota", code: "insufficient_quota" } },
  }]);
  assertEquals(error!.kind, "rate_limit");
  assertEquals(requests, 1);
  assertStringIncludes(oneLine(error), "credit");
});

Deno.test("llm errors: a 5xx is retried; persisting 5xx ends with a server-error message", async () => {
  const ok = await collect([{ status: 502, headers: { "retry-after-ms": "5" } }, { text: "fine" }]);
  assertEquals(ok.error, undefined);
  assertEquals(ok.requests, 2);
  const bad = await collect([
    { status: 500, headers: { "retry-after-ms": "5" } },
    { status: 503, headers: { "retry-after-ms": "5" } },
  ], { maxRetries: 1 });
  assertEquals(bad.error!.kind, "server");
  assertStringIncludes(oneLine(bad.error), "server error");
});

Deno.test("llm errors: no response headers in time is a timeout", async () => {
  const { error } = await collect([{ stall: "headers" }], { timeouts: { firstByte: 300 } });
  assertEquals(error!.kind, "timeout");
  assertStringIncludes(oneLine(error), "No answer");
});

Deno.test("llm errors: a stream that goes quiet is a timeout and keeps what arrived", async () => {
  const { error } = await collect([{ stall: "body" }], { timeouts: { idle: 300 } });
  assertEquals(error!.kind, "timeout");
  assertStringIncludes(oneLine(error), "stopped sending");
});

Deno.test("llm errors: a stream closed mid-answer is reported; the text received is kept", async () => {
  const clean = await collect([{ cutOff: "The first half of the ans" }]);
  assertEquals(clean.error!.kind, "stream_cut");
  assertStringIncludes(oneLine(clean.error), "broke off");
  const text = clean.events.map((e) => e.type === "text" ? e.text : "").join("");
  assertEquals(text, "The first half of the ans");

  const abrupt = await collect([{ cutOff: "Partial", abrupt: true }]);
  assertEquals(abrupt.error!.kind, "stream_cut");
  assertEquals(abrupt.events.map((e) => e.type === "text" ? e.text : "").join(""), "Partial");
});

Deno.test("llm errors: nothing listening is a connection error naming the address", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const error = await assertRejects(async () => {
    for await (
      const _ of streamCompletion({
        model: "ollama/llama3.1",
        messages: [{ role: "user", content: "hi" }],
        apiBase: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
      })
    ) { /* nothing */ }
  }, LlmError);
  assertEquals((error as LlmError).kind, "connection");
  assertStringIncludes(error.message, `127.0.0.1:${port}`);
});

Deno.test("engine: a stream cut mid-answer keeps the partial answer in messages", async () => {
  const fake = startFakeOpenAI({ script: [{ cutOff: "I will start by" }] });
  try {
    const interpreter = new Interpreter({
      computer: new FakeComputer(),
      llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-x" },
    });
    const error = await assertRejects(() => interpreter.chat("go").then(() => {}), LlmError);
    assertEquals((error as LlmError).kind, "stream_cut");
    assertEquals(interpreter.messages, [
      { role: "user", type: "message", content: "go" },
      { role: "assistant", type: "message", content: "I will start by" },
    ]);
    assertEquals(interpreter.responding, false);
  } finally {
    await fake.close();
  }
});

Deno.test("engine: 429 then success shows a retry status chunk and answers", async () => {
  const fake = startFakeOpenAI({
    script: [{ status: 429, headers: { "retry-after-ms": "20" } }, { text: "Done." }],
  });
  try {
    const interpreter = new Interpreter({
      computer: new FakeComputer(),
      llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-x" },
    });
    const chunks = [];
    for await (const c of interpreter.chat("go", { stream: true })) chunks.push(c);
    const status = chunks.find((c) => c.type === "status" && c.format === "retry");
    assert(status, "a retry status chunk");
    assertStringIncludes(String(status.content), "429");
    assertEquals(interpreter.messages.at(-1), {
      role: "assistant",
      type: "message",
      content: "Done.",
    });
  } finally {
    await fake.close();
  }
});
