/**
 * The server's link to a conversation store (lib/store) when it runs as one of several
 * instances (`--store`): a session is claimed (a lease in the store) before this instance
 * serves it, its messages are loaded from the store on first use and saved after every
 * complete message (the turn waits for the save, see turn.ts), and its container is recorded
 * so another instance can reattach when this one dies.
 *
 * A session's saves are serialised: one write at a time per session, in order, and a save
 * asked for while another is being written waits and writes the newest state (saves asked
 * for meanwhile are folded into it), so a slow older write never overwrites a newer one.
 * Leases are renewed on a timer; a lease held by an instance that stopped renewing ends after
 * `leaseMs`, and a request for that session then waits (at most one lease) and takes it over.
 *
 * @module
 */

import type { LmcMessage } from "../wire/lmc.ts";
import type { SessionClaim, Store } from "../store/types.ts";
import { HttpError } from "./errors.ts";
import { numberDefault, settingByKey } from "../settings/registry.ts";

/** Seconds a lease lasts unless set (`--lease_seconds`), from the registry. */
const LEASE_SECONDS = numberDefault(settingByKey("deployment.lease_seconds")!);

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
  /** Per session: the write in progress (and the one waiting behind it), see {@linkcode save}. */
  readonly #saves = new Map<string, SaveQueue>();
  #lostListener: ((id: string) => void) | undefined;
  /** Sessions taken over by another instance: nothing of them is written from here. */
  readonly #lostIds = new Set<string>();

  /** Links `store` for this instance and starts renewing its leases. */
  constructor(store: Store, options: StoreLinkOptions = {}) {
    this.store = store;
    this.instance = options.instance ?? `instance-${crypto.randomUUID().slice(0, 8)}`;
    this.leaseMs = Math.max(1000, options.leaseMs ?? LEASE_SECONDS * 1000);
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
    this.#lostIds.delete(id);
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

  /**
   * Saves a session's messages as they are now; resolves once they (or a newer state of the
   * same session) are written. Saves of a session are written one at a time, in order; a state
   * equal to the last one written is not written again. Errors are reported on stderr, never
   * thrown into a turn.
   */
  save(id: string, messages: LmcMessage[]): Promise<void> {
    // The state now: the caller goes on changing the array while an older save is written.
    const text = JSON.stringify(messages);
    let queue = this.#saves.get(id);
    if (!queue) {
      queue = { written: undefined, tail: Promise.resolve(), waiting: undefined };
      this.#saves.set(id, queue);
    }
    if (queue.waiting) {
      // A write is already waiting for its turn: it takes this newer state.
      queue.waiting.text = text;
      return queue.waiting.done;
    }
    const entry: SaveEntry = { text, done: Promise.resolve() };
    const owner = queue;
    entry.done = owner.tail.then(async () => {
      // From now on a newer state queues behind this write.
      if (owner.waiting === entry) owner.waiting = undefined;
      if (entry.text === owner.written || this.#lostIds.has(id)) return;
      try {
        // Fenced: written only while this instance holds the session.
        const written = await this.store.saveMessages(id, JSON.parse(entry.text), {
          owner: this.instance,
        });
        if (written) owner.written = entry.text;
        else this.#lost(id);
      } catch (error) {
        console.error(`interpreter: could not save session ${id}: ${(error as Error).message}`);
      }
    });
    owner.waiting = entry;
    owner.tail = entry.done;
    return entry.done;
  }

  /**
   * Sets what is called when a save finds that another instance holds the session now (this
   * instance stalled past its lease and the session was taken over): the listener lets go of
   * the session here without touching its container, which the other instance uses.
   */
  onLost(listener: (id: string) => void): void {
    this.#lostListener = listener;
  }

  /** A fenced save was refused: only a takeover changes a held session's owner. */
  #lost(id: string): void {
    this.#lostIds.add(id);
    console.error(
      `interpreter: session ${id} was taken over by another instance after this one missed its lease; this instance lets it go (its messages since then were not saved)`,
    );
    this.#lostListener?.(id);
  }

  /**
   * True when this instance holds the session now (renewing its lease, or taking it again
   * when it ended and nobody took it over). A session taken over must not be ended here: its
   * container belongs to the instance that holds it.
   */
  async holds(id: string): Promise<boolean> {
    try {
      return (await this.store.claim(id, this.instance, { leaseMs: this.leaseMs })).granted;
    } catch {
      return false; // unknown: never remove what another instance may be using
    }
  }

  /** Resolves once every save asked for so far has been written (or has failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#saves.values()].map((queue) => queue.tail));
  }

  /** Gives a session up (it ended here: its container is gone). */
  async release(id: string): Promise<void> {
    const queue = this.#saves.get(id);
    if (queue) {
      await queue.tail;
      if (this.#saves.get(id) === queue && !queue.waiting) this.#saves.delete(id);
    }
    await this.store.setContainer(id, this.instance, null).catch(() => {});
    await this.store.release(id, this.instance).catch(() => {});
  }

  /** Stops renewing, waits for the saves asked for, and closes the store. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    await this.store.close().catch(() => {});
  }
}

/** One save of a session: the state to write (replaced by newer ones until it starts). */
interface SaveEntry {
  text: string;
  done: Promise<void>;
}

/** A session's saves: the last state written, the last write, the write waiting to start. */
interface SaveQueue {
  written: string | undefined;
  tail: Promise<void>;
  waiting: SaveEntry | undefined;
}
