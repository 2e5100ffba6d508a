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
import type { ServeSession } from "./serve_tools.ts";

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
  if (typeof flags.host === "string" && typeof flags.port !== "number") {
    console.error(
      "interpreter: --host applies to MCP over HTTP: add --port N (without it, --mcp uses stdio)",
    );
    return 2;
  }
  const { Interpreter } = await import("../core/interpreter.ts");
  // --os: the Computer API as tools (lib/desktop loads only then).
  const os = flags.os === true ? await import("./os_tools.ts") : undefined;
  const engines = new WeakMap<ServeSession, InstanceType<typeof Interpreter>>();
  if (typeof flags.port === "number") {
    // Over stdio the server's first line says it; over HTTP it is said here, before listening.
    const { describePermissions } = await import("../sandbox/describe.ts");
    const probe = new Interpreter({ ...options, messages: [] });
    console.error(
      `interpreter: MCP sessions' code runs under: ${describePermissions(probe.permissions)}`,
    );
  }
  try {
    await runMcpServer({
      version,
      createSession: () => {
        const engine = new Interpreter({ ...options, messages: [] });
        const session = sessionFromEngine(engine);
        engines.set(session, engine);
        return session;
      },
      ...(os ? { extraTools: (s: ServeSession) => os.osTools(engines.get(s)!.permissions) } : {}),
      ...(typeof flags.port === "number" ? { port: flags.port } : {}),
      ...(typeof flags.host === "string" ? { hostname: flags.host } : {}),
    });
  } catch (e) {
    console.error(`interpreter: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  return 0;
}
