/** The library entry (`mod.ts`) as a user would use it: the ready default instance. */

import { assertEquals } from "./helpers/assert.ts";
import { Interpreter, interpreter, type LmcChunk } from "../mod.ts";
import { FakeComputer } from "./helpers/fake_computer.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";

Deno.test("mod.ts: the default interpreter streams and awaits like Open Interpreter's", async () => {
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "python", code: "2380*3875" }] },
      { text: "The result is 9222500." },
      { text: "Hi again." },
    ],
  });
  try {
    assertEquals(interpreter instanceof Interpreter, true);
    interpreter.computer = new FakeComputer({ answer: () => "9222500\n" });
    interpreter.llm.model = "gpt-4o";
    interpreter.llm.apiBase = fake.url;
    interpreter.llm.apiKey = "sk-mod-test";
    interpreter.autoRun = true;
    const chunks: LmcChunk[] = [];
    for await (const c of interpreter.chat("What's 2380*3875?", { stream: true, display: false })) {
      chunks.push(c);
    }
    assertEquals(
      interpreter.messages.map(({ toolCallId: _, ...m }) => m),
      [
        { role: "user", type: "message", content: "What's 2380*3875?" },
        { role: "assistant", type: "code", format: "python", content: "2380*3875" },
        { role: "computer", type: "console", format: "output", content: "9222500\n" },
        { role: "assistant", type: "message", content: "The result is 9222500." },
      ],
    );
    const added = await interpreter.chat("hello");
    assertEquals(added, [{ role: "assistant", type: "message", content: "Hi again." }]);
    assertEquals(interpreter.usage.calls, 3);
    await interpreter.reset();
    assertEquals(interpreter.messages, []);
    assertEquals(interpreter.usage.calls, 0);
  } finally {
    await fake.close();
  }
});
