/**
 * The embedded store: one SQLite file through `node:sqlite` (built into Deno), no setup.
 * Writes take microseconds; one process (or several on one machine: SQLite locks the file)
 * shares it. Leases use this machine's clock.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type { LmcMessage } from "../wire/lmc.ts";
import { redact } from "../wire/secrets.ts";
import {
  checkStoreSessionId,
  type ClaimOptions,
  parseMessages,
  type SaveOptions,
  type SessionClaim,
  type Store,
  type StoredSessionInfo,
} from "./types.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS interpreter_sessions (
  id TEXT PRIMARY KEY,
  messages TEXT NOT NULL DEFAULT '[]',
  owner TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  container TEXT,
  updated INTEGER NOT NULL DEFAULT 0
)`;

/** Options of {@linkcode SqliteStore}. */
export interface SqliteStoreOptions {
  /** Values never written (API keys); redacted from messages. */
  secrets?: string[];
  /** The clock (ms since the epoch; default Date.now). */
  now?: () => number;
}

/** Tries at opening a file another process is opening too (about 75 ms apart: ~7 s). */
const OPEN_ATTEMPTS = 100;

/** The SQLite backend of {@linkcode Store}. */
export class SqliteStore implements Store {
  /** Always `sqlite`. */
  readonly kind = "sqlite";
  readonly #db: DatabaseSync;
  readonly #secrets: string[];
  readonly #now: () => number;

  /** Opens (creating when missing) the database file at `path` (`:memory:` for none). */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA busy_timeout = 5000;");
    // Two instances opening one new file at once: switching to WAL and creating the table can
    // meet the other's lock with SQLITE_BUSY at once (SQLite skips its wait where waiting could
    // deadlock), so that step is retried, bounded.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let attempt = 1;; attempt++) {
      try {
        this.#db.exec("PRAGMA journal_mode = WAL;");
        this.#db.exec(SCHEMA);
        break;
      } catch (error) {
        if (attempt >= OPEN_ATTEMPTS || !/locked|busy/i.test((error as Error).message)) throw error;
        Atomics.wait(pause, 0, 0, 50 + Math.floor(Math.random() * 50));
      }
    }
    this.#secrets = options.secrets ?? [];
    this.#now = options.now ?? Date.now;
  }

  saveMessages(
    sessionId: string,
    messages: LmcMessage[],
    options: SaveOptions = {},
  ): Promise<boolean> {
    checkStoreSessionId(sessionId);
    const text = redact(JSON.stringify(messages), this.#secrets);
    if (options.owner !== undefined) {
      const fenced = this.#db.prepare(
        "UPDATE interpreter_sessions SET messages = ?, updated = ? WHERE id = ? AND owner = ?",
      ).run(text, this.#now(), sessionId, options.owner);
      return Promise.resolve(Number(fenced.changes) === 1);
    }
    this.#db.prepare(
      `INSERT INTO interpreter_sessions (id, messages, updated) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET messages = excluded.messages, updated = excluded.updated`,
    ).run(sessionId, text, this.#now());
    return Promise.resolve(true);
  }

  loadMessages(sessionId: string): Promise<LmcMessage[] | undefined> {
    const row = this.#db.prepare("SELECT messages FROM interpreter_sessions WHERE id = ?").get(
      sessionId,
    ) as { messages: string } | undefined;
    return Promise.resolve(row ? parseMessages(row.messages, sessionId) : undefined);
  }

  listSessions(): Promise<StoredSessionInfo[]> {
    const rows = this.#db.prepare(
      "SELECT id, owner, container, updated FROM interpreter_sessions ORDER BY updated DESC",
    ).all();
    return Promise.resolve(rows.map((r) => ({
      id: String(r.id),
      owner: r.owner === null ? null : String(r.owner),
      container: r.container === null ? null : String(r.container),
      updated: Number(r.updated),
    })));
  }

  claim(sessionId: string, instance: string, options: ClaimOptions): Promise<SessionClaim> {
    checkStoreSessionId(sessionId);
    const now = this.#now();
    const until = now + options.leaseMs;
    // One write transaction decides (other processes sharing the file wait for it).
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      return Promise.resolve(this.#claim(sessionId, instance, now, until));
    } finally {
      this.#db.exec("COMMIT");
    }
  }

  #claim(sessionId: string, instance: string, now: number, until: number): SessionClaim {
    this.#db.prepare(
      `INSERT INTO interpreter_sessions (id, owner, lease_until, updated) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    ).run(sessionId, instance, until, now);
    const before = this.#row(sessionId);
    const took = before.owner !== null && before.owner !== instance && before.lease_until < now;
    this.#db.prepare(
      `UPDATE interpreter_sessions SET owner = ?, lease_until = ?
       WHERE id = ? AND (owner IS NULL OR owner = ? OR lease_until < ?)`,
    ).run(instance, until, sessionId, instance, now);
    const row = this.#row(sessionId);
    const granted = row.owner === instance;
    return {
      granted,
      owner: row.owner ?? "",
      leaseUntil: Number(row.lease_until),
      container: row.container,
      tookOver: granted && took,
    };
  }

  renewAll(instance: string, options: ClaimOptions): Promise<number> {
    const result = this.#db.prepare(
      "UPDATE interpreter_sessions SET lease_until = ? WHERE owner = ?",
    ).run(this.#now() + options.leaseMs, instance);
    return Promise.resolve(Number(result.changes));
  }

  setContainer(sessionId: string, instance: string, container: string | null): Promise<boolean> {
    const result = this.#db.prepare(
      "UPDATE interpreter_sessions SET container = ? WHERE id = ? AND owner = ?",
    ).run(container, sessionId, instance);
    return Promise.resolve(Number(result.changes) === 1);
  }

  release(sessionId: string, instance: string): Promise<void> {
    this.#db.prepare(
      "UPDATE interpreter_sessions SET owner = NULL, lease_until = 0 WHERE id = ? AND owner = ?",
    ).run(sessionId, instance);
    return Promise.resolve();
  }

  deleteSession(sessionId: string): Promise<void> {
    this.#db.prepare("DELETE FROM interpreter_sessions WHERE id = ?").run(sessionId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }

  #row(id: string): { owner: string | null; lease_until: number; container: string | null } {
    return this.#db.prepare(
      "SELECT owner, lease_until, container FROM interpreter_sessions WHERE id = ?",
    ).get(id) as { owner: string | null; lease_until: number; container: string | null };
  }
}
