/**
 * Output handling for one run: turns raw bytes into clean text for the model
 * (UTF-8 with replacement, no terminal escapes, `\r` progress bars collapsed),
 * keeps what the model sees bounded (a head and a tail of `maxOutput`
 * characters in all), and keeps the complete raw output in a file under
 * `<dataDir>/outputs/` once it grows past what fits in the message. Memory stays
 * bounded whatever the program prints: the middle is streamed to the file and
 * only a ring of the last bytes is kept.
 *
 * @module
 */

import { join } from "node:path";

// CSI, OSC and two-character escape sequences
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const ANSI_AT_START =
  // deno-lint-ignore no-control-regex
  /^(?:\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_])/;
// control characters other than tab, newline and carriage return
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

/**
 * A streaming cleaner: bytes in, text a model (and a terminal) can take out.
 * Invalid UTF-8 and binary become U+FFFD, escape sequences are dropped, and
 * within a line only the text after the last `\r` is kept, as a terminal would
 * show it.
 */
export class TextCleaner {
  #decoder = new TextDecoder("utf-8", { fatal: false });
  #escape = "";
  #crPending = false;
  #inCr = false;
  #held = "";
  #lineStarted = false;

  /** Cleans the next piece of output. */
  push(bytes: Uint8Array): string {
    return this.#clean(this.#decoder.decode(bytes, { stream: true }), false);
  }

  /** Cleans a piece of text that is already decoded. */
  pushText(text: string): string {
    return this.#clean(text, false);
  }

  /** Returns whatever is still held back (end of output). */
  flush(): string {
    return this.#clean(this.#decoder.decode(), true);
  }

  #clean(input: string, final: boolean): string {
    let text = this.#escape + input;
    this.#escape = "";
    if (!final) {
      const esc = text.lastIndexOf("\x1b");
      if (esc >= 0 && text.length - esc < 64 && !ANSI_AT_START.test(text.slice(esc))) {
        this.#escape = text.slice(esc);
        text = text.slice(0, esc);
      }
    }
    text = text.replace(ANSI, "").replace(CONTROL, "\uFFFD").replaceAll("\x1b", "\uFFFD");
    if (this.#crPending) text = "\r" + text;
    this.#crPending = false;
    if (!final && text.endsWith("\r")) {
      this.#crPending = true;
      text = text.slice(0, -1);
    }
    text = text.replaceAll("\r\n", "\n");
    return this.#collapse(text, final);
  }

  #collapse(text: string, final: boolean): string {
    if (!text.includes("\r") && !this.#inCr) {
      if (text.length) {
        const nl = text.lastIndexOf("\n");
        this.#lineStarted = nl < text.length - 1 ? true : false;
      }
      return text;
    }
    let out = "";
    const parts = text.split("\n");
    for (let i = 0; i < parts.length; i++) {
      const complete = i < parts.length - 1;
      const part = parts[i];
      if (!this.#inCr) {
        const first = part.indexOf("\r");
        if (first < 0) {
          out += part;
          if (part.length) this.#lineStarted = true;
        } else {
          out += part.slice(0, first);
          if (first > 0) this.#lineStarted = true;
          this.#inCr = true;
          this.#held = part.slice(part.lastIndexOf("\r") + 1);
        }
      } else {
        this.#held += part;
        const last = this.#held.lastIndexOf("\r");
        if (last >= 0) this.#held = this.#held.slice(last + 1);
      }
      if (this.#inCr && this.#held.length > 8192) {
        out += (this.#lineStarted ? "\r" : "") + this.#held;
        this.#held = "";
        this.#lineStarted = true;
      }
      if (complete || (final && i === parts.length - 1)) {
        if (this.#inCr) out += (this.#lineStarted ? "\r" : "") + this.#held;
        this.#inCr = false;
        this.#held = "";
        if (complete) out += "\n";
        this.#lineStarted = false;
      }
    }
    return out;
  }
}

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
}

// Raw bytes kept in memory before a file is opened for the full output.
const MEMORY_BEFORE_FILE = 64 * 1024;

