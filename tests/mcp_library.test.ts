/**
 * The library with `mcpServers`: a script that uses an MCP tool and ends
 * without `stopMcpServers()` still exits (idle servers do not hold the
 * program open), and the server does not outlive it.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { repoModule, runDenoChild } from "./helpers/deno_child.ts";
import { waitUntil } from "./helpers/computer_helpers.ts";

function processesWithEnv(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/environ`).includes(marker)) {
        pids.push(Number(entry.name));
      }
    } catch { /* gone */ }
  }
  return pids;
}

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
