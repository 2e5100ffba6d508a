/**
 * The request a model call sends is built in one place (lib/core/request.ts):
 * `interpreter.request()` is what `%tokens` counts, and it is trimmed to the
 * context window exactly as the model call's.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { FakeComputer } from "./helpers/fake_computer.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { countMessageTokens } from "../lib/core/trim.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";

Deno.test("request: the prompt really sent is trimmed to the context window less the answer", async () => {
  const interpreter = new Interpreter({
    llm: { model: "gpt-4o-mini", contextWindow: 4000, maxTokens: 500 },
    computer: new FakeComputer(),
    permissions: allowAll(),
  });
  for (let i = 0; i < 40; i++) {
    interpreter.messages.push({
      role: i % 2 ? "assistant" : "user",
      type: "message",
      content: `message ${i}: ${"lorem ipsum dolor sit amet ".repeat(40)}`,
    });
  }
  const request = await interpreter.request();
  assertEquals(request.budget, 4000 - 500 - 25);
  assertEquals(request.chat.length, 41, "system message and every message before trimming");
  assert(request.messages.length < request.chat.length, "the long conversation was trimmed");
  assert(request.messages.length > 1, "something besides the system message is sent");
  assert(await countMessageTokens(request.messages) <= request.budget);
  assert(await countMessageTokens(request.chat) > request.budget, "control: untrimmed is over");
  assertEquals(request.messages[0].role, "system");
  // The last message is always kept; the loop message comes after it when looping.
  assertStringIncludes(String(request.messages.at(-1)!.content), "message 39");
  const looping = await interpreter.request({ loopPending: true });
  assertEquals(looping.messages.at(-1)!.content, interpreter.loopMessage);
});
