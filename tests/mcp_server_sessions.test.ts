/**
 * The HTTP server (lib/server) with MCP servers in the template: each session's
 * engine offers their tools, and a session that ends (idle) stops the MCP
 * servers it started, while the program keeps running.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { callTurn, processesWithEnv } from "./helpers/mcp_client.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { waitUntil } from "./helpers/computer_helpers.ts";
import { Interpreter } from "../mod.ts";

const EVERYTHING = "npm:@modelcontextprotocol/server-everything@2026.8.31";

Deno.test("mcp + server: a session's MCP servers stop when the session ends", async () => {
  const marker = `mcp-session-marker-${crypto.randomUUID()}`;
  const fake = startFakeOpenAI({
    script: [callTurn("everything__echo", { message: "via-the-server" }), { text: "Hello." }],
  });
  const template = new Interpreter({
    autoRun: true,
    llm: { model: "gpt-4o-mini", apiBase: fake.url, apiKey: "sk-test-0123456789" },
    mcpServers: {
      everything: {
        command: Deno.execPath(),
        args: ["run", "-A", EVERYTHING, "stdio"],
        env: { MCP_TEST_MARKER: marker },
        startup_timeout_sec: 120,
      },
    },
  });
  const server = await template.server({
    port: 0,
    apiKey: "token-1234567890",
    log: () => {},
    env: () => undefined,
    sessionIdleSeconds: 1,
  });
  try {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer token-1234567890", "content-type": "application/json" },
      body: JSON.stringify({ model: "interpreter", messages: [{ role: "user", content: "hi" }] }),
    });
    assertEquals(response.status, 200);
    // The OpenAI-compatible answer shows the call and its result like code and output.
    const answer = (await response.json()).choices[0].message.content as string;
    assertStringIncludes(answer, '```json\n{"tool":"everything.echo"');
    assertStringIncludes(answer, "```output\nEcho: via-the-server");
    assertStringIncludes(answer, "Hello.");
    const tools = (fake.requests[0].tools as { function: { name: string } }[]).map((t) =>
      t.function.name
    );
    assert(tools.includes("everything__echo"), tools.join(", "));
    // Control: the server is running while the session lives.
    assert(processesWithEnv(marker).length > 0, "the MCP server is not running");
    assert(
      await waitUntil(() => processesWithEnv(marker).length === 0, 20_000),
      "the MCP server outlived its session",
    );
  } finally {
    await server.close();
    await fake.close();
  }
});
