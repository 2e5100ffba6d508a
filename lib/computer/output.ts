/**
 * Output handling for one run: turns raw bytes into clean text for the model
 * (text_cleaner.ts), keeps what the model sees bounded (a head and a tail of `maxOutput`
 * characters in all), and keeps the complete raw output in a file under
 * `<dataDir>/outputs/` once it grows past what fits in the message. Memory stays
 * bounded whatever the program prints: the middle is streamed to the file and
 * only a ring of the last bytes is kept.
 *
 * @module
 */

import { DEFAULT_OUTPUT_FILE_LIMIT, OutputFile } from "./output_file.ts";
import { TextCleaner } from "./text_cleaner.ts";

export { pruneOutputs } from "./output_file.ts";
export { TextCleaner } from "./text_cleaner.ts";

/** Where and how the output of a run is kept. */
export interface OutputSettings {
  /** Characters the model sees in all (head + tail). */
  maxOutput: number;
  /** Folder for full outputs (`<dataDir>/outputs`). */
  dir: string;
  /** A short label for the file name (the language). */
  label: string;
  /** Bytes of full outputs kept in `dir` before the oldest are pruned. */
  storeBudget: number;
  /** Bytes one run's full-output file may hold (default 64 MiB; see output_file.ts). */
  fileLimit?: number;
  /** Milliseconds for the live view's throttle windows (tests pass their own); `performance.now`. */
  clock?: () => number;
}

// Raw bytes kept in memory before a file is opened for the full output.
const MEMORY_BEFORE_FILE = 64 * 1024;

/**
 * A piece of a run's output and who it is for (LMC `recipient`): none for both
 * the person and the model, `"user"` for the person only (live output past what
 * the model sees), `"assistant"` for the model only (the end of what it sees,
 * which the person already watched live).
 */
export interface OutputPiece {
  /** The text. */
  text: string;
  /** Who it is for; absent: both. */
  recipient?: "user" | "assistant";
}

// Live output for the person past the model's head is throttled to this many bytes per
// window (about 160 KB/s), so a program printing gigabytes cannot flood a display.
const LIVE_WINDOW_MS = 100;
const LIVE_BYTES_PER_WINDOW = 16 * 1024;
// When live output was being skipped as the run ended, the person is shown this much of the end.
const LIVE_END_BYTES = 2048;
const NONE: readonly OutputPiece[] = Object.freeze([]);

/**
 * Collects the output of one run. `push` returns what to show now, `end` what
 * remains (as {@link OutputPiece}s). The model sees at most `maxOutput`
 * characters: the first half is shown to both live; after that the person
 * keeps seeing live output (throttled, with a marker where some is skipped)
 * while the model's part is held, and at the end the model gets what it is
 * missing: the held text if it all fits, else a line saying what was left out
 * and where the full output is, then the tail. Joined, the pieces without a
 * recipient and those for `"assistant"` are exactly the model's text; `write`
 * and `finish` return just that.
 */
export class OutputCollector {
  #settings: OutputSettings;
  #head: number;
  #tail: number;
  #cleaner = new TextCleaner();
  #phase: "live" | "holding" | "truncated" = "live";
  #liveChars = 0;
  #pending = "";
  #rawPending: Uint8Array[] = [];
  #rawPendingBytes = 0;
  // the last bytes of output, in a fixed circular buffer
  #ring: Uint8Array;
  #ringPos = 0;
  #ringLen = 0;
  #file: OutputFile | undefined;
  // the person's live view past the head
  #display = new TextCleaner({ keepCarriageReturns: true });
  #displayAtLineStart = true;
  #windowStart = -Infinity;
  #windowUsed = 0;
  #skipping = false;
  // whether the output so far ends at the start of a line (its last byte is a newline or `\r`)
  #atLineStart = true;
  #preview: string | undefined;
  /** Bytes of output received. */
  totalBytes = 0;
  /** The file holding the full output, once one was needed (and could be written). */
  get path(): string | undefined {
    return this.#file?.path;
  }

  /** A collector for one run's output. */
  constructor(settings: OutputSettings) {
    this.#settings = settings;
    const max = Math.max(0, Math.floor(settings.maxOutput));
    this.#head = Math.ceil(max / 2);
    this.#tail = max - this.#head;
    this.#ring = new Uint8Array(this.#tail * 4 + 4096);
  }

  /** True once the output grew past what the model will see. */
  get truncated(): boolean {
    return this.#phase === "truncated";
  }

  /**
   * Takes the next raw bytes (not kept: copied where needed, so the caller may
   * reuse its buffer); returns the model's text to show now ("" for none).
   */
  write(bytes: Uint8Array): string {
    return modelText(this.push(bytes));
  }

  /** Adds text that did not come from the program (notes), shown like output. */
  note(text: string): string {
    return this.write(new TextEncoder().encode(text));
  }

  /** Ends the run's output; returns the rest of the model's text. */
  finish(): string {
    return modelText(this.end());
  }

