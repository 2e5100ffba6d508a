/**
 * Reads a child process's output as text and waits, always bounded, for what
 * a test expects to appear in it.
 *
 * @module
 */

/** The text of a byte stream, read on demand. */
export class StreamText {
  /** Everything read so far. */
  text = "";
  readonly #reader: ReadableStreamDefaultReader<string>;
  #ended = false;

  /** Starts reading `stream` (decoded as UTF-8). */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * Reads until `want` matches the text so far; resolves to that text. Fails
   * when the stream ends first or after `ms` (default 20 s).
   */
  async until(want: RegExp | ((text: string) => boolean), ms = 20_000): Promise<string> {
    const done = typeof want === "function" ? want : (text: string) => want.test(text);
    const what = typeof want === "function" ? "the expected text" : String(want);
    const deadline = Date.now() + ms;
    while (!done(this.text)) {
      if (this.#ended) throw new Error(`the stream ended before ${what}; it held: ${this.text}`);
      const next = await this.#read(deadline - Date.now());
      if (next === "timeout") {
        throw new Error(`timed out after ${ms} ms waiting for ${what}; got: ${this.text}`);
      }
      if (next.done) this.#ended = true;
      else this.text += next.value;
    }
    return this.text;
  }

  /** Reads to the end of the stream (bounded by `ms`); resolves to all the text. */
  async rest(ms = 20_000): Promise<string> {
    return await this.until(() => this.#ended, ms);
  }

  /** Stops reading and releases the stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  async #read(ms: number): Promise<ReadableStreamReadResult<string> | "timeout"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(1, ms));
    });
    try {
      return await Promise.race([this.#reader.read(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
