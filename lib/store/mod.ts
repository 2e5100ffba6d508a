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

/** The file of an embedded store's address (`sqlite:PATH`, `x.db`), or undefined. */
export function storeFilePath(url: string): string | undefined {
  if (url.startsWith("sqlite:")) return url.slice(7);
  if (/^postgres(ql)?:\/\//.test(url)) return undefined;
  return /\.(db|sqlite3?)$/.test(url) ? url : undefined;
}

/** Opens the store at `url` (throws with {@linkcode STORE_URL_HELP} for anything else). */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresStore } = await import("./postgres.ts");
    return await openPostgresStore(url, { secrets: options.secrets });
  }
  const file = storeFilePath(url);
  if (file !== undefined) return new SqliteStore(file, options);
  throw new Error(`${STORE_URL_HELP} (got ${JSON.stringify(url)})`);
}
