/**
 * More of the model's side: an MCP server over Streamable HTTP (this program's
 * own `--mcp --port`, with its token in `headers`; refused without it), and a
 * stdio server that dies in the middle of a call (one line, the server's last
 * words, the next request still goes out).
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { callTurn, httpProgram } from "./helpers/mcp_client.ts";

async function profileWith(
  servers: Record<string, unknown>,
): Promise<{ home: string; profile: string }> {
  const home = await Deno.makeTempDir({ prefix: "mcp-more-" });
  const profile = `${home}/mcp.json`;
  await Deno.writeTextFile(profile, JSON.stringify({ mcp_servers: servers }));
  return { home, profile };
}

function toolResults(body: Record<string, unknown>): string[] {
  return (body.messages as { role: string; content: string }[]).filter((m) => m.role === "tool")
    .map((m) => m.content);
}

Deno.test("mcp use over HTTP: the model runs code through another interpreter's --mcp --port", async () => {
  const other = await httpProgram();
  const fake = startFakeOpenAI({
    script: [
      callTurn("other__execute", { language: "python", code: "print(6 * 7)" }),
      { text: "42." },
      { text: "never used" },
    ],
  });
  const good = await profileWith({
    other: { url: other.url, headers: { Authorization: `Bearer ${other.token}` } },
  });
  const bad = await profileWith({ other: { url: other.url, startup_timeout_sec: 20 } });
  try {
    const run = await runCli(
      ["--profile", good.profile, ...modelArgs(fake.url), "-y", "six times seven"],
      { home: good.home, timeoutMs: 120_000 },
    );
    assertEquals(run.code, 0, run.stderr);
    assertEquals(toolResults(fake.requests[1]), ["42\n"]);
    // Without the token the server refuses: one line, and the chat goes on without its tools.
    const refused = await runCli(
      ["--profile", bad.profile, ...modelArgs(fake.url), "-y", "hello"],
      { home: bad.home, timeoutMs: 120_000 },
    );
    assertEquals(refused.code, 0, refused.stderr);
    const lines = (refused.stdout + refused.stderr).split("\n").filter((l) =>
      l.includes('MCP server "other"')
    );
    assertEquals(lines.length, 1, refused.stdout + refused.stderr);
    assertStringIncludes(lines[0], "did not start");
    const tools = (fake.requests[2].tools as { function: { name: string } }[]).map((t) =>
      t.function.name
    );
    assertEquals(tools, ["execute"]);
  } finally {
    await fake.close();
    assertEquals(await other.close(), 0);
    await Deno.remove(good.home, { recursive: true });
    await Deno.remove(bad.home, { recursive: true });
  }
});

Deno.test("mcp use: a server that dies during a call is one line to the model; the turn goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcp-dying-" });
  const server = `${dir}/dying_server.ts`;
  // A minimal MCP server written with the SDK: its one tool exits the process mid-call.
  await Deno.writeTextFile(
    server,
    `
    import { Server } from "npm:@modelcontextprotocol/sdk@1.32.2/server/index.js";
    import { StdioServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js";
    import { CallToolRequestSchema, ListToolsRequestSchema } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
    const server = new Server({ name: "dying", version: "1" }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: "crash", description: "exits", inputSchema: { type: "object", properties: {} } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, () => {
      console.error("fatal: out of widgets");
      setTimeout(() => Deno.exit(7), 50);
      return new Promise(() => {});
    });
    await server.connect(new StdioServerTransport());
    `,
  );
  const { home, profile } = await profileWith({
    dying: { command: Deno.execPath(), args: ["run", "-A", server], startup_timeout_sec: 120 },
  });
  const fake = startFakeOpenAI({ script: [callTurn("dying__crash", {}), { text: "It crashed." }] });
  try {
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "-y", "crash it"],
      { home, timeoutMs: 120_000 },
    );
    assertEquals(run.code, 0, run.stderr);
    const [result] = toolResults(fake.requests[1]);
    assert(result.startsWith('MCP server "dying" exited'), result);
    assertStringIncludes(result, "out of widgets");
    assertEquals(result.split("\n").length, 1, result);
    assertStringIncludes(run.stdout, "It crashed.");
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
