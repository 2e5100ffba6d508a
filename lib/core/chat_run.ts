/**
 * The value `interpreter.chat()` returns: both awaitable (resolving to the new
 * messages) and async-iterable (yielding LMC chunks). Nothing starts until it
 * is awaited or iterated; breaking out of the iteration stops the turn and
 * runs nothing further.
 *
 * @module
 */

import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";

/** A chat turn: `await` it for the new messages, or `for await` it for chunks. */
export class ChatRun implements PromiseLike<LmcMessage[]>, AsyncIterable<LmcChunk> {
  #start: () => AsyncGenerator<LmcChunk, void, undefined>;
  #collect: () => LmcMessage[];
  #started = false;
  #result: Promise<LmcMessage[]> | undefined;

  /** `start` makes the chunk generator; `collect` returns the new messages once it ends. */
  constructor(
    start: () => AsyncGenerator<LmcChunk, void, undefined>,
    collect: () => LmcMessage[],
  ) {
    this.#start = start;
    this.#collect = collect;
  }

  #take(): AsyncGenerator<LmcChunk, void, undefined> {
    if (this.#started) {
      throw new Error("This chat() result was already consumed; call chat() again.");
    }
    this.#started = true;
    return this.#start();
  }

  /** Yields the LMC chunks of the turn as they happen. */
  [Symbol.asyncIterator](): AsyncIterator<LmcChunk> {
    return this.#take();
  }

  /** Runs the whole turn and resolves to the messages it added. */
  then<A = LmcMessage[], B = never>(
    onFulfilled?: ((value: LmcMessage[]) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    if (!this.#result) {
      this.#result = (async () => {
        for await (const _ of this.#take()) { /* drain */ }
        return this.#collect();
      })();
    }
    return this.#result.then(onFulfilled, onRejected);
  }
}
