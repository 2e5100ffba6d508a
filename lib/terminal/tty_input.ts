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

/** Options for {@linkcode TtyInput.open}. */
export interface TtyInputOptions {
  /** The terminal device (default `/dev/tty`). */
  path?: string;
  /**
   * Show the code on the terminal before asking (when standard output is
   * redirected, the person would otherwise approve code they cannot see).
   */
  echoCode?: boolean;
}

/** Asks questions on the controlling terminal. */
export class TtyInput {
  #file: Deno.FsFile;
  #pending = "";
  #decoder = new TextDecoder();
  #closed = false;
  #echoCode: boolean;

  private constructor(file: Deno.FsFile, echoCode: boolean) {
    this.#file = file;
    this.#echoCode = echoCode;
  }

  /** Opens the controlling terminal; undefined when this process has none. */
  static open(options: TtyInputOptions = {}): TtyInput | undefined {
    if (Deno.build.os === "windows") return undefined;
    try {
      const file = Deno.openSync(options.path ?? "/dev/tty", { read: true, write: true });
      if (!file.isTerminal()) {
        file.close();
        return undefined;
      }
      return new TtyInput(file, options.echoCode ?? false);
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

  /** Shows the code to approve on the terminal (only when made with `echoCode`). */
  showCode(language: string, code: string): void {
    if (!this.#echoCode || this.#closed) return;
    const body = code.replace(/\n$/, "").split("\n").map((line) => `  ${line}`).join("\n");
    this.#write(`[${language}]\n${body}\n`);
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
