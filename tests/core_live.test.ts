/**
 * The engine and live output: chunks for the person only (`recipient: "user"`)
 * are yielded for display but never stored or sent to the model; chunks for the
 * model only (`recipient: "assistant"`) join the stored output message and keep
 * their recipient in the stream so displays skip them; one console block.
 *
 * @module
 */

import { Computer } from "../lib/computer/mod.ts";
import type { ComputerLike, RunOptions } from "../lib/computer/types.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import type { LmcChunk, LmcMessage } from "../lib/wire/lmc.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { outputChunk as out } from "./helpers/lmc_chunks.ts";

/** A computer whose one run yields a scripted mix of shared, person-only and model-only output. */
class LiveComputer implements ComputerLike {
  readonly languages = ["python"];
  #chunks: LmcChunk[];

  constructor(chunks: LmcChunk[]) {
    this.#chunks = chunks;
  }

  async run(language: string, code: string, options?: RunOptions): Promise<LmcMessage[]> {
    const out: LmcMessage[] = [];
    for await (const c of this.stream(language, code, options)) out.push(c);
    return out;
  }

  async *stream(_language: string, _code: string, _options?: RunOptions): AsyncIterable<LmcChunk> {
    for (const chunk of this.#chunks) {
      await Promise.resolve();
      yield { ...chunk };
    }
  }

  async stop(): Promise<void> {}
  async terminate(): Promise<void> {}
}

Deno.test("engine: person-only output is yielded, not stored or sent; the model's rest is stored with the head", async () => {
  const fake = startFakeOpenAI({
    script: [{ toolCalls: [{ language: "python", code: "build()" }] }, { text: "Built." }],
  });
  const computer = new LiveComputer([
    { role: "computer", type: "console", format: "active_line", content: 1 },
    out("head line\n"),
    out("live 1\n", "user"),
    out("\rprogress 50%", "user"),
    out("live 2\n", "user"),
    out("[... 900 bytes left out ...]\ntail line\n", "assistant"),
    out("[exit status 1]\n"),
    { role: "computer", type: "console", format: "active_line", content: null },
  ]);
  const it = new Interpreter({
    autoRun: true,
    computer,
    llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-engine-live-key-0000" },
  });
  try {
    const chunks: LmcChunk[] = [];
    for await (const c of it.chat("build it", { stream: true, display: false })) chunks.push(c);

    // One console block; its flags carry no recipient; every output chunk keeps its own.
    const consoleChunks = chunks.filter((c) => c.type === "console");
    assertEquals(consoleChunks.filter((c) => c.start).length, 1);
    assertEquals(consoleChunks.filter((c) => c.end).length, 1);
    assert(consoleChunks[0].start && consoleChunks.at(-1)!.end);
    assert(
      consoleChunks.filter((c) => c.start || c.end).length > 0,
      "the list checked below is not empty",
    );
    assert(consoleChunks.filter((c) => c.start || c.end).every((c) => c.recipient === undefined));
    const outputs = consoleChunks.filter((c) => c.format === "output");
    assertEquals(outputs.map((c) => [c.recipient, c.content]), [
      [undefined, "head line\n"],
      ["user", "live 1\n"],
      ["user", "\rprogress 50%"],
      ["user", "live 2\n"],
      ["assistant", "[... 900 bytes left out ...]\ntail line\n"],
      [undefined, "[exit status 1]\n"],
    ]);

    // Stored: exactly the model's text, one output message without a recipient.
    const stored = it.messages.filter((m) => m.type === "console");
    assertEquals(stored.length, 1);
    assertEquals(stored[0].recipient, undefined);
    assertEquals(
      stored[0].content,
      "head line\n[... 900 bytes left out ...]\ntail line\n[exit status 1]\n",
    );
    assert(!JSON.stringify(it.messages).includes("live 1"));

    // Sent to the model: the same text, nothing of the live part.
    const second = JSON.stringify(fake.requests[1].messages);
    assertStringIncludes(second, "tail line");
    assert(!second.includes("live 1") && !second.includes("progress 50%"));
  } finally {
    await fake.close();
  }
});

Deno.test("engine + real computer: long output streams past the head, stored and sent bounded", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "engine-live-" });
  const fake = startFakeOpenAI({
    script: [
      {
        toolCalls: [{
          language: "python",
          code: "for i in range(300): print(f'row {i:03d}')\nprint('DONE')",
        }],
      },
      { text: "Printed." },
    ],
  });
  const computer = new Computer({ dataDir, permissions: allowAll() });
  const it = new Interpreter({
    autoRun: true,
    maxOutput: 300,
    computer,
    llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-engine-live-key-0000" },
  });
  try {
    const chunks: LmcChunk[] = [];
    for await (const c of it.chat("print rows", { stream: true, display: false })) chunks.push(c);
    const outputs = chunks.filter((c) => c.type === "console" && c.format === "output");
    const person = outputs.filter((c) => c.recipient !== "assistant").map((c) => c.content)
      .join("");
    // the person saw every row (300 short lines are far under the live throttle)
    for (const row of ["row 000", "row 150", "row 299", "DONE"]) assertStringIncludes(person, row);
    const stored = it.messages.filter((m) => m.type === "console");
    assertEquals(stored.length, 1);
    const text = String(stored[0].content);
    assert(text.startsWith("row 000\n") && text.endsWith("row 299\nDONE\n"), text);
    assert(!text.includes("row 150"), "the middle is left out of the model's text");
    assert(text.length < 300 + 400, `bounded: ${text.length}`);
    const tool = (fake.requests[1].messages as { role: string; content?: unknown }[])
      .find((m) => m.role === "tool");
    assertEquals(tool?.content, text);
  } finally {
    await computer.terminate();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