/**
 * Collects the output of one run. `write` returns the text to show live;
 * `finish` returns what remains to be shown (held-back text, or a line saying
 * what was left out followed by the tail).
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
  #file: Deno.FsFile | undefined;
  /** Bytes of output received. */
  totalBytes = 0;
  /** The file holding the full output, once one was needed. */
  path: string | undefined;

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
   * reuse its buffer); returns the text to show now ("" for none).
   */
  write(bytes: Uint8Array): string {
    if (bytes.length === 0) return "";
    this.totalBytes += bytes.length;
    if (this.#file) this.#writeFile(bytes);
    else {
      this.#rawPending.push(bytes.slice());
      this.#rawPendingBytes += bytes.length;
      if (this.#rawPendingBytes > MEMORY_BEFORE_FILE) this.#openFile();
    }
    this.#remember(bytes);
    // Once truncated only the tail matters: it is decoded from the ring at the end.
    if (this.#phase === "truncated") return "";
    return this.#accept(this.#cleaner.push(bytes));
  }

  /** Adds text that did not come from the program (notes), shown like output. */
  note(text: string): string {
    const bytes = new TextEncoder().encode(text);
    return this.write(bytes);
  }

  #accept(text: string): string {
    let out = "";
    if (this.#phase === "live") {
      const room = this.#head - this.#liveChars;
      if (text.length <= room) {
        this.#liveChars += text.length;
        return text;
      }
      out = text.slice(0, room);
      this.#liveChars = this.#head;
      text = text.slice(room);
      this.#phase = "holding";
    }
    if (this.#phase === "holding") {
      this.#pending += text;
      if (this.#pending.length > this.#tail) {
        this.#phase = "truncated";
        this.#pending = "";
        this.#openFile();
        out += `\n[... output too long: the middle is left out and saved to a file; ` +
          `the end follows when the program finishes ...]\n`;
      }
    }
    return out;
  }

  /** Ends the run's output; returns the text still to be shown. */
  finish(): string {
    let out = "";
    if (this.#phase !== "truncated") out = this.#accept(this.#cleaner.flush());
    if (this.#phase !== "truncated") {
      out += this.#pending;
      this.#pending = "";
    } else {
      const cleaner = new TextCleaner();
      const bytes = this.#ringLen < this.#ring.length
        ? this.#ring.subarray(0, this.#ringLen)
        : concat([this.#ring.subarray(this.#ringPos), this.#ring.subarray(0, this.#ringPos)]);
      let tail = cleaner.push(bytes) + cleaner.flush();
      tail = tail.slice(-this.#tail).replace(/^\uFFFD+/, "");
      const shownBytes = this.#head + new TextEncoder().encode(tail).length;
      const leftOut = Math.max(0, this.totalBytes - shownBytes);
      out += `\n[... ${this.totalBytes.toLocaleString("en-US")} bytes of output in all; ` +
        `about ${leftOut.toLocaleString("en-US")} bytes in the middle were left out here ` +
        `(first ${this.#head} and last ${this.#tail} characters shown). ` +
        `Full output: ${this.path} ...]\n` + tail;
    }
    this.#closeFile();
    return out;
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
    try {
      Deno.mkdirSync(this.#settings.dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const rand = crypto.randomUUID().slice(0, 8);
      this.path = join(this.#settings.dir, `${stamp}-${this.#settings.label}-${rand}.log`);
      this.#file = Deno.openSync(this.path, { write: true, createNew: true });
    } catch (error) {
      this.path = `(could not save the full output: ${(error as Error).message})`;
      this.#rawPending = [];
      this.#rawPendingBytes = 0;
      return;
    }
    for (const chunk of this.#rawPending) this.#writeFile(chunk);
    this.#rawPending = [];
    this.#rawPendingBytes = 0;
  }

  #writeFile(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) offset += this.#file!.writeSync(bytes.subarray(offset));
  }

  #closeFile(): void {
    if (!this.#file) return;
    this.#file.close();
    this.#file = undefined;
    pruneOutputs(this.#settings.dir, this.#settings.storeBudget, { keep: this.path });
  }
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

/**
 * Deletes the oldest files in `dir` until the folder holds at most `budget`
 * bytes, never touching `options.keep` (the output just written).
 */
export function pruneOutputs(dir: string, budget: number, options: { keep?: string } = {}): void {
  const keep = options.keep;
  try {
    const files: { path: string; size: number; mtime: number }[] = [];
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile) continue;
      const path = join(dir, entry.name);
      const info = Deno.statSync(path);
      files.push({ path, size: info.size, mtime: info.mtime?.getTime() ?? 0 });
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= budget) break;
      if (f.path === keep) continue;
      Deno.removeSync(f.path);
      total -= f.size;
    }
  } catch {
    // pruning is best effort
  }
}
