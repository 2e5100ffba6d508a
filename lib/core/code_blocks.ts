/**
 * Finds fenced code blocks in a streamed markdown answer (for models without
 * function calling). Every runnable block is reported, in order, however the
 * fence is split across chunks; the language after the fence is kept intact
 * and the code is never altered. Blocks in languages that do not run
 * (`output`, `json`, `text`...) stay part of the message text.
 *
 * @module
 */

/** A piece of a parsed answer. */
export type FenceEvent =
  | { type: "text"; text: string }
  | { type: "code_start"; language: string }
  | { type: "code"; text: string }
  | { type: "code_end" };

const FENCE = "```";

/** Streams markdown text into text and code events. */
export class CodeBlockParser {
  #buffer = "";
  #state: "text" | "code" | "other" = "text";
  #lineStart = true;
  #pendingNewline = false;
  #runnable: (language: string) => string | undefined;

  /**
   * `runnable` maps a fence's language (lower case, may be empty) to the
   * language to run, or undefined when the block should stay text.
   */
  constructor(runnable: (language: string) => string | undefined) {
    this.#runnable = runnable;
  }

  /** Adds text; returns the events it completed. */
  push(text: string): FenceEvent[] {
    this.#buffer += text;
    return this.#drain(false);
  }

  /** Ends the answer; an unclosed code block ends here. */
  end(): FenceEvent[] {
    const out = this.#drain(true);
    if (this.#state === "code") out.push({ type: "code_end" });
    this.#state = "text";
    return out;
  }

  #drain(final: boolean): FenceEvent[] {
    const out: FenceEvent[] = [];
    const emit = (type: "text" | "code", text: string) => {
      if (!text) return;
      const last = out[out.length - 1];
      if (last && last.type === type) last.text += text;
      else out.push({ type, text });
    };
    while (this.#buffer) {
      if (this.#lineStart) {
        const trimmed = this.#buffer.replace(/^ {0,3}/, "");
        if (!final && trimmed.length < FENCE.length && FENCE.startsWith(trimmed)) break;
        if (trimmed.startsWith(FENCE)) {
          const newline = this.#buffer.indexOf("\n");
          if (newline < 0 && !final) break; // wait for the whole fence line
          const line = newline < 0 ? this.#buffer : this.#buffer.slice(0, newline);
          const rest = newline < 0 ? "" : this.#buffer.slice(newline + 1);
          const info = line.trim().slice(FENCE.length).trim();
          if (this.#state === "text") {
            const language = this.#runnable(info.split(/\s+/)[0].toLowerCase());
            if (language !== undefined) {
              out.push({ type: "code_start", language });
              this.#state = "code";
              this.#pendingNewline = false;
            } else {
              emit("text", line + (newline < 0 ? "" : "\n"));
              this.#state = "other";
            }
            this.#buffer = rest;
            this.#lineStart = true;
            continue;
          }
          if (/^`+$/.test(line.trim())) {
            // A closing fence.
            if (this.#state === "code") out.push({ type: "code_end" });
            else emit("text", line + (newline < 0 ? "" : "\n"));
            this.#state = "text";
            this.#pendingNewline = false;
            this.#buffer = rest;
            this.#lineStart = true;
            continue;
          }
        }
      }
      // Emit up to the end of this line.
      const newline = this.#buffer.indexOf("\n");
      const piece = newline < 0 ? this.#buffer : this.#buffer.slice(0, newline);
      if (this.#state === "code") {
        if (this.#pendingNewline && piece) emit("code", "\n");
        if (piece) this.#pendingNewline = false;
        emit("code", piece);
        if (newline >= 0) {
          if (this.#pendingNewline) emit("code", "\n");
          this.#pendingNewline = true;
        }
      } else {
        emit("text", piece + (newline >= 0 ? "\n" : ""));
      }
      this.#buffer = newline < 0 ? "" : this.#buffer.slice(newline + 1);
      this.#lineStart = newline >= 0;
    }
    return out;
  }
}
