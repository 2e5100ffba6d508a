/**
 * The PostgreSQL store (`--store postgres://user@host:port/db`), shared by every server
 * instance behind a balancer. npm:pg loads only when this backend is used. Leases use the
 * database's clock, so instances with skewed clocks still agree on who holds a session.
 *
 * @module
 */

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

/**
 * The part of npm:pg's query result used here (typed locally: @types/pg drags in Node's
 * globals). `R` is the shape of a row the query selects.
 */
interface QueryResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number | null;
}
/** The part of a pooled npm:pg client used here. */
interface PoolClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  release(): void;
}
/** The part of npm:pg's Pool used here. */
interface Pool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  connect(): Promise<PoolClient>;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): void;
}
/** The constructor npm:pg exports. */
type PoolConstructor = new (config: Record<string, unknown>) => Pool;

const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS interpreter_sessions (
  id TEXT PRIMARY KEY,
  messages TEXT NOT NULL DEFAULT '[]',
  owner TEXT,
  lease_until BIGINT NOT NULL DEFAULT 0,
  container TEXT,
  updated BIGINT NOT NULL DEFAULT 0
)`;

/** The key of the advisory lock held while the table is created (any fixed number). */
const SCHEMA_LOCK = 0x6f69_7374; // "oist"

/**
 * Creates the table when missing. `CREATE TABLE IF NOT EXISTS` is not safe when two instances
 * start at once (both see no table; the second fails on a unique index of the catalogue), so
 * it runs in a transaction holding an advisory lock: one instance creates, the others wait.
 */
async function createSchema(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
    await client.query(SCHEMA);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Options of {@linkcode openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Values never written (API keys); redacted from messages. */
  secrets?: string[];
  /** Milliseconds to wait for a connection before failing (default 5000). */
  connectTimeoutMs?: number;
  /** Connections kept at most (default 4). */
  maxConnections?: number;
}

/** Connects to PostgreSQL at `url`, creates the table when missing, and returns the store. */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  // deno-lint-ignore no-explicit-any
  const pg: any = (await import("npm:pg@8.16.3")).default;
  const PoolClass = pg.Pool as PoolConstructor;
  const pool: Pool = new PoolClass({
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    max: options.maxConnections ?? 4,
    // A query never waits forever on a stuck server (its side), or on a dead link (ours).
    statement_timeout: 10000,
    query_timeout: 15000,
  });
  // An idle client's error (the server restarted) must not crash the program.
  pool.on("error", () => {});
  try {
    await createSchema(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`cannot use the PostgreSQL store: ${(error as Error).message}`);
  }
  return new PostgresStore(pool, options.secrets ?? []);
}

class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly #pool: Pool;
  readonly #secrets: string[];

  constructor(pool: Pool, secrets: string[]) {
    this.#pool = pool;
    this.#secrets = secrets;
  }

  async saveMessages(
    sessionId: string,
    messages: LmcMessage[],
    options: SaveOptions = {},
  ): Promise<boolean> {
    checkStoreSessionId(sessionId);
    const text = redact(JSON.stringify(messages), this.#secrets);
    if (options.owner !== undefined) {
      // The row lock of the UPDATE orders it with a takeover's claim: a write after it misses.
      const fenced = await this.#pool.query(
        `UPDATE interpreter_sessions SET messages = $2, updated = ${NOW_MS}
         WHERE id = $1 AND owner = $3`,
        [sessionId, text, options.owner],
      );
      return fenced.rowCount === 1;
    }
    await this.#pool.query(
      `INSERT INTO interpreter_sessions (id, messages, updated) VALUES ($1, $2, ${NOW_MS})
       ON CONFLICT (id) DO UPDATE SET messages = excluded.messages, updated = excluded.updated`,
      [sessionId, text],
    );
    return true;
  }

  async loadMessages(sessionId: string): Promise<LmcMessage[] | undefined> {
    const result = await this.#pool.query<{ messages: string }>(
      "SELECT messages FROM interpreter_sessions WHERE id = $1",
      [sessionId],
    );
    const row = result.rows[0];
    return row ? parseMessages(row.messages, sessionId) : undefined;
  }

  async listSessions(): Promise<StoredSessionInfo[]> {
    const result = await this.#pool.query(
      "SELECT id, owner, container, updated FROM interpreter_sessions ORDER BY updated DESC",
    );
    return result.rows.map((r) => ({
      id: String(r.id),
      owner: r.owner as string | null,
      container: r.container as string | null,
      updated: Number(r.updated),
    }));
  }

  async claim(sessionId: string, instance: string, options: ClaimOptions): Promise<SessionClaim> {
    checkStoreSessionId(sessionId);
    const client: PoolClient = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO interpreter_sessions (id, updated) VALUES ($1, ${NOW_MS})
         ON CONFLICT (id) DO NOTHING`,
        [sessionId],
      );
      const before = (await client.query<{ owner: string | null; expired: boolean }>(
        `SELECT owner, lease_until < ${NOW_MS} AS expired FROM interpreter_sessions
         WHERE id = $1 FOR UPDATE`,
        [sessionId],
      )).rows[0];
      const free = before.owner === null || before.owner === instance || before.expired;
      if (free) {
        await client.query(
          `UPDATE interpreter_sessions SET owner = $2, lease_until = ${NOW_MS} + $3
           WHERE id = $1`,
          [sessionId, instance, Math.round(options.leaseMs)],
        );
      }
      const row = (await client.query<{
        owner: string | null;
        lease_until: string;
        container: string | null;
      }>(
        "SELECT owner, lease_until, container FROM interpreter_sessions WHERE id = $1",
        [sessionId],
      )).rows[0];
      await client.query("COMMIT");
      return {
        granted: free,
        owner: row.owner ?? "",
        leaseUntil: Number(row.lease_until),
        container: row.container,
        tookOver: free && before.owner !== null && before.owner !== instance,
      };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async renewAll(instance: string, options: ClaimOptions): Promise<number> {
    const result = await this.#pool.query(
      `UPDATE interpreter_sessions SET lease_until = ${NOW_MS} + $2 WHERE owner = $1`,
      [instance, Math.round(options.leaseMs)],
    );
    return result.rowCount ?? 0;
  }

  async setContainer(
    sessionId: string,
    instance: string,
    container: string | null,
  ): Promise<boolean> {
    const result = await this.#pool.query(
      "UPDATE interpreter_sessions SET container = $3 WHERE id = $1 AND owner = $2",
      [sessionId, instance, container],
    );
    return result.rowCount === 1;
  }

  async release(sessionId: string, instance: string): Promise<void> {
    await this.#pool.query(
      "UPDATE interpreter_sessions SET owner = NULL, lease_until = 0 WHERE id = $1 AND owner = $2",
      [sessionId, instance],
    );
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.#pool.query("DELETE FROM interpreter_sessions WHERE id = $1", [sessionId]);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
