/**
 * Stopping a turn while the person is asked to approve code: the code never
 * runs, even if the consumer keeps reading the stream after the abort.
 */

import { assertEquals } from "./helpers/assert.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { FakeComputer } from "./helpers/fake_computer.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";

Deno.test("engine: aborted at the confirmation, the code does not run", async () => {
  const fake = startFakeOpenAI({
    script: [{ toolCalls: [{ language: "shell", code: "echo must-not-run" }] }, { text: "x" }],
  });
  const computer = new FakeComputer();
  const interpreter = new Interpreter({
    computer,
    llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-engine-test-key" },
  });
  try {
    const controller = new AbortController();
    const types: string[] = [];
    for await (const chunk of interpreter.chat("go", { stream: true, signal: controller.signal })) {
      types.push(chunk.type);
      if (chunk.type === "confirmation") controller.abort(); // Ctrl-C while asking
    }
    assertEquals(types.includes("confirmation"), true);
    assertEquals(computer.runs.length, 0);
    assertEquals(fake.requests.length, 1);
  } finally {
    await fake.close();
  }
});
