/**
 * Opens the conversation store a `--store` value names:
 * `sqlite:PATH` (or a path ending in `.db` / `.sqlite`) for the embedded store, and
 * `postgres://…` / `postgresql://…` for PostgreSQL (loaded only then).
 *
 * @module
 */

import { SqliteStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

export type { ClaimOptions, SaveOptions, SessionClaim, Store, StoredSessionInfo } from "./types.ts";
export { SqliteStore } from "./sqlite.ts";

/** Options of {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** Values never written (API keys). */
  secrets?: string[];
}

/** What `--store` accepts, for error messages. */
const STORE_URL_HELP = "--store takes sqlite:PATH (embedded) or postgres://user@host:port/database";

/** Opens the store at `url` (throws with {@linkcode STORE_URL_HELP} for anything else). */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresStore } = await import("./postgres.ts");
    return await openPostgresStore(url, { secrets: options.secrets });
  }
  if (url.startsWith("sqlite:")) return new SqliteStore(url.slice(7), options);
  if (/\.(db|sqlite3?)$/.test(url)) return new SqliteStore(url, options);
  throw new Error(`${STORE_URL_HELP} (got ${JSON.stringify(url)})`);
}
