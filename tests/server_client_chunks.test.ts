/**
 * The WebSocket endpoint reads a client's LMC chunk field by field: the kinds a person sends hold
 * text, so a chunk whose `content` is not text, or whose `type` is not one of those kinds, is
 * refused with one line and never reaches the engine. A text chunk (the control) is answered.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startScriptedServer } from "./helpers/server_scripted_interpreter.ts";
import { TestSocket } from "./helpers/server_client.ts";

const TOKEN = "client-chunks-token";

Deno.test("server: a client chunk with non-text content or an unknown type is refused; text is answered", async () => {
  const { server, created } = await startScriptedServer((message) => [{ text: `got ${message}` }], {
    apiKey: TOKEN,
  });
  const socket = await TestSocket.open(server.url.replace("http", "ws") + "/?session=chunks", {
    authorization: `Bearer ${TOKEN}`,
  });
  try {
    const refusals: string[] = [];
    for (
      const bad of [
        { role: "user", type: "message", content: { text: "an object" } },
        { role: "user", type: "message", content: 42 },
        { role: "user", type: "usage", content: "x" },
        { role: "user", type: "tool_result", content: "x" },
      ]
    ) {
      socket.send(bad);
      const reply = await socket.next(10_000) as Record<string, unknown>;
      assertEquals([reply.role, reply.type], ["server", "error"], JSON.stringify(reply));
      refusals.push(String(reply.content));
    }
    assertStringIncludes(refusals[0], '"content" is text');
    assertStringIncludes(refusals[1], '"content" is text');
    assertStringIncludes(refusals[2], '"type" is one of');
    assertStringIncludes(refusals[3], '"type" is one of');
    for (const interpreter of created) assertEquals(interpreter.messages, []);

    // Control: the same chunk with text content is a message the engine answers.
    socket.send({ role: "user", type: "message", content: "hello" });
    const answer = await socket.untilComplete(20_000);
    const text = answer.filter((m) => m.role === "assistant" && m.type === "message")
      .map((m) => m.content ?? "").join("");
    assertEquals(text, "got hello");
    assert(created.length > 0 && created[0].messages.some((m) => m.content === "hello"));
  } finally {
    await socket.close();
    await server.close();
  }
});
