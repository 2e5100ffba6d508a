/**
 * Pre-started ("spare") session boxes: a small pool per box shape, so a session that needs a
 * box takes a ready one and only connects, instead of paying the engine's start (runtime,
 * namespaces, mounts: most of a cold start).
 *
 * Rules (everything in a box is hostile):
 * - A shape is the whole box spec without its nonce and labels (image, permissions and so
 *   binds, working directory, environment, limits, network): a session only ever takes a
 *   spare of exactly its own shape.
 * - A spare serves one session and never comes back; nothing is ever reused. A spare that
 *   prints anything or ends while waiting is removed.
 * - The nonce is made here, on the host, when the spare is created.
 * - Labels are fixed at create: a spare carries {@linkcode POOL_LABEL} (its owner,
 *   `host@pidns/pid`)
 *   and the instance label, no session. Taking it renames it (host-written, through the
 *   engine: the box cannot rename itself) to a name made from a hash of the session, which
 *   {@linkcode boxBelongsTo} checks when another computer reattaches. An untaken spare, or a
 *   box claimed for another session, is refused.
 * - Bounded: `size` spares per shape, at most {@linkcode MAX_SHAPES} shapes (the least used
 *   is dropped), one launch at a time per shape; a failed refill is quiet and retried after
 *   a growing delay, {@linkcode MAX_FAILURES} times, then again only after the next take.
 * - `close()` removes every spare (and waits, bounded, for launches under way). Spares left
 *   by a process that died (kill -9) are removed when a pool on the same host starts and
 *   their owner's pid is gone; claimed boxes are sessions' and are never swept.
 *
 * @module
 */

import type {
  BoxInfo,
  BoxInput,
  BoxOutput,
  BoxShape,
  SessionBackend,
  SparePool,
  TakenBox,
} from "./backend.ts";
import { FrameParser, newNonce } from "../computer/framing.ts";
import { INSTANCE_LABEL, POOL_LABEL, SESSION_LABEL } from "./options.ts";

/** Shapes kept at most (a session whose permissions change needs a new one). */
export const MAX_SHAPES = 4;
/** Refill failures in a row before a shape waits for the next take. */
export const MAX_FAILURES = 5;
/** Milliseconds a new spare's driver may take to answer. */
const READY_TIMEOUT_MS = 30_000;
/** Milliseconds `close()` waits for launches under way. */
const CLOSE_WAIT_MS = 40_000;
/** Name prefix of an untaken spare. */
const SPARE_PREFIX = "oi-spare-";
/** Name prefix of a box claimed for a session. */
const CLAIM_PREFIX = "oi-s-";

/** Options of {@linkcode BoxPool}. */
export interface BoxPoolOptions {
  /** Spares kept ready per shape (0: no pool). */
  size: number;
  /** The instance label of spares (default `cli`). */
  instance?: string;
  /** True: `close()` closes the backend too. */
  ownsBackend?: boolean;
  /** Milliseconds before the first retry of a failed refill; doubles each time (default 1000). */
  retryMs?: number;
}

interface Held {
  id: string;
  nonce: string;
  output: BoxOutput;
  input: BoxInput;
  iterator: AsyncIterator<Uint8Array>;
  pending?: Promise<IteratorResult<Uint8Array>>;
  taken: boolean;
}

interface Shelf {
  key: string;
  shape: BoxShape;
  ready: Held[];
  filling: boolean;
  failures: number;
  timer?: ReturnType<typeof setTimeout>;
  used: number;
}

function randomHex(chars: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, chars);
}

async function sessionHash(session: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(session));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")
    .slice(0, 24);
}

/** A fresh name claiming a box for `session` (a hash of it, and a random part). */
export async function claimName(session: string): Promise<string> {
  return `${CLAIM_PREFIX}${await sessionHash(session)}-${randomHex(12)}`;
}

/**
 * True when a box belongs to `session`: made for it (its session label), or a pool's spare
 * that was claimed for it (its name, set by the host through the engine when taken).
 */
export async function boxBelongsTo(info: BoxInfo, session: string): Promise<boolean> {
  const label = info.labels[SESSION_LABEL];
  if (label !== undefined) return label === session;
  if (info.labels[POOL_LABEL] === undefined) return false;
  const hash = await sessionHash(session);
  return new RegExp(`^${CLAIM_PREFIX}${hash}-[0-9a-f]{12}$`).test(info.name ?? "");
}

/** True unless `/proc` says the process is gone (unknown: alive, so nothing is swept). */
function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}

/**
 * This host's name and pid namespace (`name@pid:[inode]`): a pid means something only in its
 * own namespace, so instances in other ones (containers sharing the host's name) never take
 * this one's live spares for stale ones.
 */
