/**
 * A small in-memory `ComputerLike` for engine tests: records what it was
 * asked to run and answers with scripted output (by default it echoes
 * `ran <language>: <code>`). It runs no processes.
 *
 * @module
 */

import type { ComputerLike, RunOptions } from "../../lib/computer/types.ts";
import type { LmcChunk, LmcMessage } from "../../lib/wire/lmc.ts";

/** A fake computer that records runs. */
export class FakeComputer implements ComputerLike {
  /** Languages it claims to run. */
  readonly languages: string[];
  /** Every run, in order. */
  readonly runs: { language: string; code: string; options?: RunOptions }[] = [];
  /** How many times `stop()` was called. */
  stops = 0;
  /** Whether `terminate()` was called. */
  terminated = false;
  #answer: (language: string, code: string) => string;
  #hang: boolean;

  /**
   * `answer` makes the output of a run (default: an echo); with `hang` a run
   * prints its output and then waits until its signal aborts (bounded: 10 s).
   */
  constructor(
    options: {
      languages?: string[];
      answer?: (language: string, code: string) => string;
      hang?: boolean;
    } = {},
  ) {
    this.languages = options.languages ?? ["python", "shell", "javascript"];
    this.#answer = options.answer ?? ((language, code) => `ran ${language}: ${code}\n`);
    this.#hang = options.hang ?? false;
  }

  /** Maps aliases (`py`, `bash`, `sh`, `js`) to names. */
  resolveLanguage(alias: string): string | undefined {
    const a = alias.toLowerCase();
    const map: Record<string, string> = {
      py: "python",
      bash: "shell",
      sh: "shell",
      js: "javascript",
    };
    const name = map[a] ?? a;
    return this.languages.includes(name) ? name : undefined;
  }

  /** Resolves to the run's messages. */
  async run(language: string, code: string, options?: RunOptions): Promise<LmcMessage[]> {
    const out: LmcMessage[] = [];
    for await (const c of this.stream(language, code, options)) {
      if (c.format !== "active_line" && !c.start && !c.end) out.push(c);
    }
    return out;
  }

  /** Yields an active line, the output, and the end of the active line. */
  async *stream(language: string, code: string, options?: RunOptions): AsyncIterable<LmcChunk> {
    this.runs.push({ language, code, options });
    await Promise.resolve();
    yield { role: "computer", type: "console", format: "active_line", content: "1" };
    const output = this.#answer(language, code);
    if (output) yield { role: "computer", type: "console", format: "output", content: output };
    if (this.#hang) {
      await new Promise<void>((resolve) => {
        if (options?.signal?.aborted) return resolve();
        const timer = setTimeout(resolve, 10_000);
        options?.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (options?.signal?.aborted) {
        yield {
          role: "computer",
          type: "console",
          format: "output",
          content: "KeyboardInterrupt\n",
        };
      }
    }
    yield { role: "computer", type: "console", format: "active_line", content: null };
  }

  /** Counts stops. */
  stop(): Promise<void> {
    this.stops++;
    return Promise.resolve();
  }

  /** Marks the computer terminated. */
  terminate(): Promise<void> {
    this.terminated = true;
    return Promise.resolve();
  }
}
