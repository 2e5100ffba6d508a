/**
 * Every recorded provider stream in tests/fixtures/providers/ is replayed by
 * the fake server over real HTTP/SSE and assembled by the model client; each
 * test asserts the assembled text, reasoning, tool calls and finish reason.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { type CompletionEvent, streamCompletion } from "../lib/llm/client.ts";
import type { AssembledTurn } from "../lib/llm/assembler.ts";
import { LlmError } from "../lib/llm/errors.ts";
import { FIXTURES_DIR, startFakeOpenAI } from "./helpers/fake_openai_server.ts";

interface Expected {
  text?: string | { startsWith: string; includes?: string };
  reasoning?:
    | string
    | { startsWith: string; includes?: string; endsWith?: string; length?: number };
  calls: [string, unknown][];
  ids?: string[];
  finish: string | null;
  usage?: [number, number];
}

const EXPECTED: Record<string, Expected> = {
  "anthropic-messages__claude-sonnet-4__parallel-tool-use.sse": {
    text: "I'll add and multiply the numbers 2 and 3 for you.",
    calls: [["add", { a: 2, b: 3 }], ["multiply", { a: 2, b: 3 }]],
    ids: ["toolu_01UYxUYC2zRPY8wiutnF48eP", "toolu_01VaRx1jpWCvPhi7L4kywAcd"],
    finish: "tool_calls",
    usage: [502, 137],
  },
  "anthropic-messages__claude-sonnet-4__text-then-tool-use.sse": {
    text: "I'll check the current weather in Paris for you.",
    calls: [["get_weather", { location: "Paris" }]],
    finish: "tool_calls",
    usage: [377, 65],
  },
  "anthropic-openai-compat__haiku-4.5__tool-index-starts-at-1.sse": {
    text: "Reading it.",
    calls: [["read_file", { path: "a.txt" }]],
    ids: ["toolu_sanitized"],
    finish: "tool_calls",
  },
  "azure-openai__gpt-5-mini__tool-call.sse": {
    text: "",
    calls: [["weather", { location: "Florence, Italy" }]],
    finish: "tool_calls",
    usage: [145, 154],
  },
  "azure-openai__model-router-gpt-5-nano__text.chunks.txt": {
    text: "Capital of Denmark.",
    calls: [],
    finish: "stop",
    usage: [15, 78],
  },
  "deepseek__chat__text-then-parallel-tool-calls.sse": {
    text: { startsWith: "I can help you get both the weather and time in Boston, MA." },
    calls: [
      ["getCurrentWeather", { location: "Boston, MA", unit: "fahrenheit" }],
      ["getCurrentTime", { location: "Boston, MA" }],
    ],
    finish: "tool_calls",
    usage: [415, 118],
  },
  "deepseek__reasoner__reasoning-then-tool-call.chunks.txt": {
    text: "",
    reasoning: { startsWith: "The user is asking for the weather in San Francisco." },
    calls: [["weather", { location: "San Francisco" }]],
    finish: "tool_calls",
  },
  "gemini-openai-compat__2.0-flash__tool-call-single-chunk.sse": {
    text: "",
    calls: [["return_list_of_int", { value: [1, 2, 3, 4, 5] }]],
    finish: "stop",
    usage: [25, 8],
  },
  "groq__kimi-k2__parallel-tool-calls.sse": {
    text: "I'll perform both addition and multiplication on the numbers 2 and 3 for you.",
    calls: [["add", { a: 2, b: 3 }], ["multiply", { a: 2, b: 3 }]],
    ids: ["functions.add:0", "functions.multiply:1"],
    finish: "tool_calls",
  },
  "llamacpp__gpt-oss-20b__reasoning-then-tool-call.sse": {
    text: "",
    reasoning: { startsWith: "User wants weather in Florence, Italy." },
    calls: [["weather", { location: "Florence, Italy" }]],
    finish: "tool_calls",
  },
  "mistral__large__parallel-tool-calls-no-index.sse": {
    text: "",
    calls: [["plus", { a: 1, b: 2 }], ["minus", { a: 2, b: 1 }]],
    ids: ["nqjf8Hqe1", "ATcpCKul3"],
    finish: "tool_calls",
  },
  "mistral__magistral-medium__thinking-array-and-codeblock.sse": {
    text: {
      startsWith: "To cross the street safely, follow these steps:",
      includes: "```markdown\n",
    },
    reasoning: { startsWith: "Okay, the user is asking how to cross the street." },
    calls: [],
    finish: "stop",
  },
  "ollama__llama3.1__tool-call-no-index-finish-stop.sse": {
    text: "",
    calls: [["return_bool", { value: true }]],
    ids: ["call_kve3oltz"],
    finish: "stop",
  },
  "ollama__qwen3__reasoning-then-tool-call.sse": {
    text: "",
    reasoning: { startsWith: "Okay, the user is asking for the weather in Berlin" },
    calls: [["weather", { latitude: "52.5200", longitude: "13.4050" }]],
    finish: "tool_calls",
  },
  "openai__gpt-4.1-nano__markdown-text.chunks.txt": {
    text: { startsWith: "**Holiday Name:** Harmony Day\n\n**Date:**" },
    calls: [],
    finish: "stop",
    usage: [16, 300],
  },
  "openai__gpt-4o-mini__tool-call.sse": {
    text: "",
    calls: [["get_capital", { country: "UK" }]],
    finish: "tool_calls",
    usage: [53, 15],
  },
  "openai__gpt-4o__long-tool-args-structured-output.sse": {
    text: "",
    calls: [["final_result", {
      answers: [
        { label: "Capital", answer: "The capital of Mexico is Mexico City." },
        { label: "Weather", answer: "The weather in Mexico City is currently sunny." },
        { label: "Product Name", answer: "The product name is Pydantic AI." },
      ],
    }]],
    finish: "tool_calls",
  },
  "openai__gpt-4o__parallel-tool-calls.sse": {
    text: "",
    calls: [
      ["GetWeatherArgs", { city: "Edinburgh", country: "GB", units: "c" }],
      ["get_stock_price", { ticker: "AAPL", exchange: "NASDAQ" }],
    ],
    finish: "tool_calls",
    usage: [149, 60],
  },
  "openai__gpt-4o__python-codeblock-text.jsonl": {
    text: {
      startsWith: "Certainly! Let's look at a specific example in Python",
      includes: "```python\nimport pandas as pd\n",
    },
    calls: [],
    finish: "stop",
  },
  "openrouter__claude-haiku-4.5__parallel-tool-calls.sse": {
    text: "",
    calls: [["add", { a: 2, b: 3 }], ["multiply", { a: 2, b: 3 }]],
    finish: "tool_calls",
  },
  "openrouter__gemini-2.5-flash__parallel-tool-calls-in-one-chunk.sse": {
    text: "",
    calls: [
      ["getCurrentWeather", { location: "Boston, MA" }],
      ["getCurrentTime", { location: "Boston, MA" }],
    ],
    finish: "tool_calls",
    usage: [71, 12],
  },
  "openrouter__kimi-k2-novita__repeated-tool-call-chunk-no-finish.sse": {
    text: "",
    calls: [["llm_version", {}]],
    ids: ["0"],
    finish: null,
    usage: [57, 17],
  },
  "openrouter__kimi-k2.5__reasoning-then-parallel-tool-calls.sse": {
    text: "",
    // `reasoning` and `reasoning_details` carry the same text: it must appear once.
    reasoning: {
      startsWith: " The user wants me to add and multiply the numbers 2 and 3.",
      endsWith: "e them in the same function_calls block.",
      length: 240,
    },
    calls: [["add", { a: 2, b: 3 }], ["multiply", { a: 2, b: 3 }]],
    finish: "tool_calls",
  },
  "openrouter__mistral-medium-3__parallel-tool-calls-in-one-chunk.sse": {
    text: "",
    calls: [
      ["getCurrentWeather", { location: "Boston, MA", unit: "fahrenheit" }],
      ["getCurrentTime", { location: "Boston, MA" }],
    ],
    finish: "tool_calls",
  },
  "tgi__llama-3.1-8b__tool-call.json": {
    text: "",
    calls: [["get_current_weather", { location: "Brooklyn, NY", format: "fahrenheit" }]],
    finish: null,
  },
  "together__deepseek-r1__think-tags-in-content.sse": {
    text: { startsWith: "Crossing the street safely requires attention" },
    reasoning: { startsWith: 'Okay, the user asked "How do I cross the street?"' },
    calls: [],
    finish: "stop",
  },
  "vllm__qwen3-0.6b__think-in-content-then-tool-call.jsonl": {
    text: "",
    reasoning: { startsWith: "Okay, the user is asking about the weather in San Francisco" },
    calls: [["get_weather", { location: "San Francisco, CA" }]],
    finish: "tool_calls",
  },
  "watsonx__llama-3.3-70b__python-codeblock-text.jsonl": {
    text: { startsWith: "### Example: To-Do List App", includes: "```python\n# to_do_list.py\n" },
    calls: [],
    finish: "stop",
  },
};

async function replay(
  fixture: string,
): Promise<{ turn: AssembledTurn; events: CompletionEvent[] }> {
  const fake = startFakeOpenAI({ script: [{ fixture }] });
  const model = fixture.startsWith("anthropic-messages")
    ? "anthropic/claude-sonnet-4-20250514"
    : "openai/fixture-model";
  const events: CompletionEvent[] = [];
  try {
    for await (
      const ev of streamCompletion({
        model,
        messages: [{ role: "user", content: "hi" }],
        apiBase: fake.url,
        apiKey: "sk-test",
      })
    ) events.push(ev);
  } finally {
    await fake.close();
  }
  const done = events.find((e) => e.type === "done");
  assert(done && done.type === "done", "the stream ends with a done event");
  return { turn: done.turn, events };
}

function check(actual: string, expected: Expected["text"] | Expected["reasoning"], what: string) {
  if (expected === undefined) return;
  if (typeof expected === "string") return assertEquals(actual, expected, what);
  assert(actual.startsWith(expected.startsWith), `${what} starts with ${expected.startsWith}`);
  if (expected.includes) assertStringIncludes(actual, expected.includes, what);
  if ("endsWith" in expected && expected.endsWith) {
    assert(actual.endsWith(expected.endsWith), `${what} ends with ${expected.endsWith}`);
  }
  if ("length" in expected && expected.length !== undefined) {
    assertEquals(actual.length, expected.length, `${what} length`);
  }
}

Deno.test("llm fixtures: every fixture file has an expectation", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(FIXTURES_DIR)) {
    if (entry.name !== "README.md") files.push(entry.name);
  }
  const covered = [
    ...Object.keys(EXPECTED),
    "groq__gpt-oss-120b__midstream-error-event-tool-use-failed.sse",
    // Bedrock's Converse stream and OpenAI's Responses API: replayed in llm_protocols.test.ts.
    "bedrock-converse__claude-3.7-sonnet__redacted-reasoning-then-text.eventstream",
    "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream",
    "bedrock-converse__nova-micro__thinking-tags-then-tool-use.eventstream",
    "openai-responses__gpt-4o__function-call.sse",
    "openai-responses__gpt-4o__text-after-function-output.sse",
    "openai-responses__gpt-5.1-codex-max__reasoning-summary-then-function-call.chunks.txt",
    "openai-responses__response-failed-insufficient-quota.chunks.txt",
    "aws-eventstream__test-vectors.json", // AWS's encoding vectors, also in llm_protocols
  ];
  assertEquals(files.sort(), covered.sort());
});

for (const [fixture, expected] of Object.entries(EXPECTED)) {
  Deno.test(`llm fixture ${fixture}`, async () => {
    const { turn, events } = await replay(fixture);
    check(turn.text, expected.text, "text");
    if (expected.reasoning === undefined) assertEquals(turn.reasoning, "", "no reasoning");
    else check(turn.reasoning, expected.reasoning, "reasoning");
    assert(
      !turn.text.includes("<think>") && !turn.text.includes("</think>"),
      "no think tags in text",
    );
    assertEquals(
      turn.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)]),
      expected.calls,
      "tool calls",
    );
    if (expected.ids) assertEquals(turn.toolCalls.map((c) => c.id), expected.ids);
    assertEquals(
      new Set(turn.toolCalls.map((c) => c.id)).size,
      turn.toolCalls.length,
      "ids unique",
    );
    assertEquals(turn.finishReason, expected.finish, "finish reason");
    if (expected.usage) {
      assertEquals([turn.usage?.promptTokens, turn.usage?.completionTokens], expected.usage);
    }
    // The streamed pieces add up to the assembled answer.
    const text = events.map((e) => e.type === "text" ? e.text : "").join("");
    const reasoning = events.map((e) => e.type === "reasoning" ? e.text : "").join("");
    assertEquals(text, turn.text);
    assertEquals(reasoning, turn.reasoning);
  });
}

Deno.test("llm fixture groq__gpt-oss-120b__midstream-error-event-tool-use-failed.sse", async () => {
  const fake = startFakeOpenAI({
    script: [{ fixture: "groq__gpt-oss-120b__midstream-error-event-tool-use-failed.sse" }],
  });
  const reasoning: string[] = [];
  try {
    const error = await assertRejects(async () => {
      for await (
        const ev of streamCompletion({
          model: "groq/openai/gpt-oss-120b",
          messages: [{ role: "user", content: "hi" }],
          apiBase: fake.url,
          apiKey: "sk-test",
        })
      ) if (ev.type === "reasoning") reasoning.push(ev.text);
    }, LlmError);
    assertEquals((error as LlmError).kind, "provider");
    assertStringIncludes((error as Error).message, "Tool call validation failed");
    assert(!(error as Error).message.includes("\n"), "one line");
    assert(reasoning.join("").length > 50, "the reasoning before the error arrived");
  } finally {
    await fake.close();
  }
});
