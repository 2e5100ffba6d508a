/**
 * A bounded queue of LMC chunks between a running program (producer) and the
 * consumer of `computer.stream()`. Consecutive output is merged and
 * consecutive active lines keep only the latest, so a slow consumer never
 * makes memory grow.
 *
 * @module
 */

import type { LmcChunk } from "../core/lmc.ts";

/** Queue of chunks for one run. */
export class RunFeed {
  #queue: LmcChunk[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  /** Adds a chunk (merging output, replacing a pending active line). */
  push(chunk: LmcChunk): void {
    if (this.#ended) return;
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.type === "console" && chunk.type === "console") {
      if (last.format === "output" && chunk.format === "output" && !last.recipient) {
        last.content += chunk.content;
        return;
      }
      if (last.format === "active_line" && chunk.format === "active_line") {
        last.content = chunk.content;
        return;
      }
    }
    this.#queue.push(chunk);
    this.#signal();
  }

  /** Adds output text (ignores empty text). */
  output(text: string): void {
    if (text) this.push({ role: "computer", type: "console", format: "output", content: text });
  }

  /** Marks the end: the iterator finishes after the queued chunks. */
  end(): void {
    this.#ended = true;
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Yields chunks until the run ends. */
  async *chunks(): AsyncGenerator<LmcChunk> {
    while (true) {
      while (this.#queue.length) yield this.#queue.shift()!;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }
}
