/**
 * The server's link to a conversation store (lib/store) when it runs as one of several
 * instances (`--store`): a session is claimed (a lease in the store) before this instance
 * serves it, its messages are loaded from the store on first use and saved after every
 * turn, and its container is recorded so another instance can reattach when this one dies.
 * Leases are renewed on a timer; a lease held by an instance that stopped renewing ends after
 * `leaseMs`, and a request for that session then waits (at most one lease) and takes it over.
 *
 * @module
 */

import type { LmcMessage } from "../wire/lmc.ts";
import type { SessionClaim, Store } from "../store/types.ts";
import { HttpError } from "./errors.ts";

/** Options of {@linkcode StoreLink}. */
export interface StoreLinkOptions {
  /** This instance's id (default: a random one). */
  instance?: string;
  /** Lease length in milliseconds (default 15000); renewed every third of it. */
  leaseMs?: number;
}

/** What a session starts from: its stored messages and the container it ran in. */
export interface SessionOrigin {
  /** The session id. */
  id: string;
  /** Messages saved by this or another instance (empty for a new session). */
  messages: LmcMessage[];
  /** The container to reattach to, when one was recorded. */
  container: string | null;
  /** Records the session's container (once it starts). */
  onContainer: (container: string) => Promise<void>;
}

/** Claims, loads, saves and releases sessions in a store for one server instance. */
export class StoreLink {
  /** The store. */
  readonly store: Store;
  /** This instance's id. */
  readonly instance: string;
  /** Lease length in milliseconds. */
  readonly leaseMs: number;
  #timer: ReturnType<typeof setInterval>;

  /** Links `store` for this instance and starts renewing its leases. */
  constructor(store: Store, options: StoreLinkOptions = {}) {
    this.store = store;
    this.instance = options.instance ?? `instance-${crypto.randomUUID().slice(0, 8)}`;
    this.leaseMs = Math.max(1000, options.leaseMs ?? 15_000);
    this.#timer = setInterval(() => {
      this.store.renewAll(this.instance, { leaseMs: this.leaseMs }).catch(() => {});
    }, Math.floor(this.leaseMs / 3));
    Deno.unrefTimer(this.#timer);
  }

  /**
   * Claims `id` for this instance, waiting (at most one lease and a second) for another
   * instance's lease to end; 503 when that instance still holds it.
   */
  async open(id: string): Promise<SessionOrigin> {
    const deadline = Date.now() + this.leaseMs + 1000;
    let claim: SessionClaim;
    while (true) {
      claim = await this.store.claim(id, this.instance, { leaseMs: this.leaseMs });
      if (claim.granted) break;
      if (Date.now() >= deadline) {
        throw new HttpError(
          503,
          `Session "${id}" is served by another instance (${claim.owner}): send its requests there (X-Session-Id), or retry.`,
          { code: "session_elsewhere", headers: { "retry-after": "1" } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const messages = await this.store.loadMessages(id) ?? [];
    return {
      id,
      messages,
      container: claim.container,
      onContainer: async (container) => {
        await this.store.setContainer(id, this.instance, container);
      },
    };
  }

  /** Saves a session's messages (errors are reported, never thrown into a turn). */
  async save(id: string, messages: LmcMessage[]): Promise<void> {
    try {
      await this.store.saveMessages(id, messages);
    } catch (error) {
      console.error(`interpreter: could not save session ${id}: ${(error as Error).message}`);
    }
  }

  /** Gives a session up (it ended here: its container is gone). */
  async release(id: string): Promise<void> {
    await this.store.setContainer(id, this.instance, null).catch(() => {});
    await this.store.release(id, this.instance).catch(() => {});
  }

  /** Stops renewing and closes the store. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.store.close().catch(() => {});
  }
}