  /**
   * Takes the next raw bytes (not kept: copied where needed, so the caller may
   * reuse its buffer); returns the pieces to show now, in order.
   */
  push(bytes: Uint8Array): readonly OutputPiece[] {
    if (bytes.length === 0) return NONE;
    this.totalBytes += bytes.length;
    if (this.#file) this.#file.write(bytes);
    else {
      this.#rawPending.push(bytes.slice());
      this.#rawPendingBytes += bytes.length;
      if (this.#rawPendingBytes > MEMORY_BEFORE_FILE) this.#openFile();
    }
    this.#remember(bytes);
    let pieces: readonly OutputPiece[];
    if (this.#phase === "live") pieces = this.#acceptHead(this.#cleaner.push(bytes));
    else {
      // Once truncated only the tail matters for the model: it is decoded from the ring at the end.
      if (this.#phase === "holding") this.#hold(this.#cleaner.push(bytes));
      pieces = this.#live(bytes);
    }
    this.#atLineStart = isLineEnd(bytes[bytes.length - 1]);
    return pieces;
  }

  /** Ends the run's output; returns the pieces still to be shown, in order. */
  end(): OutputPiece[] {
    const pieces: OutputPiece[] = [];
    if (this.#phase === "live") pieces.push(...this.#acceptHead(this.#cleaner.flush()));
    else if (this.#phase === "holding") this.#hold(this.#cleaner.flush());
    if (this.#phase !== "live") {
      // The person's view: what the display cleaner still holds, or the end if it was skipped.
      let shown = "";
      if (!this.#skipping) shown = this.#display.flush();
      else {
        const end = this.#ringBytes();
        const from = end.length > LIVE_END_BYTES ? end.length - LIVE_END_BYTES : 0;
        shown = resumeText(end.subarray(from), from > 0 && !isLineEnd(end[from - 1]));
      }
      if (shown) pieces.push(this.#user(shown));
    }
    if (this.#phase === "holding") {
      if (this.#pending) pieces.push({ text: this.#pending, recipient: "assistant" });
      this.#pending = "";
    } else if (this.#phase === "truncated") {
      const cleaner = new TextCleaner();
      let tail = cleaner.push(this.#ringBytes()) + cleaner.flush();
      tail = tail.slice(-this.#tail).replace(/^\uFFFD+/, "");
      const shownBytes = this.#head + new TextEncoder().encode(tail).length;
      const leftOut = Math.max(0, this.totalBytes - shownBytes);
      pieces.push({
        text: `\n[... ${this.totalBytes.toLocaleString("en-US")} bytes of output in all; ` +
          `about ${leftOut.toLocaleString("en-US")} bytes in the middle were left out here ` +
          `(first ${this.#head} and last ${this.#tail} characters shown). ` +
          `${this.#whereFull()} ...]\n` + tail,
        recipient: "assistant",
      });
    }
    this.#file?.close();
    const file = this.#file;
    if (file?.error && this.#phase !== "truncated") {
      // (a truncated run's note already says so)
      pieces.push({ text: `\n[${this.#whereFull()}]\n`, recipient: "assistant" });
    }
    return pieces;
  }

  /** The model's head: shown to both while it lasts; the rest goes to the person and is held. */
  #acceptHead(text: string): readonly OutputPiece[] {
    const room = this.#head - this.#liveChars;
    const pieces: OutputPiece[] = [];
    if (text.length <= room) {
      this.#liveChars += text.length;
      if (text) {
        // A progress line previewed to the person ends now: return to the start of the line.
        if (this.#preview !== undefined && !text.startsWith("\r")) {
          pieces.push({ text: "\r", recipient: "user" });
        }
        pieces.push({ text });
        if (text.includes("\n")) this.#preview = undefined;
      }
      // A progress bar (`\r` without a newline yet) is held back from the model until its line
      // ends; the person sees its latest state now.
      const held = this.#cleaner.heldLine;
      if (held !== undefined && held !== this.#preview) {
        this.#preview = held;
        pieces.push({ text: "\r" + held, recipient: "user" });
      }
      return pieces.length ? pieces : NONE;
    }
    const shared = text.slice(0, room);
    let rest = text.slice(room);
    this.#liveChars = this.#head;
    this.#phase = "holding";
    if (shared) {
      if (this.#preview !== undefined && !shared.startsWith("\r")) {
        pieces.push({ text: "\r", recipient: "user" });
      }
      pieces.push({ text: shared });
    }
    this.#hold(rest);
    const held = this.#cleaner.heldLine;
    if (held !== undefined) rest += "\r" + held;
    this.#windowStart = this.#now();
    this.#windowUsed = rest.length;
    if (rest.length > LIVE_BYTES_PER_WINDOW) {
      this.#skipping = true;
      rest = this.#displayed(rest.slice(0, LIVE_BYTES_PER_WINDOW)) + this.#skipMarker();
    }
    if (rest) pieces.push(this.#user(rest));
    return pieces;
  }

  /** Holds the model's text past the head until it is clear whether it fits. */
  #hold(text: string): void {
    if (this.#phase !== "holding") return;
    this.#pending += text;
    if (this.#pending.length > this.#tail) {
      this.#phase = "truncated";
      this.#pending = "";
      this.#openFile();
    }
  }

  /** The person's live view past the head, at most LIVE_BYTES_PER_WINDOW bytes per window. */
  #live(bytes: Uint8Array): readonly OutputPiece[] {
    const now = this.#now();
    if (now - this.#windowStart >= LIVE_WINDOW_MS) {
      this.#windowStart = now;
      this.#windowUsed = 0;
    }
    const room = LIVE_BYTES_PER_WINDOW - this.#windowUsed;
    if (room <= 0) {
      if (this.#skipping) return NONE;
      this.#skipping = true;
      return [this.#user(this.#skipMarker())];
    }
    let text: string;
    let from = 0;
    if (this.#skipping) {
      // Resume at the start of a line (or of a progress-bar state), with a fresh decoder: here
      // if the skipped output ended a line, else after this piece's first line end.
      from = startOfLine(bytes, !this.#atLineStart);
      // Only the end of a skipped line: keep skipping (the run's end then shows its last bytes).
      if (from >= bytes.length) return NONE;
      this.#skipping = false;
      this.#display = new TextCleaner({ keepCarriageReturns: true });
    }
    const take = Math.min(bytes.length - from, room);
    this.#windowUsed += take;
    text = this.#display.push(bytes.subarray(from, from + take));
    if (from + take < bytes.length) {
      this.#skipping = true;
      text = this.#displayed(text) + this.#skipMarker();
    }
    return text ? [this.#user(text)] : NONE;
  }

  /** The line that tells the person some output is skipped (the full output goes to a file). */
  #skipMarker(): string {
    this.#openFile();
    const where = this.#file?.error
      ? `; the full output could not be saved: ${this.#file.error}`
      : `, full output in ${this.path}`;
    return (this.#displayAtLineStart ? "" : "\n") + `… (skipping${where})\n`;
  }

  #now(): number {
    return this.#settings.clock?.() ?? performance.now();
  }

  #user(text: string): OutputPiece {
    return { text: this.#displayed(text), recipient: "user" };
  }

  #displayed(text: string): string {
    if (text) this.#displayAtLineStart = text.endsWith("\n");
    return text;
  }

  #ringBytes(): Uint8Array {
    return this.#ringLen < this.#ring.length
      ? this.#ring.subarray(0, this.#ringLen)
      : concat([this.#ring.subarray(this.#ringPos), this.#ring.subarray(0, this.#ringPos)]);
  }

  #remember(bytes: Uint8Array): void {
    const ring = this.#ring;
    const src = bytes.length > ring.length ? bytes.subarray(bytes.length - ring.length) : bytes;
    const first = Math.min(src.length, ring.length - this.#ringPos);
    ring.set(src.subarray(0, first), this.#ringPos);
    ring.set(src.subarray(first), 0);
    this.#ringPos = (this.#ringPos + src.length) % ring.length;
    this.#ringLen = Math.min(ring.length, this.#ringLen + src.length);
  }

  #openFile(): void {
    if (this.#file) return;
    this.#file = new OutputFile({
      dir: this.#settings.dir,
      label: this.#settings.label,
      limit: this.#settings.fileLimit ?? DEFAULT_OUTPUT_FILE_LIMIT,
      budget: this.#settings.storeBudget,
    });
    for (const chunk of this.#rawPending) this.#file.write(chunk);
    this.#rawPending = [];
    this.#rawPendingBytes = 0;
  }

  /** Where the full output is, for the model's note. */
  #whereFull(): string {
    const file = this.#file;
    if (!file) return "";
    if (file.error) return `The full output could not be saved: ${file.error}.`;
    if (!file.dropped) return `Full output: ${file.path}`;
    const { head, tail } = file.kept;
    return `Full output: ${file.path} (capped: its first ${head.toLocaleString("en-US")} and ` +
      `last ${tail.toLocaleString("en-US")} bytes; ${file.dropped.toLocaleString("en-US")} ` +
      `bytes in between were not kept)`;
  }
}

/** The model's text among `pieces`: those without a recipient and those for the assistant. */
function modelText(pieces: readonly OutputPiece[]): string {
  let text = "";
  for (const piece of pieces) if (piece.recipient !== "user") text += piece.text;
  return text;
}

/** True for a byte that ends a line (newline) or a progress-bar state (`\r`). */
function isLineEnd(byte: number | undefined): boolean {
  return byte === 0x0a || byte === 0x0d;
}

/**
 * Where to resume showing output after skipping: after the first newline or carriage
 * return in `bytes` (else at the first byte that starts a UTF-8 character).
 */
function startOfLine(bytes: Uint8Array, cut: boolean): number {
  if (!cut) return 0;
  for (let i = 0; i < bytes.length; i++) {
    if (isLineEnd(bytes[i])) return i + 1;
  }
  let i = 0;
  while (i < bytes.length && i < 4 && (bytes[i] & 0xc0) === 0x80) i++;
  return i;
}

/** Cleaned text of `bytes` for the person, from a line start when `cut` (the start was cut off). */
function resumeText(bytes: Uint8Array, cut: boolean): string {
  const cleaner = new TextCleaner({ keepCarriageReturns: true });
  const from = startOfLine(bytes, cut);
  return cleaner.push(bytes.subarray(from)) + cleaner.flush();
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
