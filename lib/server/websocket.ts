/**
 * The WebSocket endpoint (`/`): Open Interpreter's LMC streaming protocol.
 *
 * Client → server, JSON text frames:
 * - `{"auth": "<token>"}` first, unless the upgrade request carried the token
 *   in `Authorization: Bearer` or `X-API-KEY`; answered `{"auth": true}`, or
 *   `{"auth": false}` and the socket is closed.
 * - A message as LMC chunks: `{"role":"user","start":true}`, content chunks
 *   such as `{"role":"user","type":"message","content":"..."}` (consecutive
 *   chunks of one type are joined), `{"role":"user","end":true}`. A message
 *   framed by its own typed start/end, or one content chunk sent alone, works
 *   too. A new message stops the turn that is running.
 * - Commands, framed the same way: `{"role":"user","type":"command","content":"go"}`
 *   runs the code waiting for approval; `"stop"` stops the running turn (and
 *   its code) or drops the waiting code.
 *
 * Server → client: the turn's LMC chunks with start/end flags (reference
 * §4.2), then `{"role":"server","type":"status","content":"complete"}`.
 * With auto_run off, a `confirmation` chunk is followed by `complete` and the
 * turn waits for `go` (or a new message / `stop`, which run nothing).
 * Errors arrive as `{"role":"server","type":"error","content":"..."}`.
 * Closing the socket stops the turn it started.
 *
 * @module
 */

import type { LmcMessage, LmcTextType } from "../wire/lmc.ts";
import { requestToken, tokensMatch } from "./auth.ts";
import { HttpError } from "./errors.ts";
import type { Session, SessionRegistry } from "./sessions.ts";
import { completeStatus, describe, runTurn, serverError, type TurnInput } from "./turn.ts";

/** What the WebSocket endpoint needs from the server. */
export interface SocketContext {
  /** The sessions. */
  registry: SessionRegistry;
  /** The access token. */
  token: string;
  /** Milliseconds a client has to send `{"auth": token}`. */
  authTimeoutMs: number;
  /** Open sockets, closed at shutdown. */
  sockets: Set<WebSocket>;
  /** Largest message (one frame, or all frames of one batch) in bytes. */
  maxBodyBytes: number;
}

/** The kinds of message a client sends: each holds text. */
const CLIENT_TYPES: readonly (LmcTextType | "console")[] = [
  "message",
  "code",
  "console",
  "image",
  "file",
  "reasoning",
  "review",
  "command",
  "status",
  "error",
];

/** A client's LMC chunk, read field by field from its frame (nothing else is kept). */
interface ClientChunk {
  role: unknown;
  type?: LmcTextType | "console";
  format?: string;
  content?: string;
  start: boolean;
  end: boolean;
}

/** A frame as a {@linkcode ClientChunk}, or what is wrong with it. */
function clientChunk(object: Record<string, unknown>): ClientChunk | string {
  const type = CLIENT_TYPES.find((t) => t === object.type);
  if (object.type !== undefined && object.type !== "" && !type) {
    return `A chunk's "type" is one of ${CLIENT_TYPES.join(", ")}.`;
  }
  if ("content" in object && typeof object.content !== "string") {
    return 'A chunk\'s "content" is text: send images as base64 or a path, and files as a path.';
  }
  return {
    role: object.role,
    type,
    format: typeof object.format === "string" ? object.format : undefined,
    content: typeof object.content === "string" ? object.content : undefined,
    start: Boolean(object.start),
    end: Boolean(object.end),
  };
}

interface Batch {
  /** The type of the chunk that opened the batch (`undefined` for an untyped start). */
  openedBy: string | undefined;
  messages: LmcMessage[];
  /** Characters received so far (bounded by `maxBodyBytes`). */
  size: number;
  /** Set once the batch went over the limit: the rest of it is ignored until its end. */
  dropped: boolean;
}