function hostName(): string {
  let name = "localhost";
  try {
    name = Deno.hostname();
  } catch { /* unnamed */ }
  try {
    return `${name}@${Deno.readLinkSync("/proc/self/ns/pid")}`;
  } catch {
    return name;
  }
}

async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pre-started session boxes on one backend (one engine), per box shape. */
export class BoxPool implements SparePool {
  /** Where the spares run (a computer taking from this pool uses it too). */
  readonly backend: SessionBackend;
  /** Spares kept ready per shape. */
  readonly size: number;
  readonly #instance: string;
  readonly #ownsBackend: boolean;
  readonly #retryMs: number;
  readonly #host = hostName();
  readonly #owner: string;
  readonly #shelves = new Map<string, Shelf>();
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;
  #swept: Promise<void> | undefined;
  #clock = 0;

  /** A pool on `backend` (nothing starts until {@linkcode prime} or {@linkcode take}). */
  constructor(backend: SessionBackend, options: BoxPoolOptions) {
    this.backend = backend;
    this.size = Math.max(0, Math.floor(options.size));
    this.#instance = options.instance ?? "cli";
    this.#ownsBackend = options.ownsBackend ?? false;
    this.#retryMs = options.retryMs ?? 1000;
    this.#owner = `${this.#host}/${Deno.pid}`;
  }

  /** True when spares can be kept: a size above 0, a backend that can claim, not closed. */
  get enabled(): boolean {
    return this.size > 0 && typeof this.backend.claim === "function" && !this.#closed;
  }

