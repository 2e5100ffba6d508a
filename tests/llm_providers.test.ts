/**
 * Provider wire formats end to end over real HTTP: Anthropic's native
 * Messages API (request shape, headers, streamed tool use run by the engine)
 * and Azure's deployment URLs and `api-key` header.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { streamCompletion } from "../lib/llm/client.ts";
import { withFakeModel } from "./helpers/fake_engine.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";

function anthropicStream(events: Record<string, unknown>[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

const toolUseTurn = anthropicStream([
  {
    type: "message_start",
    message: { role: "assistant", content: [], usage: { input_tokens: 50, output_tokens: 1 } },
  },
  { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
  {
    type: "content_block_delta",
    index: 0,
    delta: { type: "thinking_delta", thinking: "Use python." },
  },
  { type: "content_block_stop", index: 0 },
  {
    type: "content_block_start",
    index: 1,
    content_block: { type: "tool_use", id: "toolu_01abc", name: "execute", input: {} },
  },
  {
    type: "content_block_delta",
    index: 1,
    delta: { type: "input_json_delta", partial_json: '{"language": "py' },
  },
  {
    type: "content_block_delta",
    index: 1,
    delta: { type: "input_json_delta", partial_json: 'thon", "code": "print(2 ** 10)"}' },
  },
  { type: "content_block_stop", index: 1 },
  { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 30 } },
  { type: "message_stop" },
]);

const textTurn = anthropicStream([
  { type: "message_start", message: { usage: { input_tokens: 90, output_tokens: 1 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "It is 1024." } },
  { type: "content_block_stop", index: 0 },
  { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 5 } },
  { type: "message_stop" },
]);

Deno.test("anthropic: the engine runs a streamed tool_use and answers with a tool_result", async () => {
  const script = [{ sse: toolUseTurn }, { sse: textTurn }];
  const llm = { model: "anthropic/claude-sonnet-4-20250514", apiKey: "sk-ant-test" };
  await withFakeModel(script, { llm }, async (it, fake, computer) => {
    const added = await it.chat("2 to the 10th?");
    assertEquals(computer.runs.map((r) => [r.language, r.code]), [["python", "print(2 ** 10)"]]);
    assertEquals(added.map((m) => m.type), ["reasoning", "code", "console", "message"]);
    assertEquals(added.at(-1)?.content, "It is 1024.");
    assertEquals(fake.headers[0].get("x-api-key"), "sk-ant-test");
    assertEquals(fake.headers[0].get("anthropic-version"), "2023-06-01");
    assertEquals(fake.headers[0].get("authorization"), null);
    const first = fake.requests[0];
    assertEquals(first.model, "claude-sonnet-4-20250514");
    assert(typeof first.system === "string" && first.system.includes("python"));
    assertEquals(first.max_tokens, 40_000, "min(model output limit, a fifth of the 200k window)");
    assertEquals(fake.paths[0], "/v1/messages");
    assertEquals((first.tools as { name: string }[])[0].name, "execute");
    const second = fake.requests[1].messages as {
      role: string;
      content: Record<string, unknown>[];
    }[];
    assertEquals(second.at(-2)?.content.at(-1), {
      type: "tool_use",
      id: "toolu_01abc",
      name: "execute",
      input: { language: "python", code: "print(2 ** 10)" },
    });
    assertEquals(second.at(-1), {
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: "toolu_01abc",
        content: "ran python: print(2 ** 10)\n",
      }],
    });
    assertEquals(it.usage.promptTokens, 140);
    assertEquals(it.usage.completionTokens, 35);
  });
});

Deno.test("azure: deployment URL, api-version and api-key header", async () => {
  const fake = startFakeOpenAI({ script: [{ text: "hello from azure" }] });
  try {
    let text = "";
    for await (
      const ev of streamCompletion({
        model: "azure/my-gpt4o-deployment",
        messages: [{ role: "user", content: "hi" }],
        apiBase: fake.url,
        apiKey: "azure-key",
        apiVersion: "2024-10-21",
      })
    ) if (ev.type === "text") text += ev.text;
    assertEquals(text, "hello from azure");
    assertEquals(fake.headers[0].get("api-key"), "azure-key");
    assertEquals(
      fake.paths[0],
      "/v1/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=2024-10-21",
    );
    assertEquals(fake.requests[0].model, "my-gpt4o-deployment");
  } finally {
    await fake.close();
  }
});

Deno.test("fake server: /v1/models lists the configured models", async () => {
  const fake = startFakeOpenAI({ script: [], models: ["alpha", "beta"] });
  try {
    const res = await fetch(`${fake.url}/models`);
    const body = await res.json();
    assertEquals(body.data.map((m: { id: string }) => m.id), ["alpha", "beta"]);
    const missing = await fetch(`${fake.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "alpha", messages: [] }),
    });
    assertEquals(missing.status, 500, "an exhausted script answers 500");
    await missing.body?.cancel();
  } finally {
    await fake.close();
  }
});
