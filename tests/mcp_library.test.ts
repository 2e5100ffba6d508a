/**
 * The library with `mcpServers`: a script that uses an MCP tool and ends
 * without `stopMcpServers()` still exits (idle servers do not hold the
 * program open), and the server does not outlive it.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { repoModule, runDenoChild } from "./helpers/deno_child.ts";
import { waitUntil } from "./helpers/computer_helpers.ts";
import { processesWithEnv } from "./helpers/mcp_client.ts";

Deno.test("mcp library: a script using an MCP tool ends by itself; its server goes with it", async () => {
  const marker = `mcp-lib-marker-${crypto.randomUUID()}`;
  const script = `
    import { Interpreter } from ${JSON.stringify(repoModule("mod.ts"))};
    import { callTurn } from ${JSON.stringify(repoModule("tests/helpers/mcp_client.ts"))};
    import { startFakeOpenAI } from ${
    JSON.stringify(repoModule("tests/helpers/fake_openai_server.ts"))
  };
    const fake = startFakeOpenAI({
      script: [callTurn("everything__echo", { message: "from-a-script" }), { text: "done" }],
    });
    const interpreter = new Interpreter({
      autoRun: true,
      llm: { model: "gpt-4o-mini", apiBase: fake.url, apiKey: "sk-test-0123456789" },
      mcpServers: {
        everything: {
          command: Deno.execPath(),
          args: ["run", "-A", "npm:@modelcontextprotocol/server-everything@2026.8.31", "stdio"],
          env: { MCP_TEST_MARKER: ${JSON.stringify(marker)} },
          startup_timeout_sec: 120,
        },
      },
    });
    const messages = await interpreter.chat("echo");
    const result = messages.find((m) => m.type === "tool_result");
    console.log(JSON.stringify(result?.content));
    await fake.close();
    // No stopMcpServers(), no Deno.exit(): the script simply ends.
  `;
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/tmp",
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  const child = await runDenoChild(script, { env, timeoutMs: 60_000 });
  assertEquals(child.code, 0, child.stderr);
  assertStringIncludes(child.stdout, "from-a-script");
  assert(
    await waitUntil(() => processesWithEnv(marker).length === 0, 10_000),
    "the MCP server outlived the script",
  );
});

Deno.test("mcp library: stopping a turn while a server starts does not wait for it; stopMcpServers ends it at once", async () => {
  const { Interpreter } = await import("../lib/core/interpreter.ts");
  const { startFakeOpenAI } = await import("./helpers/fake_openai_server.ts");
  const { processesWith } = await import("./helpers/mcp_client.ts");
  const marker = `${2000 + Math.floor(Math.random() * 7000)}.${Date.now() % 100000}`;
  const fake = startFakeOpenAI({ script: [{ text: "unused" }] });
  const interpreter = new Interpreter({
    autoRun: true,
    llm: { model: "gpt-4o-mini", apiBase: fake.url, apiKey: "sk-test-0123456789" },
    // Never answers; its bound is far away.
    mcpServers: { slow: { command: "sleep", args: [marker], startup_timeout_sec: 300 } },
  });
  try {
    const controller = new AbortController();
    const started = Date.now();
    // then() starts the turn (a chat() result is lazy).
    const turn = interpreter.chat("hello", { signal: controller.signal }).then((m) => m);
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 1, 30_000),
      "the server never started",
    );
    controller.abort();
    await turn;
    assert(Date.now() - started < 30_000, "the stopped turn waited for the server");
    assertEquals(fake.requests.length, 0, "a stopped turn calls no model");
    const stopping = Date.now();
    await interpreter.stopMcpServers();
    assert(Date.now() - stopping < 10_000, "stopping waited for the start");
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 10_000),
      "the starting server was left running",
    );
  } finally {
    for (const pid of processesWith(`sleep ${marker}`)) Deno.kill(pid, "SIGKILL");
    await fake.close();
  }
});
