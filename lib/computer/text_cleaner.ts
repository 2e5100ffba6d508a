/**
 * Cleaning a program's output as it streams: bytes in, text a model (and a
 * terminal) can take out: UTF-8 with replacement, no terminal escapes, `\r`
 * progress bars collapsed.
 *
 * @module
 */

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
  #keepCr: boolean;
  #escape = "";
  #crPending = false;
  #inCr = false;
  #held = "";
  #lineStarted = false;

  /**
   * A cleaner. With `keepCarriageReturns` a bare `\r` is kept (for a terminal to
   * redraw the line in place, as a person watching would see it); `\r\n` still becomes `\n`.
   */
  constructor(options: { keepCarriageReturns?: boolean } = {}) {
    this.#keepCr = options.keepCarriageReturns ?? false;
  }

  /**
   * The current line's text after its last `\r` while it is held back (a progress bar that
   * has not ended its line yet), else undefined.
   */
  get heldLine(): string | undefined {
    return this.#inCr ? this.#held : undefined;
  }

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
    if (this.#keepCr) return text;
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