  /** The number of spares ready now (every shape). */
  get readyCount(): number {
    let n = 0;
    for (const shelf of this.#shelves.values()) n += shelf.ready.length;
    return n;
  }

  /** The ids of the spares ready now (every shape). */
  get readyIds(): string[] {
    return [...this.#shelves.values()].flatMap((shelf) => shelf.ready.map((h) => h.id));
  }

  /** Starts filling the pool for `shape` in the background. */
  prime(shape: BoxShape): void {
    if (!this.enabled) return;
    this.#fill(this.#shelf(shape));
  }

  /**
   * Takes a ready spare of `shape` for `session` (undefined when none is ready: the caller
   * starts its own box) and refills in the background. The claim runs while the caller
   * connects; the caller awaits `claimed` before recording the box.
   */
  take(shape: BoxShape, session: string): TakenBox | undefined {
    if (!this.enabled) return undefined;
    const shelf = this.#shelf(shape);
    const held = shelf.ready.shift();
    if (shelf.failures >= MAX_FAILURES) shelf.failures = MAX_FAILURES - 1; // one more try
    this.#fill(shelf);
    if (!held) return undefined;
    held.taken = true;
    const claimed = claimName(session).then((name) => this.backend.claim!(held.id, name));
    claimed.catch(() => {}); // the taker awaits it
    return {
      id: held.id,
      nonce: held.nonce,
      input: held.input,
      output: { chunks: rest(held), close: () => held.output.close() },
      claimed,
    };
  }

  /** Removes every spare; waits (bounded) for launches under way, removing what they make. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const shelf of this.#shelves.values()) {
      clearTimeout(shelf.timer);
      for (const held of shelf.ready.splice(0)) this.#discard(held);
    }
    const pending = Promise.all([...this.#inflight]).then(() => {});
    await within(pending, CLOSE_WAIT_MS, "").catch(() => {});
    // Removals started while waiting (a launch that finished after the close).
    await within(Promise.all([...this.#inflight]).then(() => {}), CLOSE_WAIT_MS, "")
      .catch(() => {});
    if (this.#ownsBackend) this.backend.close();
  }

  #shelf(shape: BoxShape): Shelf {
    const key = JSON.stringify(shape.build("", {}));
    let shelf = this.#shelves.get(key);
    if (!shelf) {
      shelf = { key, shape, ready: [], filling: false, failures: 0, used: 0 };
      this.#shelves.set(key, shelf);
    }
    shelf.used = ++this.#clock;
    if (this.#shelves.size > MAX_SHAPES) {
      // The least used shape goes (never this one: it was just used).
      const oldest = [...this.#shelves.values()].reduce((a, b) => (a.used <= b.used ? a : b));
      this.#shelves.delete(oldest.key);
      clearTimeout(oldest.timer);
      for (const held of oldest.ready.splice(0)) this.#discard(held);
    }
    return shelf;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    promise.finally(() => this.#inflight.delete(promise)).catch(() => {});
    return promise;
  }

  #fill(shelf: Shelf): void {
    if (this.#closed || shelf.filling || shelf.timer !== undefined) return;
    if (shelf.failures >= MAX_FAILURES || shelf.ready.length >= this.size) return;
    if (this.#shelves.get(shelf.key) !== shelf) return; // dropped
    shelf.filling = true;
    this.#track(this.#spare(shelf)).then((held) => {
      shelf.filling = false;
      if (this.#closed || this.#shelves.get(shelf.key) !== shelf) {
        this.#discard(held);
        return;
      }
      shelf.failures = 0;
      shelf.ready.push(held);
      this.#watch(held, shelf);
      this.#fill(shelf);
    }, () => {
      shelf.filling = false;
      this.#retry(shelf);
    });
  }

  /** Counts a failure and tries again after a growing delay (quietly). */
  #retry(shelf: Shelf): void {
    shelf.failures++;
    if (this.#closed || shelf.failures >= MAX_FAILURES || shelf.timer !== undefined) return;
    const delay = Math.min(60_000, this.#retryMs * 2 ** (shelf.failures - 1));
    const timer = setTimeout(() => {
      shelf.timer = undefined;
      this.#fill(shelf);
    }, delay);
    Deno.unrefTimer(timer);
    shelf.timer = timer;
  }

  /** Drops a spare that printed or ended while it waited. */
  #watch(held: Held, shelf: Shelf): void {
    held.pending = held.iterator.next();
    const drop = () => {
      if (held.taken) return;
      const at = shelf.ready.indexOf(held);
      if (at >= 0) shelf.ready.splice(at, 1);
      this.#discard(held);
      this.#retry(shelf);
    };
    held.pending.then(drop, drop);
  }

  #discard(held: Held): void {
    held.taken = true;
    held.output.close();
    held.input.close();
    this.#track(this.backend.remove(held.id).catch(() => {}));
  }

  /** Launches one spare and waits for its driver to answer. */
  async #spare(shelf: Shelf): Promise<Held> {
    this.#swept ??= this.#sweep();
    await this.#swept;
    if (this.#closed) throw new Error("the pool is closed");
    const nonce = newNonce();
    const spec = {
      ...shelf.shape.build(nonce, {
        [INSTANCE_LABEL]: this.#instance,
        [POOL_LABEL]: this.#owner,
      }),
      name: SPARE_PREFIX + randomHex(12),
    };
    const launched = await this.backend.launch(spec);
    let output = launched.output;
    let input = launched.input;
    try {
      output ??= await this.backend.attach(launched.id);
      input ??= await this.backend.openInput(launched.id);
      const iterator = output.chunks[Symbol.asyncIterator]();
      await within(answers(iterator, input, nonce), READY_TIMEOUT_MS, "the spare did not answer");
      return { id: launched.id, nonce, output, input, iterator, taken: false };
    } catch (error) {
      output?.close();
      input?.close();
      await this.backend.remove(launched.id).catch(() => {});
      throw error;
    }
  }

  /** Removes spares of this host whose owning process is gone (never claimed boxes). */
  async #sweep(): Promise<void> {
    if (!this.backend.list || !this.#procWorks()) return;
    try {
      for (const box of await this.backend.list(POOL_LABEL)) {
        const [host, pid] = (box.labels[POOL_LABEL] ?? "").split("/");
        if (host !== this.#host || !/^\d+$/.test(pid ?? "")) continue;
        if (Number(pid) === Deno.pid || alive(Number(pid))) continue;
        if (!box.name.startsWith(SPARE_PREFIX) || box.labels[SESSION_LABEL] !== undefined) {
          continue;
        }
        await this.backend.remove(box.id);
      }
    } catch {
      // the engine did not answer: nothing is swept now
    }
  }

  #procWorks(): boolean {
    try {
      return Deno.statSync(`/proc/${Deno.pid}`).isDirectory;
    } catch {
      return false;
    }
  }
}

/** The output from where the pool stopped reading. */
async function* rest(held: Held): AsyncGenerator<Uint8Array> {
  let result = await (held.pending ?? held.iterator.next());
  while (!result.done) {
    yield result.value;
    result = await held.iterator.next();
  }
}

/** Pings the driver and reads its output until the answer (throws when the output ends). */
async function answers(
  iterator: AsyncIterator<Uint8Array>,
  input: BoxInput,
  nonce: string,
): Promise<void> {
  const token = randomHex(8);
  let answered = false;
  const parser = new FrameParser(nonce, {
    onOutput: () => {},
    onRecord: (kind, payload) => {
      if (kind === "P" && payload === token) answered = true;
    },
  });
  await input.write(new TextEncoder().encode(JSON.stringify({ ping: token }) + "\n"));
  while (!answered) {
    const result = await iterator.next();
    if (result.done) throw new Error("the spare ended before it answered");
    parser.push(result.value);
  }
}
