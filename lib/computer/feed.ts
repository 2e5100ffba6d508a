/**
 * A bounded queue of LMC chunks between a running program (producer) and the
 * consumer of `computer.stream()`. Consecutive output is merged and
 * consecutive active lines keep only the latest, so a slow consumer never
 * makes memory grow.
 *
 * @module
 */

import { type LmcChunk, textOf } from "../wire/lmc.ts";

// Person-only output waiting for a slow consumer beyond this is dropped (with a marker).
const USER_QUEUE_CHARS = 256 * 1024;
const DROPPED = "\n… (some output was not shown: the display fell behind)\n";
// Characters of the dropped output kept, so the person still sees how it ended.
const DROPPED_END_CHARS = 2048;

/** Queue of chunks for one run. */
export class RunFeed {
  #queue: LmcChunk[] = [];
  // Characters of person-only output waiting for the consumer, and whether some were dropped.
  #userChars = 0;
  #userDropped = false;
  // the end of the dropped output (at most DROPPED_END_CHARS), and whether its start was cut
  #droppedEnd = "";
  #droppedCut = false;
  #ended = false;
  #wake: (() => void) | undefined;

  /** Adds a chunk (merging output, replacing a pending active line). */
  push(chunk: LmcChunk): void {
    if (this.#ended) return;
    if (chunk.type === "console" && chunk.recipient === "user" && chunk.format === "output") {
      // Live output only for the person: dropped while the consumer is far behind.
      if (this.#userChars > USER_QUEUE_CHARS) {
        this.#userDropped = true;
        this.#keepDroppedEnd(textOf(chunk));
        return;
      }
      if (this.#userDropped) {
        // newer output follows: the person needs only the marker, not the dropped end
        this.#userDropped = false;
        this.#droppedEnd = "";
        this.#droppedCut = false;
        chunk = { ...chunk, content: DROPPED + textOf(chunk) };
      }
      this.#userChars += textOf(chunk).length;
    } else if (chunk.type === "console" && chunk.format === "output") this.#showDroppedEnd();
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.type === "console" && chunk.type === "console") {
      if (
        last.format === "output" && chunk.format === "output" && last.recipient === chunk.recipient
      ) {
        last.content = textOf(last) + textOf(chunk);
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

  /** Adds output text (ignores empty text), for both or only for `recipient`. */
  output(text: string, recipient?: "user" | "assistant"): void {
    if (!text) return;
    const chunk: LmcChunk = { role: "computer", type: "console", format: "output", content: text };
    if (recipient) chunk.recipient = recipient;
    this.push(chunk);
  }

  /** Marks the end: the iterator finishes after the queued chunks. */
  end(): void {
    if (this.#ended) return;
    this.#showDroppedEnd();
    this.#ended = true;
    this.#signal();
  }

  #keepDroppedEnd(text: string): void {
    const kept = this.#droppedEnd + text;
    if (kept.length > DROPPED_END_CHARS) this.#droppedCut = true;
    this.#droppedEnd = kept.slice(-DROPPED_END_CHARS);
  }

  /**
   * Output went on to other output, or the run ended, while the person's live output was being
   * dropped: the end of what was dropped is queued (from a line start, after the marker) so the
   * person always sees how the program's output ended. It is bounded, so it joins the queue
   * even when the consumer is behind.
   */
  #showDroppedEnd(): void {
    if (!this.#userDropped) return;
    let end = this.#droppedEnd;
    if (this.#droppedCut) {
      const lineEnd = end.search(/[\n\r]/);
      if (lineEnd >= 0 && lineEnd < end.length - 1) end = end.slice(lineEnd + 1);
    }
    this.#userDropped = false;
    this.#droppedEnd = "";
    this.#droppedCut = false;
    const content = DROPPED + end;
    this.#userChars += content.length;
    this.#queue.push({
      role: "computer",
      type: "console",
      format: "output",
      content,
      recipient: "user",
    });
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
      while (this.#queue.length) {
        const chunk = this.#queue.shift()!;
        if (chunk.type === "console" && chunk.recipient === "user" && chunk.format === "output") {
          this.#userChars -= textOf(chunk).length;
        }
        yield chunk;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }
}
