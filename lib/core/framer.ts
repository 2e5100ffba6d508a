/**
 * The framer: turns the engine's chunks into Open Interpreter's streaming
 * blocks (`start` / content / `end` flag chunks) and stores the messages they
 * form in the conversation.
 *
 * @module
 */

import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";

/** What the framer stores into: the conversation. */
export interface FramerOwner {
  /** The conversation the framed messages are appended to. */
  messages: LmcMessage[];
}

/**
 * Frames chunks into blocks with `start` / `end` flag chunks (Open
 * Interpreter's streaming format) and stores the messages they form.
 */
export class Framer {
  #key: string | undefined;
  #base: LmcChunk | undefined;
  #stored: LmcMessage | undefined;
  #owner: FramerOwner;
  #onComplete: () => Promise<LmcChunk | undefined>;

  /** Frames into `owner.messages`; `onComplete` runs after each block (the save hook). */
  constructor(owner: FramerOwner, onComplete: () => Promise<LmcChunk | undefined>) {
    this.#owner = owner;
    this.#onComplete = onComplete;
  }

  /** Chunks that are shown but never stored (status, confirmation, usage, review). */
  static ephemeral(c: LmcChunk): boolean {
    return c.role === "server" || c.type === "confirmation" || c.type === "usage" ||
      c.type === "review";
  }

  /** Opens a new block (closing the current one) and stores its message. */
  async *open(base: LmcMessage, into?: LmcMessage): AsyncGenerator<LmcChunk> {
    yield* this.close();
    this.#key = Framer.#keyOf(base);
    const head: LmcChunk = { role: base.role, type: base.type };
    if (base.type !== "console" && base.format !== undefined) head.format = base.format;
    if (base.toolCallId) head.toolCallId = base.toolCallId;
    // A console block holds output for both, for the person only and for the model only: its
    // flags carry no recipient (each chunk does).
    if (base.recipient && base.type !== "console") head.recipient = base.recipient;
    this.#base = head;
    yield { ...head, start: true };
    if (into) this.#stored = into;
    else if (base.role === "assistant" && base.type === "code") {
      // Code is stored when its block opens, so its place in the conversation is known.
      this.#stored = { ...base, content: base.content ?? "" };
      this.#owner.messages.push(this.#stored);
    } else this.#stored = undefined;
  }

  /** Yields a chunk inside the right block and stores its content. */
  async *chunk(c: LmcChunk, into?: LmcMessage): AsyncGenerator<LmcChunk> {
    if (Framer.ephemeral(c)) {
      yield* this.close();
      yield c;
      return;
    }
    if (c.content === "" && c.format !== "active_line") return;
    const key = Framer.#keyOf(c);
    if (key !== this.#key) {
      const { content: _content, ...head } = c;
      yield* this.open(head, into);
    }
    yield c;
    if (c.format === "active_line") return;
    // Live output only for the person (past what the model sees) is shown, never stored.
    if (c.type === "console" && c.recipient === "user") return;
    const target = into ?? this.#stored;
    if (
      target && target.type === c.type && target.format === c.format &&
      typeof target.content === "string" && typeof c.content === "string" && c.type !== "image"
    ) {
      target.content += c.content;
    } else {
      // Its role, type and content (typed together), then the fields it has.
      const { start: _s, end: _e, format: _f, toolCallId: _t, recipient: _r, ...body } = c;
      const message: LmcMessage = body;
      if (c.format !== undefined) message.format = c.format;
      if (c.toolCallId) message.toolCallId = c.toolCallId;
      // The model's part of console output joins the stored output message: no recipient, so a
      // saved conversation shows (and sends) exactly the model's text.
      if (c.recipient && c.type !== "console") message.recipient = c.recipient;
      this.#owner.messages.push(message);
      this.#stored = message;
    }
  }

  /** Ends the current block, if any, and reports the completed message. */
  async *close(): AsyncGenerator<LmcChunk> {
    if (this.#key === undefined) return;
    const base = this.#base!;
    this.#key = undefined;
    this.#base = undefined;
    this.#stored = undefined;
    yield { ...base, end: true };
    const notice = await this.#onComplete();
    if (notice) yield notice;
  }

  static #keyOf(c: LmcMessage): string {
    const isConsole = c.type === "console";
    const format = isConsole ? "" : c.format ?? "";
    const recipient = isConsole ? "" : c.recipient ?? "";
    return `${c.role}|${c.type}|${format}|${c.toolCallId ?? ""}|${recipient}`;
  }
}
