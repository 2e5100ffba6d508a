/**
 * Small clients for the server tests: read a server-sent-event stream, and a
 * WebSocket wrapper that waits (bounded) for the next message.
 *
 * @module
 */

/** Reads an SSE response to its end; resolves to the `data:` payloads (JSON-parsed when possible). */
export async function readSse(response: Response): Promise<unknown[]> {
  const text = await response.text();
  const events: unknown[] = [];
  for (const block of text.split("\n\n")) {
    const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) =>
      line.slice(5).trimStart()
    ).join("\n");
    if (!data) continue;
    try {
      events.push(JSON.parse(data));
    } catch {
      events.push(data);
    }
  }
  return events;
}

/** A WebSocket whose messages are queued and read one by one with a time bound. */
export class TestSocket {
  readonly socket: WebSocket;
  readonly #queue: unknown[] = [];
  #waiter: (() => void) | null = null;
  /** Resolves with the close event. */
  readonly closed: Promise<CloseEvent>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.onmessage = (event) => {
      this.#queue.push(JSON.parse(String(event.data)));
      this.#waiter?.();
    };
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        this.#waiter?.();
        resolve(event);
      });
    });
  }

  /** Opens a socket and waits (bounded) until it is open. */
  static async open(url: string, headers?: Record<string, string>): Promise<TestSocket> {
    const socket = new WebSocket(url, headers ? { headers } : undefined);
    const test = new TestSocket(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("socket did not open in 10 s")), 10000);
      socket.addEventListener("open", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new Error("socket error before open"));
      });
    });
    return test;
  }

  /** Sends one JSON frame. */
  send(value: unknown): void {
    this.socket.send(JSON.stringify(value));
  }

  /** The next message, waiting at most `ms`; undefined when the socket closed first. */
  async next(ms = 20000): Promise<unknown> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0) {
      if (this.socket.readyState === WebSocket.CLOSED) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no WebSocket message within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
    return this.#queue.shift();
  }

  /** Messages up to and including the next `{"role":"server","type":"status","content":"complete"}`. */
  async untilComplete(ms = 30000): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now())) as Record<
        string,
        unknown
      >;
      if (message === undefined) throw new Error("socket closed before complete");
      out.push(message);
      if (
        message.role === "server" && message.type === "status" && message.content === "complete"
      ) {
        return out;
      }
    }
  }

  /** Closes the socket and waits (bounded) for the close. */
  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.closed,
      new Promise((resolve) => (timer = setTimeout(resolve, 5000))),
    ]);
    clearTimeout(timer);
  }
}

/** Sends a user message over the LMC protocol (start, content, end). */
export function sendUserMessage(socket: TestSocket, text: string): void {
  socket.send({ role: "user", start: true });
  socket.send({ role: "user", type: "message", content: text });
  socket.send({ role: "user", end: true });
}

/** Sends a command (`go` / `stop`) over the LMC protocol. */
export function sendCommand(socket: TestSocket, command: "go" | "stop"): void {
  socket.send({ role: "user", type: "command", start: true });
  socket.send({ role: "user", type: "command", content: command });
  socket.send({ role: "user", type: "command", end: true });
}
