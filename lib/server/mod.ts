/**
 * The interpreter's HTTP server: `interpreter --server` and
 * `interpreter.server()`. Routes (all but `/heartbeat` need the token):
 *
 * - `GET /heartbeat`: `{"status":"alive"}`.
 * - `GET /chat?message=…` (or `POST /chat {"message"}`): the turn's LMC chunks
 *   as server-sent events, ending with `{"role":"server","type":"status","content":"complete"}`.
 * - `GET /history` (`DELETE` clears it), `POST /stop`.
 * - `GET /settings`, `GET /settings/{name}`, `POST /settings {name: value}`.
 * - WebSocket `/`: Open Interpreter's LMC protocol (see `websocket.ts`).
 * - `POST /v1/chat/completions` (or `/openai/chat/completions`) and
 *   `GET /v1/models`: an OpenAI-compatible "model that runs code" (see `openai.ts`).
 *
 * Each client names its session with `X-Session-Id` or `?session=`; each
 * session has its own conversation and code sessions.
 *
 * @example
 * ```ts
 * import { startServer } from "./lib/server/mod.ts";
 * const server = await startServer({ port: 0, createInterpreter: () => new Interpreter() });
 * console.log(server.url, server.token);
 * await server.close();
 * ```
 *
 * @module
 */

import { readEnv } from "../llm/providers.ts";
import { type AppContext, createHandler } from "./app.ts";
import { generateToken, isLoopback } from "./auth.ts";
import { SessionRegistry, settleWithin } from "./sessions.ts";
import { templateFactory } from "./template.ts";
import { startFront } from "./front.ts";
import type { ServerHandle, ServerOptions } from "./types.ts";
import { numberDefault, serverSetting, type Setting, stringDefault } from "../settings/registry.ts";

export type {
  InterpreterFactory,
  InterpreterLike,
  ServerChatOptions,
  ServerComputerLike,
  ServerHandle,
  ServerLog,
  ServerOptions,
} from "./types.ts";

/** The settings of the server itself (lib/settings/registry.ts declares each once). */
const HOST = serverSetting("hostname");
const PORT = serverSetting("port");
const API_KEY = serverSetting("apiKey");
const ALLOW_REMOTE_AUTO_RUN = serverSetting("allowRemoteAutoRun");
const HEADER_TIMEOUT = serverSetting("headerTimeoutSeconds");

/** The number option `name` of startServer, else its declared default. */
type NumberOption =
  | "maxBodyBytes"
  | "maxConcurrentRuns"
  | "maxSessions"
  | "sessionIdleSeconds"
  | "authTimeoutSeconds";
function numberOption(options: ServerOptions, name: NumberOption): number {
  return options[name] ?? numberDefault(serverSetting(name));
}

/** Reads a setting's environment variable, trimmed; empty counts as unset. */
type EnvValue = (setting: Setting) => string | undefined;
function envReader(env: ServerOptions["env"]): EnvValue {
  return (setting) => (setting.env && env?.(setting.env)?.trim()) || undefined;
}

function choosePort(
  option: number | undefined,
  envValue: EnvValue,
): number {
  const raw = option ?? envValue(PORT) ?? numberDefault(PORT);
  const port = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `Invalid port "${raw}": use a whole number from 0 to 65535 (--port or ${PORT.env}).`,
    );
  }
  return port;
}

function hostForUrl(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}

/**
 * Starts the server and resolves once it listens. Fails with a one-line
 * error for a bad port, a port in use, or a non-loopback address without a
 * token (INTERPRETER_API_KEY or `apiKey`).
 */
export function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  // Errors (a bad port, a port in use) reject the promise, as callers expect.
  try {
    return Promise.resolve(listen(options));
  } catch (error) {
    return Promise.reject(error);
  }
}

