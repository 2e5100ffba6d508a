/**
 * Reading what the person types: line editing and history through
 * node:readline (works in Deno; arrow keys, Ctrl-A/E/U/W, history with up and
 * down), multi-line input (a `"""` line opens a block closed by the next
 * `"""` line; pasted lines that arrive together stay one message), Ctrl-C and
 * Ctrl-D.
 *
 * A fresh readline is opened for each read and closed after it, so the
 * terminal is in its normal mode while the model or code runs (Ctrl-C then
 * arrives as SIGINT and interrupts them).
 *
 * @module
 */

import * as readline from "node:readline";
import process from "node:process";

/** What one read gave. */
export type ReadResult =
  | { kind: "line"; text: string }
  /** Ctrl-C at an empty prompt. */
  | { kind: "interrupt" }
  /** Ctrl-D (end of input). */
  | { kind: "eof" };

/** Options of {@linkcode LineInput.ask}. */
export interface AskOptions {
  /** Called when the person presses Ctrl-C instead of answering. */
  onInterrupt?: () => void;
}

/** Lines that arrive within this many milliseconds of each other are one paste. */
const PASTE_WINDOW_MS = 15;

/** Reads lines from the terminal with editing and history. */
export class LineInput {
  #history: string[];

  /** `history` holds past entries, oldest first (it is shared, not copied). */
  constructor(history: string[]) {
    this.#history = history;
  }

  /** Reads one message: a line, a `"""` block, or a paste of several lines. */
  read(prompt: string): Promise<ReadResult> {
    return this.#readLines(prompt, true);
  }

  /**
   * Reads one line for a running program (its `input()` prompt as the
   * question), as typed (not trimmed, no history); undefined on Ctrl-C / Ctrl-D
   * (Ctrl-C also calls `onInterrupt`).
   */
  async line(prompt: string, options: AskOptions = {}): Promise<string | undefined> {
    const r = await this.#readLines(prompt, false);
    if (r.kind === "interrupt") options.onInterrupt?.();
    return r.kind === "line" ? r.text : undefined;
  }

  /**
   * Asks a question and returns the trimmed answer ("" on Ctrl-C / Ctrl-D).
   * `onInterrupt` is called on Ctrl-C (the terminal is in raw mode here, so
   * Ctrl-C is a key, not a signal).
   */
  async ask(question: string, options: AskOptions = {}): Promise<string> {
    const r = await this.#readLines(question, false);
    if (r.kind === "interrupt") options.onInterrupt?.();
    return r.kind === "line" ? r.text.trim() : "";
  }

  #readLines(prompt: string, keepHistory = true): Promise<ReadResult> {
    return new Promise((resolveRead) => {
      const rl = readline.createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: true,
        history: keepHistory ? [...this.#history].reverse() : [],
        historySize: keepHistory ? 1000 : 0,
        removeHistoryDuplicates: true,
      });
      const lines: string[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (result: ReadResult) => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        rl.close();
        // Back to the normal terminal mode, so Ctrl-C raises SIGINT while the
        // model or code runs (readline's close does not always restore it here).
        try {
          if (process.stdin.isTTY) process.stdin.setRawMode(false);
        } catch { /* not a terminal */ }
        resolveRead(result);
      };
      // Inside a """ block every line is kept until the closing """; one
      // readline serves the whole message so no typed line is lost between reads.
      let inBlock = false;
      rl.on("line", (line: string) => {
        if (timer !== undefined) clearTimeout(timer);
        if (keepHistory && (inBlock || line.includes('"""'))) {
          const marks = line.split('"""').length - 1;
          lines.push(line.replaceAll('"""', ""));
          if (marks % 2 === 1) inBlock = !inBlock;
          if (inBlock) {
            rl.setPrompt("... ");
            rl.prompt();
            return;
          }
          finish({ kind: "line", text: lines.join("\n").trim() });
          return;
        }
        lines.push(line);
        timer = setTimeout(() => finish({ kind: "line", text: lines.join("\n") }), PASTE_WINDOW_MS);
      });
      rl.on("SIGINT", () => {
        if (lines.length === 0 && rl.line === "" && !inBlock) {
          process.stdout.write("\n");
          finish({ kind: "interrupt" });
        } else {
          // Ctrl-C with text typed clears it, as in a shell.
          process.stdout.write("^C\n");
          lines.length = 0;
          inBlock = false;
          rl.write(null, { ctrl: true, name: "u" });
          rl.setPrompt(prompt);
          rl.prompt();
        }
      });
      rl.on("close", () => {
        if (lines.length > 0) finish({ kind: "line", text: lines.join("\n") });
        else {
          // Ctrl-D: end the prompt's line, so what comes next (the shell's prompt) starts clean.
          if (!done) process.stdout.write("\n");
          finish({ kind: "eof" });
        }
      });
      rl.setPrompt(prompt);
      rl.prompt();
    });
  }
}
