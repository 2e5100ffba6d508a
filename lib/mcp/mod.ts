/**
 * `interpreter --mcp`: this program as an MCP server, over stdio (default) or
 * Streamable HTTP (`--port N`). Loaded by the CLI only when `--mcp` is given;
 * the SDK itself loads on first use.
 *
 * @module
 */

import process from "node:process";
import { loadStdioServerTransport } from "./sdk.ts";
import { createMcpServer, type McpServeSettings } from "./serve.ts";
import { type ServeSession, type ServeTool, serveTools } from "./serve_tools.ts";
import { startMcpHttp } from "./http.ts";

export { type EngineForMcp, knownSecrets, sessionFromEngine } from "./session.ts";
export { createMcpServer, DEFAULT_ELICITATION_TIMEOUT, type McpServeSettings } from "./serve.ts";
export {
  PROGRESS_HEARTBEAT_SECONDS,
  type ServeSession,
  type ServeTool,
  serveTools,
  type ToolCallContext,
  type ToolResult,
} from "./serve_tools.ts";
export { type McpHttpHandle, type McpHttpOptions, startMcpHttp } from "./http.ts";

/** Options of {@linkcode runMcpServer}. */
export interface RunMcpOptions extends McpServeSettings {
  /** Makes the engine of a session (one for stdio; one per MCP session over HTTP). */
  createSession(): ServeSession;
  /** Extra tools beside execute/languages/reset (e.g. the Computer API under `--os`). */
  extraTools?(session: ServeSession): ServeTool[];
  /** Serve over HTTP on this port instead of stdio. */
  port?: number;
  /** HTTP address (default 127.0.0.1). */
  hostname?: string;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Waits for SIGINT / SIGTERM / SIGHUP, or `until`; removes its listeners after. */
async function untilSignal(until: Promise<unknown>): Promise<void> {
  let onSignal = () => {};
  const signalled = new Promise<void>((resolve) => onSignal = resolve);
  for (const s of SIGNALS) {
    try {
      Deno.addSignalListener(s, onSignal);
    } catch { /* not on this platform */ }
  }
  try {
    await Promise.race([signalled, until]);
  } finally {
    for (const s of SIGNALS) {
      try {
        Deno.removeSignalListener(s, onSignal);
      } catch { /* not on this platform */ }
    }
  }
}

/**
 * Serves until the client goes away (stdin ends) or a signal arrives; every
 * session's code is stopped and its processes ended before it resolves.
 */
export async function runMcpServer(options: RunMcpOptions): Promise<void> {
  const tools = (session: ServeSession) => [
    ...serveTools(session),
    ...(options.extraTools?.(session) ?? []),
  ];
  if (options.port !== undefined) {
    const handle = await startMcpHttp({ ...options, port: options.port, tools });
    await untilSignal(handle.finished);
    await handle.close();
    return;
  }
  const session = options.createSession();
  const server = await createMcpServer(tools(session), options);
  // Standard output is the protocol's: this note goes to standard error (clients log it).
  console.error(
    `interpreter MCP server on stdio${
      session.permissionsLine ? `; code runs under: ${session.permissionsLine}` : ""
    }`,
  );
  const { StdioServerTransport } = await loadStdioServerTransport();
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", () => resolve());
    process.stdin.once("close", () => resolve());
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => transport.onclose = () => resolve());
  await server.connect(transport);
  await untilSignal(Promise.race([ended, closed]));
  await server.close().catch(() => {});
  await session.computer.terminate().catch(() => {});
}
