/**
 * A Chrome DevTools Protocol connection over Chromium's `--remote-debugging-pipe` (messages are
 * JSON separated by NUL bytes on fds 3 and 4): no debugging port, so nothing else on the machine
 * can drive the browser. Every command is bounded by a timeout.
 *
 * @module
 */

/** An event from the browser. */
export interface CdpEvent {
  /** Event name, e.g. `Page.loadEventFired`. */
  method: string;
  /** Its parameters. */
  params: Record<string, unknown>;
  /** The target session it belongs to, if any. */
  sessionId?: string;
}

/** One CDP connection. */
export class CdpPipe {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #next = 1;
  #pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  #listeners = new Set<(event: CdpEvent) => void>();
  #closed = false;
  #timeoutMs: number;
  /** Resolves when the browser closed the pipe. */
  readonly done: Promise<void>;

  /** Wraps the browser's pipe ends: `input` is its fd 4 (replies), `output` its fd 3. */
  constructor(
    input: ReadableStream<Uint8Array>,
    output: WritableStream<Uint8Array>,
    options: { timeoutMs?: number } = {},
  ) {
    this.#writer = output.getWriter();
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.done = this.#read(input);
  }

  async #read(input: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const bytes of input) {
        buffer += decoder.decode(bytes, { stream: true });
        let at: number;
        while ((at = buffer.indexOf("\0")) >= 0) {
          const text = buffer.slice(0, at);
          buffer = buffer.slice(at + 1);
          this.#dispatch(text);
        }
      }
    } catch { /* the browser went away */ }
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(new Error("the browser closed"));
    this.#pending.clear();
  }

  #dispatch(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.id === "number") {
      const p = this.#pending.get(message.id);
      if (!p) return;
      this.#pending.delete(message.id);
      const error = message.error as { message?: string } | undefined;
      if (error) p.reject(new Error(`browser: ${error.message ?? "error"}`));
      else p.resolve((message.result ?? {}) as Record<string, unknown>);
    } else if (typeof message.method === "string") {
      const event: CdpEvent = {
        method: message.method,
        params: (message.params ?? {}) as Record<string, unknown>,
        sessionId: message.sessionId as string | undefined,
      };
      for (const listener of this.#listeners) listener(event);
    }
  }

  /** Calls a command; rejects on error, on close, or after the timeout. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    options: { sessionId?: string; timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    if (this.#closed) return Promise.reject(new Error("the browser closed"));
    const id = this.#next++;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`browser: ${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const message = JSON.stringify({ id, method, params, sessionId: options.sessionId });
      this.#writer.write(new TextEncoder().encode(message + "\0")).catch((e) => {
        this.#pending.get(id)?.reject(e instanceof Error ? e : new Error(String(e)));
        this.#pending.delete(id);
      });
    });
  }

  /** Calls `listener` for every event until the returned function is called. */
  on(listener: (event: CdpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Waits for the first event `match` accepts, bounded by `timeoutMs`. */
  waitFor(match: (event: CdpEvent) => boolean, what: string, timeoutMs: number): Promise<CdpEvent> {
    return new Promise((resolve, reject) => {
      const off = this.on((event) => {
        if (!match(event)) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`browser: ${what} did not happen within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** Closes our end of the pipe. */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }
}
