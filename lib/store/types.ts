/**
 * The conversation store: one interface, two backends (embedded SQLite through `node:sqlite`,
 * and PostgreSQL). It keeps each server session's messages and a row saying which server
 * instance owns the session, until when (a lease), and which container runs its code, so a
 * second instance can take a session over when the first one dies and reattach to the same
 * container. Nothing in the store is a host path: a container is an engine's id or a pod name.
 *
 * @module
 */

import type { LmcMessage } from "../wire/lmc.ts";

/** Who holds a session now (what {@linkcode Store.claim} answers). */
export interface SessionClaim {
  /** True when the caller holds the session now. */
  granted: boolean;
  /** The instance that holds it (the caller when granted). */
  owner: string;
  /** When the holder's lease ends (ms since the epoch, the store's clock). */
  leaseUntil: number;
  /** The container (or pod) that runs the session's code, when one was recorded. */
  container: string | null;
  /** True when the caller took the session over from another instance whose lease had ended. */
  tookOver: boolean;
}

/** One stored session, as listed. */
export interface StoredSessionInfo {
  /** The session id. */
  id: string;
  /** The instance holding it, or null when released. */
  owner: string | null;
  /** The container recorded for it. */
  container: string | null;
  /** Last save (ms since the epoch). */
  updated: number;
}

/** Options of a claim. */
export interface ClaimOptions {
  /** How long the lease lasts from now, in milliseconds. */
  leaseMs: number;
}

/** Options of {@linkcode Store.saveMessages}. */
export interface SaveOptions {
  /**
   * A fenced write: written only while this instance holds the session, so an instance that
   * lost its lease (it stalled, and another took the session over) cannot overwrite the
   * newer history. Without it the write always happens (single-instance use).
   */
  owner?: string;
}

/** What every store backend does. */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /**
   * Replaces the messages of a session (created when missing, unless fenced). Secrets are
   * redacted first. Resolves to false, writing nothing, when `options.owner` no longer holds it.
   */
  saveMessages(sessionId: string, messages: LmcMessage[], options?: SaveOptions): Promise<boolean>;
  /** The messages of a session, or undefined when the store has none. */
  loadMessages(sessionId: string): Promise<LmcMessage[] | undefined>;
  /** The stored sessions, most recently saved first. */
  listSessions(): Promise<StoredSessionInfo[]>;
  /**
   * Takes or renews the lease of a session for `instance`: granted when nobody holds it, the
   * caller already does, or the holder's lease has ended (then `tookOver` is true).
   */
  claim(sessionId: string, instance: string, options: ClaimOptions): Promise<SessionClaim>;
  /** Extends every lease `instance` holds; resolves to how many it holds. */
  renewAll(instance: string, options: ClaimOptions): Promise<number>;
  /** Records the container of a session the instance holds (false when it does not hold it). */
  setContainer(sessionId: string, instance: string, container: string | null): Promise<boolean>;
  /** Gives a session up (its messages stay). */
  release(sessionId: string, instance: string): Promise<void>;
  /** Forgets a session entirely. */
  deleteSession(sessionId: string): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** Session ids the store accepts (the server's own rule). */
const STORE_SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Throws a clear error for a session id the server would not have accepted. */
export function checkStoreSessionId(id: string): string {
  if (!STORE_SESSION_ID.test(id)) throw new Error(`invalid session id for the store: ${id}`);
  return id;
}

/** Parses stored message JSON (a list of objects with a role), or throws. */
export function parseMessages(text: string, sessionId: string): LmcMessage[] {
  const data = JSON.parse(text);
  if (!Array.isArray(data) || !data.every((m) => m && typeof m === "object" && "role" in m)) {
    throw new Error(`the store's row for session ${sessionId} is not a list of messages`);
  }
  return data as LmcMessage[];
}
