/**
 * `interpreter --mcp --port N`: MCP over Streamable HTTP at `/mcp`, with the
 * server's token auth on every request (`Authorization: Bearer` or
 * `X-API-KEY`; `INTERPRETER_API_KEY` or a token generated and printed once),
 * loopback by default. Each MCP session (the `mcp-session-id` the SDK hands
 * out) gets its own engine, so its live sessions persist between calls.
 *
 * @module
 */

import { generateToken, isLoopback, requestToken, tokensMatch } from "../server/auth.ts";
import { loadHttpServerTransport } from "./sdk.ts";
import { mcpSetting, numberDefault, stringDefault } from "../settings/registry.ts";
import { createMcpServer, type McpServeSettings, type SdkServer } from "./serve.ts";
import type { ServeSession, ServeTool } from "./serve_tools.ts";

/** Options of {@linkcode startMcpHttp}. */
export interface McpHttpOptions extends McpServeSettings {
  /** Address (default 127.0.0.1). A non-loopback address needs a configured token. */
  hostname?: string;
  /** Port (0: any free port). */
  port: number;
  /** The access token (default: `INTERPRETER_API_KEY`, else generated and logged once). */
  token?: string;
  /** Makes the engine of a new MCP session. */
  createSession(): ServeSession;
  /** The tools a session serves. */
  tools(session: ServeSession): ServeTool[];
  /** Most MCP sessions kept at once (default 16; more are refused with 503). */
  maxSessions?: number;
  /** An MCP session unused this many seconds is ended (default 1800). */
  sessionIdleSeconds?: number;
  /** Where notes go (default: stderr). */
  log?(line: string): void;
}

/** A running MCP HTTP endpoint. */
export interface McpHttpHandle {
  /** The endpoint, e.g. `http://127.0.0.1:8123/mcp`. */
  url: string;
  /** The token every request must carry. */
  token: string;
  /** Ends every session (and its code) and stops listening. */
  close(): Promise<void>;
  /** Resolves once closed. */
  finished: Promise<void>;
}

interface Live {
  server: SdkServer;
  transport: { handleRequest(req: Request): Promise<Response>; close(): Promise<void> };
  session: ServeSession;
  lastUsed: number;
}

/** Longest wait for open connections when the endpoint closes. */
const SHUTDOWN_MS = 10_000;

function jsonError(status: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message } }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Starts the endpoint; resolves once it listens. */
export async function startMcpHttp(options: McpHttpOptions): Promise<McpHttpHandle> {
  const hostname = options.hostname ?? stringDefault(mcpSetting("hostname"));
  const tokenEnv = mcpSetting("token").env;
  const configured = options.token?.trim() || (tokenEnv && Deno.env.get(tokenEnv)?.trim());
  if (!configured && !isLoopback(hostname)) {
    throw new Error(
      `Refusing to listen on ${hostname} without an access token: set ${tokenEnv}, or listen on 127.0.0.1.`,
    );
  }
  const token = configured || generateToken();
  const log = options.log ?? ((line: string) => console.error(line));
  const maxSessions = options.maxSessions ?? numberDefault(mcpSetting("maxSessions"));
  const idleMs = Math.max(
    1,
    options.sessionIdleSeconds ?? numberDefault(mcpSetting("sessionIdleSeconds")),
  ) * 1000;
  const { WebStandardStreamableHTTPServerTransport } = await loadHttpServerTransport();
  const sessions = new Map<string, Live>();

  async function end(id: string): Promise<void> {
    const live = sessions.get(id);
    if (!live) return;
    sessions.delete(id);
    await live.transport.close().catch(() => {});
    await live.session.computer.terminate().catch(() => {});
  }

  async function open(req: Request): Promise<Response> {
    if (sessions.size >= maxSessions) {
      return jsonError(503, `Too many MCP sessions (${maxSessions}): end one (DELETE) first.`);
    }
    const session = options.createSession();
    const server = await createMcpServer(options.tools(session), options);
    let live: Live | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      maxRequestBodySize: 8 * 1024 * 1024,
      onsessioninitialized: (id: string) => {
        live = { server, transport, session, lastUsed: Date.now() };
        sessions.set(id, live);
      },
      onsessionclosed: (id: string) => {
        end(id).catch(() => {});
      },
    });
    await server.connect(transport);
    const response = await transport.handleRequest(req);
    if (!live) {
      // Not an initialize request, or it failed: nothing to keep.
      await transport.close().catch(() => {});
      await session.computer.terminate().catch(() => {});
    }
    return response;
  }

  async function handle(req: Request): Promise<Response> {
    const given = requestToken(req.headers);
    // Every request carries the token; unknown paths answer 401 before 404.
    if (!given || !tokensMatch(given, token)) {
      return jsonError(401, "Unauthorized: send Authorization: Bearer <token>.");
    }
    const path = new URL(req.url).pathname;
    if (path !== "/mcp" && path !== "/mcp/") return jsonError(404, "Not found: use /mcp.");
    const id = req.headers.get("mcp-session-id");
    if (id) {
      const live = sessions.get(id);
      if (!live) return jsonError(404, "Unknown or ended MCP session: initialize a new one.");
      live.lastUsed = Date.now();
      return await live.transport.handleRequest(req);
    }
    if (req.method !== "POST") {
      return jsonError(400, "Missing mcp-session-id: send an initialize request first.");
    }
    return await open(req);
  }

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname, port: options.port, onListen: () => {} }, handle);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `Port ${options.port} on ${hostname} is already in use: choose another with --port.`,
      );
    }
    throw error;
  }
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, live] of sessions) {
      if (now - live.lastUsed > idleMs) end(id).catch(() => {});
    }
  }, Math.min(60_000, Math.max(250, idleMs / 2)));
  Deno.unrefTimer(sweeper);

  const host = server.addr.hostname.includes(":")
    ? `[${server.addr.hostname}]`
    : server.addr.hostname;
  const url = `http://${host}:${server.addr.port}/mcp`;
  log(`Interpreter MCP server (Streamable HTTP) listening on ${url}`);
  if (!configured) log(`Access token (generated, shown once): ${token}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweeper);
      await Promise.all([...sessions.keys()].map((id) => end(id)));
      // Bounded: a client holding a stream open must not keep the program from ending.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise((resolve) => timer = setTimeout(resolve, SHUTDOWN_MS)),
      ]);
      clearTimeout(timer);
    })();
    return closing;
  };
  return { url, token, close, finished: server.finished };
}
