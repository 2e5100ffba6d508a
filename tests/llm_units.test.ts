/**
 * Unit tests of the model layer's pieces: SSE parsing, `<think>` splitting,
 * tool-call merging rules, provider and model resolution.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { SseParser } from "../lib/llm/sse.ts";
import { ChatStreamAssembler, type StreamEvent, ThinkSplitter } from "../lib/llm/assembler.ts";
import { resolveModel } from "../lib/llm/providers.ts";
import { modelInfo, priceOf } from "../lib/llm/models.ts";
import { toAnthropicRequest } from "../lib/llm/anthropic.ts";

Deno.test("sse: events split anywhere, comments, CRLF, multi-line data and named events", () => {
  const text =
    ': OPENROUTER PROCESSING\r\n\r\ndata: {"a":1}\r\n\r\nevent: error\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const parser = new SseParser();
    const events = [
      ...parser.push(text.slice(0, cut)),
      ...parser.push(text.slice(cut)),
      ...parser.end(),
    ];
    assertEquals(events, [
      { event: undefined, data: '{"a":1}' },
      { event: "error", data: '{"b":\n2}' },
      { event: undefined, data: "[DONE]" },
    ], `cut at ${cut}`);
  }
});

Deno.test("sse: a last event without the blank line is still delivered at the end", () => {
  const parser = new SseParser();
  assertEquals(parser.push("data: x"), []);
  assertEquals(parser.end(), [{ event: undefined, data: "x" }]);
});

function splitAll(text: string, sizes: number[]): StreamEvent[] {
  const splitter = new ThinkSplitter();
  const out: StreamEvent[] = [];
  let i = 0;
  for (const size of sizes) {
    out.push(...splitter.push(text.slice(i, i + size)));
    i += size;
  }
  out.push(...splitter.push(text.slice(i)), ...splitter.flush());
  return out;
}

function joined(events: StreamEvent[], type: "text" | "reasoning"): string {
  return events.map((e) => e.type === type ? e.text : "").join("");
}

Deno.test("think: tags split across chunks at every position", () => {
  const text = "<think>\nplan the steps\n</think>\n\nThe answer.";
  for (let size = 1; size <= text.length; size++) {
    const sizes = Array.from({ length: Math.ceil(text.length / size) }, () => size);
    const events = splitAll(text, sizes);
    assertEquals(joined(events, "reasoning"), "plan the steps\n", `size ${size}`);
    assertEquals(joined(events, "text"), "The answer.", `size ${size}`);
  }
});

Deno.test("think: text without tags, or with a tag later on, is plain text", () => {
  assertEquals(joined(splitAll("Hello <think> world", [2, 3]), "text"), "Hello <think> world");
  assertEquals(joined(splitAll("<thinking is fun", [3]), "text"), "<thinking is fun");
  assertEquals(joined(splitAll("<thi", []), "text"), "<thi", "held back, released at the end");
});

Deno.test("assembler: the same complete call sent twice is not doubled", () => {
  const a = new ChatStreamAssembler();
  const call = { index: 0, id: "0", function: { name: "f", arguments: '{"x":1}' } };
  a.push({ choices: [{ index: 0, delta: { tool_calls: [call] } }] });
  a.push({ choices: [{ index: 0, delta: { tool_calls: [call] } }] });
  assertEquals(a.result().toolCalls, [{ id: "0", name: "f", arguments: '{"x":1}' }]);
});

Deno.test("assembler: arguments null, fragments without index or id, a new id at a used index", () => {
  const a = new ChatStreamAssembler();
  const d = (tool_calls: unknown[]) => ({ choices: [{ index: 0, delta: { tool_calls } }] });
  a.push(d([{ id: "c1", function: { name: "execute", arguments: null } }]));
  a.push(d([{ function: { arguments: '{"language":' } }]));
  a.push(d([{ function: { arguments: '"python","code":"1"}' } }]));
  a.push(d([{ index: 0, id: "c2", function: { name: "execute", arguments: "{}" } }]));
  assertEquals(a.result().toolCalls, [
    { id: "c1", name: "execute", arguments: '{"language":"python","code":"1"}' },
    { id: "c2", name: "execute", arguments: "{}" },
  ]);
});

Deno.test("assembler: usage-only chunks, content-filter chunks and other choices are handled", () => {
  const a = new ChatStreamAssembler();
  a.push({ choices: [], prompt_filter_results: [{ content_filter_results: {} }] });
  a.push({ choices: [{ index: 0, delta: { content: "hi" }, content_filter_results: {} }] });
  a.push({ choices: [{ index: 1, delta: { content: "other choice" } }] });
  a.push({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  a.push({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } });
  const r = a.result();
  assertEquals(r.text, "hi");
  assertEquals(r.finishReason, "stop");
  assertEquals(r.usage, { promptTokens: 3, completionTokens: 1, cost: undefined });
});

Deno.test("providers: LiteLLM-style names choose provider, base URL and key variable", () => {
  const env = (name: string) =>
    ({ GROQ_API_KEY: "g", OPENAI_API_KEY: "o" } as Record<string, string>)[name];
  const cases: [string, string, string, string | undefined][] = [
    ["gpt-4o", "openai", "https://api.openai.com/v1", "o"],
    ["openai/gpt-4o-mini", "openai", "https://api.openai.com/v1", "o"],
    ["groq/llama-3.3-70b-versatile", "groq", "https://api.groq.com/openai/v1", "g"],
    ["ollama/llama3.1:latest", "ollama", "http://localhost:11434/v1", undefined],
    ["lmstudio/qwen", "lmstudio", "http://localhost:1234/v1", undefined],
    ["llamacpp/x", "llamacpp", "http://localhost:8080/v1", undefined],
    ["vllm/x", "vllm", "http://localhost:8000/v1", undefined],
    ["anthropic/claude-sonnet-4-20250514", "anthropic", "https://api.anthropic.com/v1", undefined],
    ["claude-3-5-haiku-latest", "anthropic", "https://api.anthropic.com/v1", undefined],
    ["together/deepseek-ai/DeepSeek-R1", "together", "https://api.together.xyz/v1", undefined],
    [
      "openrouter/anthropic/claude-haiku-4.5",
      "openrouter",
      "https://openrouter.ai/api/v1",
      undefined,
    ],
    ["mistral/mistral-large-latest", "mistral", "https://api.mistral.ai/v1", undefined],
    ["deepseek/deepseek-chat", "deepseek", "https://api.deepseek.com/v1", undefined],
    [
      "gemini/gemini-2.5-flash",
      "gemini",
      "https://generativelanguage.googleapis.com/v1beta/openai",
      undefined,
    ],
    ["xai/grok-4", "xai", "https://api.x.ai/v1", undefined],
    [
      "fireworks/accounts/fireworks/models/x",
      "fireworks",
      "https://api.fireworks.ai/inference/v1",
      undefined,
    ],
    ["cerebras/llama-3.3-70b", "cerebras", "https://api.cerebras.ai/v1", undefined],
  ];
  for (const [name, provider, base, key] of cases) {
    const r = resolveModel(name, { env });
    assertEquals([r.provider.name, r.apiBase, r.apiKey], [provider, base, key], name);
  }
  assertEquals(resolveModel("ollama/llama3.1:latest", { env }).model, "llama3.1");
  assertEquals(
    resolveModel("together/deepseek-ai/DeepSeek-R1", { env }).model,
    "deepseek-ai/DeepSeek-R1",
  );
  const custom = resolveModel("gpt-4o", { apiBase: "http://127.0.0.1:9/v1/", env });
  assertEquals(custom.apiKey, undefined, "no provider key goes to an unnamed server");
  assertEquals([custom.provider.name, custom.apiBase, custom.provider.needsKey], [
    "custom",
    "http://127.0.0.1:9/v1",
    false,
  ]);
  const azure = resolveModel("azure/my-deploy", {
    env: (n) => n === "AZURE_API_BASE" ? "https://x.openai.azure.com" : undefined,
  });
  assertEquals([azure.provider.protocol, azure.apiBase, azure.model], [
    "azure",
    "https://x.openai.azure.com",
    "my-deploy",
  ]);
});

Deno.test("models: known models have windows, tools and prices; dated names match", () => {
  assertEquals(modelInfo("gpt-4o-mini-2024-07-18")?.inputPrice, 0.15);
  assertEquals(modelInfo("openai/gpt-4o")?.contextWindow, 128_000);
  assertEquals(modelInfo("anthropic/claude-sonnet-4-20250514")?.outputPrice, 15);
  assertEquals(modelInfo("groq/moonshotai/kimi-k2-instruct-0905")?.supportsFunctions, true);
  assertEquals(modelInfo("ollama/some-local-thing"), undefined);
  const cost = priceOf("gpt-4o", { promptTokens: 1_000_000, completionTokens: 1_000_000 });
  assertEquals(cost, 12.5);
  assertEquals(priceOf("mystery", { promptTokens: 1, completionTokens: 1 }), undefined);
});

Deno.test("anthropic: requests carry system apart, tool_use and tool_result blocks, max_tokens", () => {
  const body = toAnthropicRequest("claude-sonnet-4", [
    { role: "system", content: "be brief" },
    { role: "user", content: "run it" },
    {
      role: "assistant",
      content: "ok",
      tool_calls: [{
        id: "toolu_1",
        type: "function",
        function: { name: "execute", arguments: '{"language":"python","code":"1"}' },
      }],
    },
    { role: "tool", tool_call_id: "toolu_1", content: "1" },
    { role: "user", content: "thanks" },
  ], { maxTokens: 1000, tools: [] });
  assertEquals(body.system, "be brief");
  assertEquals(body.max_tokens, 1000);
  assertEquals(body.messages, [
    { role: "user", content: [{ type: "text", text: "run it" }] },
    {
      role: "assistant",
      content: [
        { type: "text", text: "ok" },
        {
          type: "tool_use",
          id: "toolu_1",
          name: "execute",
          input: { language: "python", code: "1" },
        },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "1" },
        { type: "text", text: "thanks" },
      ],
    },
  ]);
  assert(!("tools" in body));
  assertStringIncludes(JSON.stringify(body), "tool_result");
});
