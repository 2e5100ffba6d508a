/**
 * computer.ai asks the interpreter's own model (the key never enters the session): over real HTTP
 * to a fake OpenAI server, with an image as a PNG data URL, counted in `interpreter.usage`, and
 * refused once the budget is spent. Also from a sandboxed Python session through the channel.
 */

import { Interpreter } from "../lib/core/interpreter.ts";
import type { Computer } from "../lib/computer/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { encodePng } from "../lib/desktop/png.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { textOf } from "./helpers/computer_helpers.ts";

Deno.test("computer.ai: the interpreter's model, images as data URLs, usage and budget", async () => {
  const fake = startFakeOpenAI({
    script: [
      { text: "pong", usage: { prompt_tokens: 11, completion_tokens: 2 } },
      { text: "a red square", usage: { prompt_tokens: 90, completion_tokens: 4 } },
      { text: "from python", usage: { prompt_tokens: 5, completion_tokens: 2 } },
    ],
  });
  const cwd = await Deno.makeTempDir();
  const it = new Interpreter({
    llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-test-ai-0123456789" },
    permissions: { ...defaultPermissions({ cwd }), display: true },
  });
  try {
    const computer = it.computer as Computer;
    assertEquals(await computer.ai.chat("ping"), "pong");
    const png = encodePng({ width: 2, height: 2, data: new Uint8Array(16).fill(255) });
    assertEquals(await computer.ai.chat("what is it?", png), "a red square");
    const parts =
      (fake.requests[1].messages as { content: { type: string; image_url?: { url: string } }[] }[])[
        0
      ]
        .content;
    assert(parts[1].image_url!.url.startsWith("data:image/png;base64,iVBORw0KGgo"));
    assertEquals(it.usage.calls, 2);
    assertEquals(it.usage.promptTokens, 101);
    // From sandboxed code, through the channel: the answer comes back, the key does not go in.
    (computer as unknown as { cwd: string }).cwd = cwd;
    const out = textOf(
      await computer.run(
        "python",
        `import os
print(computer.ai.summarize("some text"))
print("key" if any("sk-test-ai" in v for v in os.environ.values()) else "no key")`,
      ),
    );
    assertStringIncludes(out, "from python");
    assertStringIncludes(out, "no key");
    assertEquals(it.usage.calls, 3);
    it.maxBudget = 0;
    await assertRejects(() => computer.ai.chat("more"), Error, "budget");
  } finally {
    await it.computer.terminate();
    await fake.close();
    await Deno.remove(cwd, { recursive: true });
  }
});
