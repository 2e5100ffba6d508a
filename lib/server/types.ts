/**
 * What the server needs from an interpreter, and the options of the server.
 * The server depends only on these types, never on the engine's class, so it
 * can be tested and loaded without the engine (and the engine can load the
 * server lazily without an import cycle).
 *
 * @module
 */

import type { Approver } from "../wire/approval.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import type { SessionOrigin } from "./store_link.ts";
import type { StoreLink } from "./store_link.ts";

/** Options the server passes to `chat()`. */
export interface ServerChatOptions {
  /** Always true: the server consumes LMC chunks. */
  stream: true;
  /** Always false: no terminal UI on a server. */
  display: false;
  /** Aborted when the client goes away or the server shuts down. */
  signal?: AbortSignal;
  /** Answers for code that needs approval (the client's `go`, or a decline). */
  approve: Approver;
}

/** The part of an interpreter's computer the server uses. */
export interface ServerComputerLike {
  /** Interrupts running code (the whole process group); sessions stay alive. */
  stop(): Promise<void>;
  /** Ends every code session and every process they started. */
  terminate(): Promise<void>;
  /** Lets go of code sessions that outlive this instance (a container), without ending them. */
  detach?(): void;
}

/**
 * The small surface of `Interpreter` the server relies on. Settings are read
 * and written as plain properties (see `lib/server/settings.ts`).
 */
export interface InterpreterLike {
  /** The conversation, as LMC messages. */
  messages: LmcMessage[];
  /** Runs code without asking when true. */
  autoRun: boolean;
  /** Streams the answer to one message as LMC chunks. */
  chat(
    message: string | LmcMessage | LmcMessage[],
    options: ServerChatOptions,
  ): AsyncIterable<LmcChunk>;
  /** The machine the code runs on. */
  computer: ServerComputerLike;
  /** Stops the MCP servers the engine started for its profile's `mcp_servers` (lib/mcp). */
  stopMcpServers?(): Promise<void>;
  /** The model settings, when the engine has them (`/v1/models` names the model). */
  readonly llm?: { model?: string };
  /** Appended to the system message (a completion's `instructions` add to it for one turn). */
  customInstructions?: string;
}

/** Builds a fresh interpreter for a new session (`origin`: its stored state, with `--store`). */
export type InterpreterFactory = (
  origin?: SessionOrigin,
) => InterpreterLike | Promise<InterpreterLike>;

/** Where the server writes its few lines (listening address, generated token). */
export type ServerLog = (line: string) => void;

/** Options of `startServer()`. Every field is optional. */
export interface ServerOptions {
  /** Builds each session's interpreter: required by `startServer`; `interpreter.server()` supplies one. */
  createInterpreter?: InterpreterFactory;
  /**
   * A conversation store shared by several instances (`--store`): sessions are claimed,
   * loaded, saved after every complete message and taken over from dead instances (see store_link.ts).
   */
  storeLink?: StoreLink;
  /** Address to bind (default: INTERPRETER_HOST or 127.0.0.1). */
  hostname?: string;
  /** Port to bind, 0 for a random one (default: INTERPRETER_PORT or 8000). */
  port?: number;
  /** The access token clients must send (default: INTERPRETER_API_KEY, else a random one). */
  apiKey?: string;
  /** Let clients switch `auto_run` on through `POST /settings` (default: INTERPRETER_ALLOW_REMOTE_AUTO_RUN=true, else false). */
  allowRemoteAutoRun?: boolean;
  /** Largest request body in bytes (default 8 MiB). */
  maxBodyBytes?: number;
  /** Runs (chat turns) allowed at once across all sessions (default 8). */
  maxConcurrentRuns?: number;
  /** Sessions kept at once (default 64). */
  maxSessions?: number;
  /** Seconds a session may stay unused before it and its code sessions are ended (default 1800). */
  sessionIdleSeconds?: number;
  /** Seconds a WebSocket client has to authenticate with `{"auth": token}` (default 10). */
  authTimeoutSeconds?: number;
  /**
   * A connection must send its complete request headers within this many
   * seconds, else it gets 408 and is closed (default 10; env
   * `INTERPRETER_HEADER_TIMEOUT`).
   */
  headerTimeoutSeconds?: number;
  /** Stop gracefully on SIGINT / SIGTERM (default false; the CLI turns it on). */
  handleSignals?: boolean;
  /** Where to print the listening address and a generated token (default: stderr). */
  log?: ServerLog;
  /**
   * Reads the INTERPRETER_HOST / _PORT / _API_KEY / _ALLOW_REMOTE_AUTO_RUN
   * defaults (default: this process's environment). Lets a caller, or a test,
   * start a server without changing the process-wide environment.
   */
  env?: (name: string) => string | undefined;
}

/** A running server. */
export interface ServerHandle {
  /** The base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** The bound address. */
  readonly hostname: string;
  /** The bound port. */
  readonly port: number;
  /** The token clients must send. */
  readonly token: string;
  /** True when the token was generated (not given by option or environment). */
  readonly tokenGenerated: boolean;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops running code, ends every session and closes the server. */
  close(): Promise<void>;
}
