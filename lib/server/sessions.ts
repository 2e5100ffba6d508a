/**
 * The session registry: one interpreter (conversation and code sessions) per
 * session id, created on first use, ended after a period unused. It also
 * enforces the limits on sessions and on runs at once.
 *
 * @module
 */

import type { ApprovalDecision } from "../wire/approval.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import { HttpError } from "./errors.ts";
import type { InterpreterFactory, InterpreterLike, ServerComputerLike } from "./types.ts";
import type { StoreLink } from "./store_link.ts";

/** The id used when a client names no session. */
const DEFAULT_SESSION = "default";

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Checks a client-supplied session id (400 when it is not a short plain name). */
function checkSessionId(id: string): string {
  if (!SESSION_ID.test(id)) {
    throw new HttpError(
      400,
      "Session ids are 1-128 characters of letters, digits, '.', '_', ':' or '-'.",
      { code: "invalid_session_id" },
    );
  }
  return id;
}

/** The session a request names in `X-Session-Id` or `?session=` (default otherwise). */
export function requestSessionId(request: Request, url: URL): string {
  const id = request.headers.get("x-session-id") ?? url.searchParams.get("session");
  return checkSessionId(id?.trim() || DEFAULT_SESSION);
}

/** A chat turn stopped at a confirmation, waiting for the client's `go`. */
export interface PendingApproval {
  /** The engine's stream, paused just after the confirmation chunk. */
  iterator: AsyncIterator<LmcChunk>;
  /** Aborts that stream's model calls and code (the signal given to `chat()`). */
  abort: AbortController;
  /** Set before the stream is resumed: what the turn's approver answers the engine. */
  decision: { value?: ApprovalDecision };
}

/** A turn being run for a session. */
export interface RunTicket {
  /** Aborting it stops the turn (and the code it runs). */
  readonly controller: AbortController;
  /** Resolves when the turn has released its slot. */
  readonly done: Promise<void>;
  /** Releases the slot; call exactly once, when the turn is over. */
  finish(): void;
}

/** One client conversation with its own interpreter and code sessions. */
export class Session {
  /** The session id. */
  readonly id: string;
  /** This session's interpreter. */
  readonly interpreter: InterpreterLike;
  /** When it was last used (ms since the epoch). */
  lastUsed: number = Date.now();
  /** The turn being run, if any. */
  run: RunTicket | null = null;
  /** A turn paused at a confirmation, if any (WebSocket `go` resumes it). */
  pending: PendingApproval | null = null;
  /** Open WebSocket connections; a session with one never expires. */
  sockets = 0;
  readonly #saver: ((messages: LmcMessage[]) => Promise<void>) | undefined;

  /**
   * Wraps an interpreter as a session; `options.saver` writes its messages to the store
   * (with `--store`), in order, resolving once written (see store_link.ts).
   */
  constructor(
    id: string,
    interpreter: InterpreterLike,
    options: { saver?: (messages: LmcMessage[]) => Promise<void> } = {},
  ) {
    this.id = id;
    this.interpreter = interpreter;
    this.#saver = options.saver;
  }

  /**
   * Saves the conversation as it is now to the store, when there is one; resolves once it
   * is written (never rejects: a failed save is reported by the store link).
   */
  save(): Promise<void> {
    return this.#saver?.(this.interpreter.messages) ?? Promise.resolve();
  }

  /** Marks the session as used now. */
  touch(): void {
    this.lastUsed = Date.now();
  }

  /** Drops a paused turn without running its code. */
  async discardPending(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    pending.abort.abort();
    await settleWithin(pending.iterator.return?.(), 5000);
  }

  /** Stops the running turn (and its code) and waits, bounded, for it to end. */
  async stopRun(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.controller.abort();
    await settleWithin(run.done, 10000);
  }

  /**
   * Lets the session go without ending its code sessions: another instance took it over and
   * carries on with them (a computer that can be detached is; any other is ended, as nothing
   * else can use it). The turn running here is stopped after that, so it reaches no code.
   */
  async letGo(): Promise<void> {
    const computer = this.#madeComputer();
    if (computer?.detach) computer.detach();
    else if (computer) await settleWithin(computer.terminate(), 10000);
    await this.#stopWork();
  }

  /** Stops everything and ends the code sessions. */
  async end(): Promise<void> {
    await this.#stopWork();
    const computer = this.#madeComputer();
    if (computer) await settleWithin(computer.terminate(), 10000);
  }

  /** Stops the running turn, drops a paused one, and ends the session's MCP servers. */
  async #stopWork(): Promise<void> {
    await this.stopRun();
    await this.discardPending();
    // seam: mcp — the session's MCP servers end with it.
    await settleWithin(this.interpreter.stopMcpServers?.() ?? Promise.resolve(), 10000);
  }

  /** The session's computer, or undefined before the engine made one (on its first chat). */
  #madeComputer(): ServerComputerLike | undefined {
    try {
      return this.interpreter.computer;
    } catch {
      return undefined;
    }
  }
}

