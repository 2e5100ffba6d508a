/**
 * Live output over the server: `/chat` passes every LMC chunk through with its
 * `recipient` (clients filter), and the OpenAI endpoint's markdown shows what
 * a person would have seen, bounded (live output up to LIVE_OUTPUT_CHARS, then
 * the model's end of the output).
 *
 * @module
 */

import { Computer } from "../lib/computer/mod.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import type { LmcChunk } from "../lib/wire/lmc.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { LIVE_OUTPUT_CHARS, MarkdownRenderer } from "../lib/server/to_markdown.ts";
import { startServer } from "../lib/server/mod.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { outputChunk as output } from "./helpers/lmc_chunks.ts";
import { readSse } from "./helpers/server_client.ts";

function markdown(chunks: LmcChunk[]): string {
  const r = new MarkdownRenderer();
  let text = "";
  for (const c of chunks) text += r.push(c).content;
  return text + r.finish();
}

Deno.test("markdown: the person's view of output: live lines in their last \\r state, not the model's end", () => {
  const text = markdown([
    { role: "computer", type: "console", start: true },
    output("head\n"),
    output("\r 10%", "user"),
    output("\r", "user"),
    output("100%\n"),
    output("live line\n", "user"),
    output("\n[... left out; Full output: /x.log ...]\ntail\n", "assistant"),
    output("[exit status 1]\n"),
    { role: "computer", type: "console", end: true },
  ]);
  assertEquals(text, "```output\nhead\n100%\nlive line\n[exit status 1]\n```\n\n");
});

Deno.test("markdown: live output is bounded; past the bound the model's end of the output shows", () => {
  const line = "x".repeat(99) + "\n";
  const chunks: LmcChunk[] = [{ role: "computer", type: "console", start: true }, output("head\n")];
  for (let i = 0; i < 1000; i++) chunks.push(output(line, "user")); // 100 KB
  chunks.push(output("\n[... 100,005 bytes ...; Full output: /x.log ...]\nTAIL\n", "assistant"));
  chunks.push({ role: "computer", type: "console", end: true });
  const text = markdown(chunks);
  assert(text.length < LIVE_OUTPUT_CHARS + 1000, `bounded: ${text.length}`);
  assertStringIncludes(text, "[... more output while it ran ...]");
  assertStringIncludes(text, "Full output: /x.log");
  assert(text.endsWith("TAIL\n```\n\n"), text.slice(-40));
});

Deno.test("server: /chat streams person-only and model-only chunks with their recipient; /v1 shows the person's view", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "server-live-" });
  const code = "for i in range(300): print(f'row {i:03d}')\nprint('DONE')";
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "python", code }] },
      { text: "Printed." },
      { toolCalls: [{ language: "python", code }] },
      { text: "Printed again." },
    ],
  });
  const computers: Computer[] = [];
  const server = await startServer({
    port: 0,
    hostname: "127.0.0.1",
    apiKey: "server-live-token",
    log: () => {},
    createInterpreter: () => {
      const computer = new Computer({ dataDir, permissions: allowAll() });
      computers.push(computer);
      return new Interpreter({
        autoRun: true,
        maxOutput: 300,
        computer,
        llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-server-live-key-000" },
      });
    },
  });
  const headers = {
    "authorization": "Bearer server-live-token",
    "content-type": "application/json",
  };
  try {
    const events = await readSse(
      await fetch(`${server.url}/chat`, {
        method: "POST",
        headers,
        body: JSON.stringify({ message: "print rows" }),
      }),
    ) as LmcChunk[];
    const outputs = events.filter((c) => c?.type === "console" && c.format === "output");
    const user = outputs.filter((c) => c.recipient === "user").map((c) => c.content).join("");
    const assistant = outputs.filter((c) => c.recipient === "assistant");
    assertStringIncludes(user, "row 150\n");
    assertEquals(assistant.length, 1);
    assertStringIncludes(String(assistant[0].content), "left out");
    assertEquals(events.at(-1), { role: "server", type: "status", content: "complete" });

    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: "interpreter",
        messages: [{ role: "user", content: "print rows again" }],
      }),
    });
    assertEquals(response.status, 200);
    const answer = (await response.json()).choices[0].message.content as string;
    for (const row of ["row 000", "row 150", "row 299", "DONE"]) assertStringIncludes(answer, row);
    assert(!answer.includes("left out"), "the model's note is not in the person's view");
    assertStringIncludes(answer, "Printed again.");
  } finally {
    await server.close();
    for (const c of computers) await c.terminate();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
