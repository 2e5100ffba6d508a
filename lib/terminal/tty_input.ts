/**
 * Questions asked on the controlling terminal (`/dev/tty`) when standard input
 * is a pipe: `cat log | interpreter "why?"` still asks before running code,
 * the way git and sudo ask for a password. Only when no terminal exists at
 * all (a cron job, CI, `setsid`) is there nobody to ask.
 *
 * The terminal stays in its normal (cooked) mode: the person types an answer
 * and presses Enter; Ctrl-C raises SIGINT as usual.
 *
 * @module
 */

/** Asks questions on the controlling terminal. */
export class TtyInput {
  #file: Deno.FsFile;
  #pending = "";
  #decoder = new TextDecoder();
  #closed = false;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Opens the controlling terminal; undefined when this process has none. */
  static open(path = "/dev/tty"): TtyInput | undefined {
    if (Deno.build.os === "windows") return undefined;
    try {
      const file = Deno.openSync(path, { read: true, write: true });
      if (!file.isTerminal()) {
        file.close();
        return undefined;
      }
      return new TtyInput(file);
    } catch {
      // ENXIO: no controlling terminal.
      return undefined;
    }
  }

  /** Writes `question`, reads one line; the trimmed answer ("" on Ctrl-D or a closed terminal). */
  async ask(question: string): Promise<string> {
    if (this.#closed) return "";
    this.#write(question);
    const buffer = new Uint8Array(1024);
    while (!this.#pending.includes("\n")) {
      let n: number | null;
      try {
        n = await this.#file.read(buffer);
      } catch {
        n = null;
      }
      if (n === null || n === 0) {
        // Ctrl-D: what was typed so far (usually nothing) is the answer.
        const rest = this.#pending;
        this.#pending = "";
        this.#write("\n");
        return rest.trim();
      }
      this.#pending += this.#decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    const newline = this.#pending.indexOf("\n");
    const line = this.#pending.slice(0, newline);
    this.#pending = this.#pending.slice(newline + 1);
    return line.trim();
  }

  /** Closes the terminal. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }

  #write(text: string): void {
    const data = new TextEncoder().encode(text);
    let off = 0;
    try {
      while (off < data.length) off += this.#file.writeSync(data.subarray(off));
    } catch { /* the terminal went away: the read below ends the question */ }
  }
}