/** Waits for a promise (ignoring its failure), but no longer than `ms`. */
export async function settleWithin(
  promise: Promise<unknown> | undefined,
  ms: number,
): Promise<void> {
  if (!promise) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(() => {}, () => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Limits of a {@linkcode SessionRegistry}. */
export interface RegistryLimits {
  /** Sessions kept at once. */
  maxSessions: number;
  /** Turns run at once across sessions. */
  maxConcurrentRuns: number;
  /** Milliseconds a session may stay unused. */
  idleMs: number;
  /** The conversation store of a multi-instance deployment (see store_link.ts). */
  storeLink?: StoreLink;
}

/** Keeps the sessions, creates them on demand and ends idle ones. */
export class SessionRegistry {
  readonly #factory: InterpreterFactory;
  readonly #limits: RegistryLimits;
  readonly #sessions = new Map<string, Session>();
  readonly #creating = new Map<string, Promise<Session>>();
  #runs = 0;
  #closed = false;

  /** Makes an empty registry. */
  constructor(factory: InterpreterFactory, limits: RegistryLimits) {
    this.#factory = factory;
    this.#limits = limits;
    limits.storeLink?.onLost((id) => void this.#letGo(id));
  }

  /** Turns running now. */
  get activeRuns(): number {
    return this.#runs;
  }

  /** The ids of the live sessions. */
  get ids(): string[] {
    return [...this.#sessions.keys()];
  }

  /** The session with this id, created when missing (503 when the registry is full). */
  async get(id: string): Promise<Session> {
    if (this.#closed) throw shuttingDown();
    const existing = this.#sessions.get(id);
    if (existing) {
      existing.touch();
      return existing;
    }
    const creating = this.#creating.get(id);
    if (creating) return await creating;
    if (this.#sessions.size + this.#creating.size >= this.#limits.maxSessions) {
      await this.sweep();
      if (this.#sessions.size + this.#creating.size >= this.#limits.maxSessions) {
        throw new HttpError(
          503,
          `The server already holds ${this.#limits.maxSessions} sessions: reuse a session id or try again later.`,
          { code: "too_many_sessions", headers: { "retry-after": "30" } },
        );
      }
    }
    const promise = (async () => {
      // seam: store — with --store the session is claimed and starts from its stored state.
      const link = this.#limits.storeLink;
      const origin = link ? await link.open(id) : undefined;
      const interpreter = await this.#factory(origin);
      if (origin?.messages.length) interpreter.messages = origin.messages;
      const saver = link ? (messages: LmcMessage[]) => link.save(id, messages) : undefined;
      const session = new Session(id, interpreter, { saver });
      this.#sessions.set(id, session);
      return session;
    })();
    this.#creating.set(id, promise);
    try {
      return await promise;
    } finally {
      this.#creating.delete(id);
    }
  }

  /**
   * Reserves a run slot for a session: 429 when that session is already
   * running a turn, 503 when the server runs its maximum of turns at once.
   */
  beginRun(session: Session): RunTicket {
    if (this.#closed) throw shuttingDown();
    if (session.run) throw sessionBusy(session);
    if (this.#runs >= this.#limits.maxConcurrentRuns) {
      throw new HttpError(
        503,
        `The server is running its maximum of ${this.#limits.maxConcurrentRuns} turns at once: try again shortly.`,
        { code: "server_busy", headers: { "retry-after": "1" } },
      );
    }
    this.#runs++;
    session.touch();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const ticket: RunTicket = {
      controller: new AbortController(),
      done,
      finish: () => {
        if (finished) return;
        finished = true;
        this.#runs--;
        session.touch();
        if (session.run === ticket) session.run = null;
        // The turn saved after each message and at its end (turn.ts); this catches what
        // changed after it (a paused turn dropped), and writes nothing when nothing did.
        void this.persist(session);
        release();
      },
    };
    session.run = ticket;
    return ticket;
  }

  /** Saves a session's messages to the store, when there is one; resolves once written. */
  persist(session: Session): Promise<void> {
    return session.save();
  }

  /** Ends the sessions unused for longer than the idle limit; resolves to their ids. */
  async sweep(now: number = Date.now()): Promise<string[]> {
    const expired: Session[] = [];
    for (const session of this.#sessions.values()) {
      const idle = now - session.lastUsed >= this.#limits.idleMs;
      if (idle && !session.run && session.sockets === 0) expired.push(session);
    }
    for (const session of expired) this.#sessions.delete(session.id);
    await Promise.all(expired.map((session) => this.#end(session)));
    return expired.map((session) => session.id);
  }

  /** Refuses new work, stops every running turn and ends every session. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#creating.values()].map((p) => p.catch(() => {})));
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((session) => this.#end(session)));
  }

  /** Drops a session another instance took over (its container is that instance's now). */
  async #letGo(id: string): Promise<void> {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    await session.letGo();
  }

  async #end(session: Session): Promise<void> {
    const link = this.#limits.storeLink;
    if (link && !(await link.holds(session.id))) {
      // Taken over meanwhile: ending it here would remove the container the holder uses.
      await session.letGo();
      return;
    }
    await session.end();
    await session.save();
    await this.#limits.storeLink?.release(session.id);
  }
}

/** The 429 error for a session that is already running a turn. */
export function sessionBusy(session: Session): HttpError {
  return new HttpError(
    429,
    `Session "${session.id}" is running a turn: wait for it to finish, stop it (POST /stop), or use another session id.`,
    { code: "session_busy", headers: { "retry-after": "1" } },
  );
}

function shuttingDown(): HttpError {
  return new HttpError(503, "The server is shutting down: try again later.", {
    code: "shutting_down",
  });
}
