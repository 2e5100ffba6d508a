/**
 * The `--mcp` branch of the command line: builds one engine per MCP session
 * from the profile and flags (permissions, sandbox, safe mode, timeout: the
 * same settings as the chat) and serves it over stdio or, with `--port`,
 * Streamable HTTP.
 *
 * @module
 */

import type { InterpreterOptions } from "../core/settings.ts";
import { runMcpServer } from "./mod.ts";
import { sessionFromEngine } from "./session.ts";

/** Runs `interpreter --mcp`; resolves to the exit status once the client went away. */
export async function runMcpCli(
  flags: Record<string, unknown>,
  options: InterpreterOptions,
  version: string,
): Promise<number> {
  if (flags.server) {
    console.error(
      "interpreter: --mcp and --server are two different servers: pass one of them",
    );
    return 2;
  }
  const { Interpreter } = await import("../core/interpreter.ts");
  try {
    await runMcpServer({
      version,
      createSession: () => sessionFromEngine(new Interpreter({ ...options, messages: [] })),
      ...(typeof flags.port === "number" ? { port: flags.port } : {}),
      ...(typeof flags.host === "string" ? { hostname: flags.host } : {}),
    });
  } catch (e) {
    console.error(`interpreter: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  return 0;
}