/** Upgrades a request to an LMC WebSocket for a session (401 for a wrong token in the headers). */
export function upgradeLmcSocket(
  context: SocketContext,
  request: Request,
  options: { sessionId: string },
): Response {
  // Headers must be read before the upgrade: the request is closed after it.
  const given = requestToken(request.headers);
  if (given !== undefined && !tokensMatch(given, context.token)) {
    throw new HttpError(401, "Wrong access token: send the server's token.", {
      code: "invalid_token",
    });
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  new LmcSocket(context, socket, options.sessionId, given !== undefined);
  return response;
}

class LmcSocket {
  readonly #context: SocketContext;
  readonly #socket: WebSocket;
  readonly #sessionId: string;
  #authenticated: boolean;
  #session: Session | null = null;
  #authTimer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #batch: Batch | null = null;
  /** The abort controller of the turn this socket started, if running. */
  #turn: AbortController | null = null;

  constructor(
    context: SocketContext,
    socket: WebSocket,
    sessionId: string,
    authenticated: boolean,
  ) {
    this.#context = context;
    this.#socket = socket;
    this.#sessionId = sessionId;
    this.#authenticated = authenticated;
    context.sockets.add(socket);
    socket.onopen = () => {
      if (this.#authenticated) this.#enqueue(() => this.#attach());
      else {
        this.#authTimer = setTimeout(() => {
          this.#send({ auth: false });
          this.#close(4001, 'authentication timed out: send {"auth": token} first');
        }, context.authTimeoutMs);
      }
    };
    socket.onmessage = (event) => this.#enqueue(() => this.#onFrame(event.data));
    socket.onclose = () => this.#onClose();
    socket.onerror = () => {};
  }

  #enqueue(task: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(task).catch((error) => {
      this.#send(serverError(describe(error)));
    });
  }

  #send(value: unknown): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(value));
  }

  #close(code: number, reason: string): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(code, reason);
  }

  async #attach(): Promise<void> {
    if (this.#session) return;
    try {
      this.#session = await this.#context.registry.get(this.#sessionId);
      this.#session.sockets++;
    } catch (error) {
      this.#send(serverError(describe(error)));
      this.#close(1013, "server busy");
    }
  }

  #onClose(): void {
    clearTimeout(this.#authTimer);
    this.#context.sockets.delete(this.#socket);
    this.#turn?.abort();
    this.#enqueue(() => {
      if (this.#session) {
        this.#session.sockets--;
        this.#session.touch();
      }
    });
  }

  async #onFrame(data: unknown): Promise<void> {
    if (typeof data !== "string") {
      this.#send(
        serverError("Binary frames are not supported: send JSON text (images as base64)."),
      );
      return;
    }
    if (data.length > this.#context.maxBodyBytes) {
      this.#send(serverError(
        `That frame is larger than the limit of ${this.#context.maxBodyBytes} bytes: send less.`,
      ));
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.#send(serverError("That frame is not valid JSON: send one JSON object per frame."));
      return;
    }
    if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
      this.#send(serverError("Send one JSON object per frame."));
      return;
    }
    const object = frame as Record<string, unknown>;
    if (!this.#authenticated) {
      const given = object.auth;
      if (typeof given === "string" && tokensMatch(given, this.#context.token)) {
        clearTimeout(this.#authTimer);
        this.#authenticated = true;
        this.#send({ auth: true });
        await this.#attach();
      } else {
        clearTimeout(this.#authTimer);
        this.#send({ auth: false });
        this.#close(4001, 'wrong or missing token: send {"auth": token} first');
      }
      return;
    }
    if ("auth" in object) {
      // Already authenticated (by header or earlier frame): just say whether this one matches.
      this.#send({
        auth: typeof object.auth === "string" && tokensMatch(object.auth, this.#context.token),
      });
      return;
    }
    if (!this.#session) return;
    const chunk = clientChunk(object);
    if (typeof chunk === "string") {
      this.#send(serverError(chunk));
      return;
    }
    await this.#onChunk(chunk);
  }

  async #onChunk(chunk: ClientChunk): Promise<void> {
    if (chunk.role !== "user") {
      this.#send(serverError('Clients send chunks with "role": "user".'));
      return;
    }
    if (chunk.start) {
      if (!this.#batch) {
        this.#batch = { openedBy: chunk.type, messages: [], size: 0, dropped: false };
        if (!chunk.type) return;
      }
      if (chunk.type && !this.#batch.dropped) {
        this.#batch.messages.push({
          role: "user",
          type: chunk.type,
          format: chunk.format,
          content: "",
        });
      }
      return;
    }
    if (chunk.end) {
      const batch = this.#batch;
      if (!batch) {
        this.#send(serverError("Got an end chunk without a start: send a start chunk first."));
        return;
      }
      if (chunk.type && batch.openedBy !== chunk.type) return; // the end of an inner message
      this.#batch = null;
      if (!batch.dropped) await this.#dispatch(batch.messages);
      return;
    }
    if (chunk.content === undefined || !chunk.type) {
      this.#send(serverError('A content chunk needs a "type" and a "content".'));
      return;
    }
    if (!this.#batch) {
      // One content chunk sent alone is a whole message.
      await this.#dispatch([{
        role: "user",
        type: chunk.type,
        format: chunk.format,
        content: chunk.content,
      }]);
      return;
    }
    const batch = this.#batch;
    if (batch.dropped) return;
    batch.size += typeof chunk.content === "string"
      ? chunk.content.length
      : JSON.stringify(chunk.content ?? "").length;
    if (batch.size > this.#context.maxBodyBytes) {
      batch.dropped = true;
      batch.messages = [];
      this.#send(serverError(
        `The message is larger than the limit of ${this.#context.maxBodyBytes} bytes: it was dropped; send less.`,
      ));
      this.#send(completeStatus());
      return;
    }
    const messages = batch.messages;
    const last = messages[messages.length - 1];
    if (
      last && last.type === chunk.type &&
      (last.format ?? undefined) === (chunk.format ?? undefined) &&
      typeof last.content === "string" && typeof chunk.content === "string"
    ) {
      last.content += chunk.content;
    } else {
      messages.push({
        role: "user",
        type: chunk.type,
        format: chunk.format,
        content: chunk.content,
      });
    }
  }

  async #dispatch(messages: LmcMessage[]): Promise<void> {
    const session = this.#session!;
    const cleaned = messages.map((message) => {
      // Role, type and content (typed together); the format when it has one.
      const { recipient: _r, toolCallId: _t, format: _f, ...body } = message;
      const copy: LmcMessage = { ...body, role: "user" };
      if (message.format) copy.format = message.format;
      return copy;
    });
    const command = cleaned.find((message) => message.type === "command");
    if (command) {
      const name = String(command.content ?? "").trim().toLowerCase();
      if (name === "stop") {
        if (session.run) await session.stopRun();
        else {
          await session.discardPending();
          this.#send(completeStatus());
        }
        return;
      }
      if (name === "go") {
        if (!session.pending) {
          this.#send(serverError("There is no code waiting for approval."));
          this.#send(completeStatus());
          return;
        }
        this.#startTurn(session, { approve: true });
        return;
      }
      this.#send(serverError(`Unknown command "${name}": use "go" or "stop".`));
      this.#send(completeStatus());
      return;
    }
    const content = cleaned.filter((message) =>
      message.content !== "" && message.content !== undefined
    );
    if (content.length === 0) {
      this.#send(serverError("The message is empty: send some content."));
      this.#send(completeStatus());
      return;
    }
    // A new message interrupts the turn that is running (as in Open Interpreter).
    if (session.run) await session.stopRun();
    let index = content.length - 1;
    for (let i = content.length - 1; i >= 0; i--) {
      if (content[i].type === "message") {
        index = i;
        break;
      }
    }
    const message = content[index];
    const before = content.filter((_, i) => i !== index);
    this.#startTurn(session, {
      message: message.type === "message" ? String(message.content) : message,
      before,
    });
  }

  #startTurn(session: Session, input: TurnInput): void {
    let ticket;
    try {
      ticket = this.#context.registry.beginRun(session);
    } catch (error) {
      this.#send(serverError(describe(error)));
      this.#send(completeStatus());
      return;
    }
    const controller = ticket.controller;
    this.#turn = controller;
    (async () => {
      try {
        for await (
          const chunk of runTurn(session, input, { approval: "pause", signal: controller.signal })
        ) {
          this.#send(chunk);
        }
      } catch (error) {
        this.#send(serverError(describe(error)));
      } finally {
        if (this.#turn === controller) this.#turn = null;
        ticket.finish();
        this.#send(completeStatus());
      }
    })();
  }
}