function listen(options: ServerOptions): ServerHandle {
  const envValue = envReader(options.env ?? readEnv);
  const hostname = options.hostname ?? envValue(HOST) ?? stringDefault(HOST);
  const port = choosePort(options.port, envValue);
  const configured = options.apiKey?.trim() || envValue(API_KEY);
  if (!configured && !isLoopback(hostname)) {
    throw new Error(
      `Refusing to listen on ${hostname} without an access token: set ${API_KEY.env}, or listen on 127.0.0.1.`,
    );
  }
  const token = configured ?? generateToken();
  const log = options.log ?? ((line: string) => console.error(line));
  // The factory comes from the caller (the CLI, or `interpreter.server()`), so this
  // module never imports the engine: no import cycle, and no engine load for a bad port.
  const factory = options.createInterpreter;
  if (!factory) {
    throw new TypeError(
      "startServer needs options.createInterpreter; from the library, call interpreter.server() instead.",
    );
  }
  const idleMs = Math.max(1, numberOption(options, "sessionIdleSeconds")) * 1000;
  const registry = new SessionRegistry(factory, {
    maxSessions: numberOption(options, "maxSessions"),
    maxConcurrentRuns: numberOption(options, "maxConcurrentRuns"),
    idleMs,
    storeLink: options.storeLink,
  });
  const context: AppContext = {
    registry,
    token,
    maxBodyBytes: numberOption(options, "maxBodyBytes"),
    allowRemoteAutoRun: options.allowRemoteAutoRun ??
      /^(1|true|yes)$/i.test(envValue(ALLOW_REMOTE_AUTO_RUN) ?? ""),
    authTimeoutMs: numberOption(options, "authTimeoutSeconds") * 1000,
    sockets: new Set(),
    closing: false,
    startedAt: Math.floor(Date.now() / 1000),
  };

  // The public port is the front relay's (header timeout, WebSocket close codes: front.ts);
  // Deno.serve listens on a unix socket in a private folder behind it.
  let listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  try {
    listener = Deno.listen({ hostname, port });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `Port ${port} on ${hostname} is already in use: choose another with --port or ${PORT.env}.`,
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new Error(
        `Cannot listen on ${hostname}: use an address of this machine, e.g. 127.0.0.1.`,
      );
    }
    throw error;
  }
  const inner = innerServer(createHandler(context));
  const headerTimeoutMs = 1000 *
    (options.headerTimeoutSeconds ?? seconds(envValue(HEADER_TIMEOUT)) ??
      numberDefault(HEADER_TIMEOUT));
  const front = startFront(listener, {
    headerTimeoutMs,
    maxHeaderBytes: 64 * 1024,
    connectUpstream: inner.connect,
  });
  const server = inner.server;
  const bound = listener.addr;
  const url = `http://${hostForUrl(bound.hostname)}:${bound.port}`;

  const sweeper = setInterval(() => {
    registry.sweep().catch(() => {});
  }, Math.min(60_000, Math.max(250, idleMs / 2)));
  Deno.unrefTimer(sweeper);

  let closing: Promise<void> | null = null;
  const onSignal = () => {
    log("Stopping the server...");
    close();
  };
  function close(): Promise<void> {
    closing ??= (async () => {
      context.closing = true;
      clearInterval(sweeper);
      if (options.handleSignals) {
        for (const signal of ["SIGINT", "SIGTERM"] as const) {
          try {
            Deno.removeSignalListener(signal, onSignal);
          } catch { /* not supported here */ }
        }
      }
      // Stop running code and end sessions first, so streams end by themselves.
      await registry.closeAll();
      await options.storeLink?.close();
      for (const socket of context.sockets) {
        try {
          socket.close(1001, "server shutting down");
        } catch { /* already closing */ }
      }
      front.stopAccepting();
      await settleWithin(server.shutdown(), 10000);
      await front.close();
    })();
    return closing;
  }
  if (options.handleSignals) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      try {
        Deno.addSignalListener(signal, onSignal);
      } catch { /* SIGTERM is not available on Windows */ }
    }
  }

  log(`Interpreter server listening on ${url}`);
  if (!configured) log(`Access token (generated, shown once): ${token}`);

  return {
    url,
    hostname: bound.hostname,
    port: bound.port,
    token,
    tokenGenerated: !configured,
    finished: server.finished,
    close,
  };
}

/** A positive number of seconds from a variable, or undefined. */
function seconds(raw: string | undefined): number | undefined {
  const n = Number(raw);
  return raw && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * `Deno.serve` on an ephemeral loopback port behind the front relay. (A unix
 * socket in a private folder was tried: the sandbox masks every socket folder
 * it finds in /tmp when a session starts, and a server closing meanwhile made
 * that mount fail.) A local process that connects to this port directly skips
 * only the relay's header timeout and frame checks; authentication is the
 * server's own.
 */
function innerServer(handler: (request: Request) => Promise<Response>): {
  server: Deno.HttpServer<Deno.NetAddr>;
  connect(): Promise<Deno.Conn>;
} {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const port = server.addr.port;
  return { server, connect: () => Deno.connect({ hostname: "127.0.0.1", port }) };
}

/**
 * Serves an interpreter: every session gets a fresh interpreter of the same
 * class with the template's settings (what `interpreter.server()` does).
 */
export async function serveInterpreter(
  template: object,
  options: ServerOptions = {},
): Promise<ServerHandle> {
  return await startServer({
    ...options,
    createInterpreter: options.createInterpreter ?? templateFactory(template),
  });
}
