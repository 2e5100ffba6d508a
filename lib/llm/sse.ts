/**
 * Server-sent events: turns decoded text into events (`event:` name and
 * joined `data:` lines) with `eventsource-parser`, which follows the WHATWG
 * rules our hand-written reader missed: a bare CR ends a line (even when it
 * is the last byte of a chunk), a leading byte-order mark is dropped, and a
 * field split across chunks is joined. Comment lines (`: ping`) and empty
 * `data:` lines produce no event but are counted, because a provider that
 * sends only keep-alives is still alive.
 *
 * @module
 */

import { createParser, type EventSourceParser } from "npm:eventsource-parser@4.1.3";

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field, when given. */
  event?: string;
  /** The `data:` lines joined with newlines. */
  data: string;
}

/** Splits SSE text into events; keeps state across pushes. */
export class SseParser {
  #pending: SseEvent[] = [];
  #comments = 0;
  #parser: EventSourceParser = createParser({
    onEvent: (e) => {
      // An empty `data:` is a keep-alive, like a comment.
      if (e.data === "") this.#comments++;
      else this.#pending.push({ event: e.event, data: e.data });
    },
    onComment: () => this.#comments++,
  });

  /** Comment lines seen so far (keep-alives: complete lines that are not events). */
  get comments(): number {
    return this.#comments;
  }

  /** Adds text and returns the events it completed. */
  push(text: string): SseEvent[] {
    this.#parser.feed(text);
    return this.#take();
  }

  /**
   * Ends the input and returns the last event, if one was pending (a stream
   * may end without the blank line after its last event; such an event may
   * also be cut short, which the caller judges).
   */
  end(): SseEvent[] {
    this.#parser.feed("\n\n");
    this.#parser.reset();
    return this.#take();
  }

  #take(): SseEvent[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }
}
