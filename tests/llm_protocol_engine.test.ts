/**
 * The engine through the new protocols over real HTTP: a Responses API turn
 * and a Bedrock Converse turn each call the `execute` tool, the code runs
 * (on a fake computer), its output goes back in the protocol's own shape
 * (`function_call_output` input items; a `toolResult` block), and the answer
 * follows. Reasoning is shown as reasoning and never run. The streams use
 * the event shapes of the recordings in tests/fixtures/providers/ with the
 * engine's own tool; Bedrock's are framed with AWS's codec.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { withFakeModel } from "./helpers/fake_engine.ts";
import { EventStreamCodec } from "npm:@smithy/eventstream-codec@4.5.2";
import { fromUtf8, toUtf8 } from "npm:@smithy/util-utf8@4.5.2";

function responsesStream(events: Record<string, unknown>[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

const ARGS = JSON.stringify({ language: "python", code: "print(6 * 7)" });

const responsesToolTurn = responsesStream([
  { type: "response.created", response: { status: "in_progress" } },
  { type: "response.output_item.added", output_index: 0, item: { type: "reasoning", id: "rs_1" } },
  { type: "response.reasoning_summary_part.added", item_id: "rs_1", summary_index: 0 },
  { type: "response.reasoning_summary_text.delta", item_id: "rs_1", delta: "Multiply in Python." },
  {
    type: "response.output_item.added",
    output_index: 1,
    item: {
      type: "function_call",
      id: "fc_1",
      call_id: "call_resp_1",
      name: "execute",
      arguments: "",
    },
  },
  ...[ARGS.slice(0, 20), ARGS.slice(20)].map((delta) => ({
    type: "response.function_call_arguments.delta",
    item_id: "fc_1",
    output_index: 1,
    delta,
  })),
  {
    type: "response.completed",
    response: { status: "completed", usage: { input_tokens: 40, output_tokens: 12 } },
  },
]);

const responsesTextTurn = responsesStream([
  { type: "response.output_text.delta", item_id: "msg_1", delta: "It is 42." },
  {
    type: "response.completed",
    response: { status: "completed", usage: { input_tokens: 60, output_tokens: 4 } },
  },
]);

Deno.test("responses: the engine runs a Responses function call and sends its output back", async () => {
  const script = [{ sse: responsesToolTurn }, { sse: responsesTextTurn }];
  const llm = { model: "openai/o3-pro", apiKey: "sk-test-0123456789" };
  await withFakeModel(script, { llm }, async (it, fake, computer) => {
    const added = await it.chat("6 times 7?");
    assertEquals(computer.runs.map((r) => [r.language, r.code]), [["python", "print(6 * 7)"]]);
    assertEquals(added.map((m) => m.type), ["reasoning", "code", "console", "message"]);
    assertEquals(added[0].content, "Multiply in Python.");
    assertEquals(added.at(-1)?.content, "It is 42.");
    assertEquals(fake.paths, ["/v1/responses", "/v1/responses"]);
    const input = fake.requests[1].input as Record<string, unknown>[];
    const call = input.find((i) => i.type === "function_call")!;
    const output = input.find((i) => i.type === "function_call_output")!;
    assertEquals(call.name, "execute");
    assertEquals(JSON.parse(String(call.arguments)), { language: "python", code: "print(6 * 7)" });
    assertEquals(output.call_id, call.call_id);
    assertEquals(output.output, "ran python: print(6 * 7)\n");
    assert(typeof fake.requests[0].instructions === "string", "the system message is instructions");
  });
});

function bedrockStream(events: Record<string, unknown>[]): Uint8Array {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const text = (value: string) => ({ type: "string" as const, value });
  const parts = events.map((e) => {
    const [type, payload] = Object.entries(e)[0];
    return codec.encode({
      headers: {
        ":event-type": text(type),
        ":content-type": text("application/json"),
        ":message-type": text("event"),
      },
      body: fromUtf8(JSON.stringify(payload)),
    });
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

Deno.test("bedrock: the engine runs a Converse toolUse and answers with a toolResult", async () => {
  const toolTurn = bedrockStream([
    { messageStart: { role: "assistant" } },
    {
      contentBlockDelta: {
        contentBlockIndex: 0,
        delta: { reasoningContent: { text: "Use Python." } },
      },
    },
    { contentBlockStop: { contentBlockIndex: 0 } },
    {
      contentBlockStart: {
        contentBlockIndex: 1,
        start: { toolUse: { toolUseId: "tooluse_abc123", name: "execute" } },
      },
    },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: ARGS } } } },
    { contentBlockStop: { contentBlockIndex: 1 } },
    { messageStop: { stopReason: "tool_use" } },
    { metadata: { usage: { inputTokens: 50, outputTokens: 20, totalTokens: 70 } } },
  ]);
  const textTurn = bedrockStream([
    { messageStart: { role: "assistant" } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "It is 42." } } },
    { messageStop: { stopReason: "end_turn" } },
    { metadata: { usage: { inputTokens: 90, outputTokens: 5, totalTokens: 95 } } },
  ]);
  const script = [{ binary: toolTurn, chunkSize: 50 }, { binary: textTurn }];
  // A Bedrock API key (bearer): no process environment is changed by this test.
  const llm = {
    model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
    apiKey: "bedrock-api-key-0123456789",
  };
  await withFakeModel(script, { llm }, async (it, fake, computer) => {
    const added = await it.chat("6 times 7?");
    assertEquals(computer.runs.map((r) => [r.language, r.code]), [["python", "print(6 * 7)"]]);
    assertEquals(added.map((m) => m.type), ["reasoning", "code", "console", "message"]);
    assertEquals(added.at(-1)?.content, "It is 42.");
    const messages = fake.requests[1].messages as { role: string; content: Block[] }[];
    assertEquals(messages.at(-2)?.content.at(-1), {
      toolUse: {
        toolUseId: "tooluse_abc123",
        name: "execute",
        input: { language: "python", code: "print(6 * 7)" },
      },
    });
    assertEquals(messages.at(-1), {
      role: "user",
      content: [{
        toolResult: {
          toolUseId: "tooluse_abc123",
          content: [{ text: "ran python: print(6 * 7)\n" }],
          status: "success",
        },
      }],
    });
    assertEquals(it.usage.promptTokens, 140);
    assertEquals(fake.headers[0].get("authorization"), "Bearer bedrock-api-key-0123456789");
  });
});

type Block = Record<string, unknown>;
