/**
 * The server's and the MCP front's own settings (ports, tokens, timeouts, limits) are declared once,
 * in lib/settings/registry.ts, with their environment variables: lib/server and lib/mcp read the
 * variable names and defaults from the registry, never from a literal of their own.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startScriptedServer } from "./helpers/server_scripted_interpreter.ts";
import {
  mcpSetting,
  numberDefault,
  serverSetting,
  settingByKey,
  SETTINGS,
} from "../lib/settings/registry.ts";
import { DEFAULT_ELICITATION_TIMEOUT } from "../lib/mcp/mod.ts";

const ROOT = new URL("../", import.meta.url);

/** Every startServer option with a default or an environment variable (lib/server/types.ts). */
const SERVER_OPTIONS = [
  "hostname",
  "port",
  "apiKey",
  "allowRemoteAutoRun",
  "maxBodyBytes",
  "maxConcurrentRuns",
  "maxSessions",
  "sessionIdleSeconds",
  "authTimeoutSeconds",
  "headerTimeoutSeconds",
];

async function sources(folder: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of Deno.readDir(new URL(`lib/${folder}/`, ROOT))) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    out.set(
      `lib/${folder}/${entry.name}`,
      await Deno.readTextFile(new URL(`lib/${folder}/${entry.name}`, ROOT)),
    );
  }
  return out;
}

Deno.test("registry: each server and MCP option is one row, each variable is declared once", () => {
  for (const name of SERVER_OPTIONS) assert(serverSetting(name), name);
  const serverRows = SETTINGS.filter((s) => s.serverOption);
  assertEquals(serverRows.length, SERVER_OPTIONS.length);
  assertEquals(serverRows.map((s) => s.serverOption).sort(), [...SERVER_OPTIONS].sort());
  const mcpRows = SETTINGS.filter((s) => s.mcpOption).map((s) => s.mcpOption);
  assert(mcpRows.length >= 5, `only ${mcpRows.length} MCP rows`);
  assertEquals(mcpRows.length, new Set(mcpRows).size, "an MCP option is declared twice");
  const envs = SETTINGS.flatMap((s) => s.env ? [s.env] : []);
  assert(envs.includes("INTERPRETER_HEADER_TIMEOUT"));
  assertEquals(envs.length, new Set(envs).size, "an environment variable is declared twice");
  assertEquals(numberDefault(serverSetting("headerTimeoutSeconds")), 10);
  assertEquals(numberDefault(serverSetting("port")), 8000);
  assertEquals(numberDefault(mcpSetting("maxSessions")), 16);
  assertEquals(DEFAULT_ELICITATION_TIMEOUT, numberDefault(mcpSetting("elicitationTimeout")));
  assertEquals(numberDefault(settingByKey("deployment.lease_seconds")!), 15);
});

Deno.test("registry: lib/server, lib/mcp, lib/container and lib/desktop read no INTERPRETER_ variable by a literal", async () => {
  const read = /(?:Deno\.env\.get|envValue|env\??\.?)\(\s*"INTERPRETER_[A-Z_]+"/;
  let files = 0;
  for (const folder of ["server", "mcp", "container", "desktop"]) {
    for (const [path, text] of await sources(folder)) {
      files++;
      assert(!read.test(text), `${path} reads ${text.match(read)?.[0]} itself`);
    }
  }
  assert(files > 40, `only ${files} files read`);
  // Control: the pattern sees a literal read.
  assert(read.test('const x = Deno.env.get("INTERPRETER_HEADER_TIMEOUT");'));
  assert(read.test('envValue("INTERPRETER_PORT")'));
});

Deno.test("server: INTERPRETER_HEADER_TIMEOUT, declared in the registry, bounds the request headers", async () => {
  const variable = serverSetting("headerTimeoutSeconds").env!;
  const env = (name: string) => name === variable ? "1" : undefined;
  const { server } = await startScriptedServer(() => [{ text: "hi" }], { env });
  const { server: control } = await startScriptedServer(() => [{ text: "hi" }]);
  const open = async (port: number) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET /heartbeat HTTP/1.1\r\nHost: x\r\n"));
    return conn;
  };
  const slow = await open(server.port);
  const slowControl = await open(control.port);
  try {
    // The 1 s bound from the variable: 408, then the connection ends (bounded read).
    const buffer = new Uint8Array(4096);
    let reply = "";
    const timer = setTimeout(() => slow.close(), 15_000);
    try {
      for (;;) {
        const n = await slow.read(buffer);
        if (n === null) break;
        reply += new TextDecoder().decode(buffer.subarray(0, n));
      }
    } catch { /* closed by the timer */ }
    clearTimeout(timer);
    assertStringIncludes(reply, "408 Request Timeout");
    // Control: without the variable the registry's default (10 s) holds: still open after the 1 s bound.
    const pending = slowControl.read(buffer);
    const early = await Promise.race([
      pending.then(() => "answered"),
      new Promise<string>((resolve) => setTimeout(() => resolve("open"), 2_000)),
    ]);
    assertEquals(early, "open");
    slowControl.close();
    await pending.catch(() => null);
  } finally {
    try {
      slow.close();
    } catch { /* closed */ }
    try {
      slowControl.close();
    } catch { /* closed */ }
    await server.close();
    await control.close();
  }
});
