/**
 * The server's front door: a small TCP relay in front of `Deno.serve`, for
 * two things `Deno.serve` cannot be told to do (it has no header timeout, and
 * its WebSocket drops a connection with a bad frame without a close frame).
 *
 * - **Header timeout.** A connection must send a complete request header block
 *   within `headerTimeoutMs` of being accepted (and within `maxHeaderBytes`),
 *   else it gets `408` / `431` and is closed: slow-header ("slowloris")
 *   connections cannot pile up. Each connection carries one request: the
 *   relay adds `Connection: close`, so there is never a second, untimed
 *   header block on the same connection.
 * - **WebSocket faults.** After a `101`, frames from the client are checked
 *   as they pass (RFC 6455 §5, §8.1): a reserved opcode, reserved bits, an
 *   unmasked frame or a stray continuation gets a close frame `1002`; a text
 *   message that is not UTF-8 gets `1007`; then the connection ends. The close
 *   frame is sent between two of the server's frames, never inside one.
 *
 * The relay forwards bytes to `Deno.serve` listening on an ephemeral loopback
 * port (see `innerServer` in mod.ts).
 *
 * @module
 */

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const encoder = new TextEncoder();

/** Settings of {@linkcode startFront}. */
export interface FrontOptions {
  /** A complete request header block must arrive within this many milliseconds. */
  headerTimeoutMs: number;
  /** The largest header block accepted (bytes). */
  maxHeaderBytes: number;
  /** Opens a connection to the real server. */
  connectUpstream(): Promise<Deno.Conn>;
}

/** A running front. */
export interface FrontHandle {
  /** Stops accepting new connections (open ones go on). */
  stopAccepting(): void;
  /**
   * Stops accepting; waits (at most `graceMs`) for relays to finish writing
   * what the server sent, then closes every connection still open.
   */
  close(graceMs?: number): Promise<void>;
}

/** Accepts connections on `listener` and relays each to the real server. */
export function startFront(listener: Deno.Listener, options: FrontOptions): FrontHandle {
  const open = new Set<Deno.Conn>();
  const relays = new Set<Promise<void>>();
  let closed = false;
  (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (closed) return;
        continue; // e.g. too many open files: keep serving the others
      }
      open.add(conn);
      const done: Promise<void> = relay(conn, options, open).catch(() => {}).finally(() => {
        open.delete(conn);
        closeQuietly(conn);
        relays.delete(done);
      });
      relays.add(done);
    }
  })();
  const stopAccepting = () => {
    closed = true;
    closeQuietly(listener);
  };
  return {
    stopAccepting,
    async close(graceMs = 2000) {
      stopAccepting();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...relays]),
        new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
      for (const conn of open) closeQuietly(conn);
    },
  };
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch { /* already closed */ }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Reads until the end of the header block, bounded in time and size; undefined when it failed. */
async function readHead(
  conn: Deno.Conn,
  options: FrontOptions,
): Promise<{ head: Uint8Array; rest: Uint8Array } | undefined> {
  let buffer: Uint8Array = new Uint8Array(0);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // Answer, then close: the pending read below ends.
    writeAll(conn, encoder.encode(errorResponse(408, "Request Timeout")))
      .catch(() => {})
      .finally(() => closeQuietly(conn));
  }, options.headerTimeoutMs);
  try {
    const chunk = new Uint8Array(16 * 1024);
    for (;;) {
      const end = indexOf(buffer, CRLF2, Math.max(0, buffer.length - chunk.length - 3));
      if (end >= 0) return { head: buffer.subarray(0, end + 4), rest: buffer.subarray(end + 4) };
      if (buffer.length > options.maxHeaderBytes) {
        await writeAll(conn, encoder.encode(errorResponse(431, "Request Header Fields Too Large")));
        return undefined;
      }
      let n: number | null;
      try {
        n = await conn.read(chunk);
      } catch {
        return undefined;
      }
      if (n === null || timedOut) return undefined;
      buffer = concat(buffer, chunk.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
}

function errorResponse(status: number, text: string): string {
  const body = JSON.stringify({
    error: {
      message: `${text}: the request headers did not arrive in time or were too large.`,
      type: "invalid_request_error",
      code: status,
    },
  });
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${
    encoder.encode(body).length
  }\r\nConnection: close\r\n\r\n${body}`;
}

/** The header block with `Connection: close` (`Upgrade, close` for a WebSocket upgrade). */
function rewriteHead(head: Uint8Array): { head: Uint8Array; upgrade: boolean } {
  const text = new TextDecoder("latin1").decode(head);
  const lines = text.slice(0, -4).split("\r\n");
  const upgrade = lines.some((l) => /^upgrade:\s*websocket\s*$/i.test(l));
  const kept = lines.filter((l, i) => i === 0 || !/^(connection|keep-alive):/i.test(l));
  // An upgrade keeps its token; `close` ends the connection if the upgrade is refused (401...).
  kept.push(upgrade ? "Connection: Upgrade, close" : "Connection: close");
  const out = kept.join("\r\n") + "\r\n\r\n";
  return { head: Uint8Array.from(out, (c) => c.charCodeAt(0)), upgrade };
}

async function relay(
  client: Deno.Conn,
  options: FrontOptions,
  open: Set<Deno.Conn>,
): Promise<void> {
  const first = await readHead(client, options);
  if (!first) return;
  const { head, upgrade } = rewriteHead(first.head);
  const upstream = await options.connectUpstream();
  open.add(upstream);
  try {
    await writeAll(upstream, concat(head, first.rest));
    if (!upgrade) {
      // The client's end (or half-close) reaches the server, so a stream to a client that
      // left is stopped; the response ends the connection (Connection: close).
      pipe(client, upstream).then(() => upstream.closeWrite()).catch(() => {/* closed */});
      await pipe(upstream, client);
      return;
    }
    await relayWebSocket(client, upstream);
  } finally {
    open.delete(upstream);
    closeQuietly(upstream);
  }
}

/** Copies `from` to `to` until either side ends. */
async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(chunk);
      if (n === null) return;
      await writeAll(to, chunk.subarray(0, n));
    }
  } catch { /* either side went away */ }
}

/** Reads a frame header's length fields: payload length and header size, or undefined if incomplete. */
function frameHeader(buf: Uint8Array): { header: number; length: number } | undefined {
  if (buf.length < 2) return undefined;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let header = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = (buf[2] << 8) | buf[3];
    header = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = 0;
    for (let i = 2; i < 10; i++) len = len * 256 + buf[i];
    header = 10;
  }
  if (masked) header += 4;
  if (buf.length < header) return undefined;
  return { header, length: len };
}

/**
 * Relays a WebSocket connection. Server→client bytes are passed whole frames
 * at a time (after the 101 response), so a close frame can be put between
 * them; client→server frames are checked before they are passed on.
 */
async function relayWebSocket(client: Deno.Conn, upstream: Deno.Conn): Promise<void> {
  let failed: { code: number; reason: string } | undefined;
  let onFail: () => void = () => {};
  const failure = new Promise<void>((resolve) => onFail = resolve);
  // Server → client: forward frame by frame; after a failure, send the close frame next.
  const down = (async () => {
    let buffer: Uint8Array = new Uint8Array(0);
    let inHead = true;
    let remaining = 0; // bytes of the current frame still to forward
    // One read at a time, kept across loop turns (a read is never abandoned with its data).
    let pending: Promise<Uint8Array | null> | undefined;
    const nextRead = () =>
      pending ??= (async () => {
        const chunk = new Uint8Array(64 * 1024);
        const n = await upstream.read(chunk).catch(() => null);
        return n === null ? null : chunk.subarray(0, n);
      })();
    for (;;) {
      if (failed && !inHead && remaining === 0) break;
      const read = failed
        ? await nextRead()
        : await Promise.race([nextRead(), failure.then(() => "failed" as const)]);
      if (read === "failed") continue;
      pending = undefined;
      if (read === null) return;
      buffer = concat(buffer, read);
      if (inHead) {
        const end = indexOf(buffer, CRLF2);
        if (end < 0) continue;
        await writeAll(client, buffer.subarray(0, end + 4));
        buffer = buffer.subarray(end + 4);
        inHead = false;
      }
      for (;;) {
        if (remaining > 0) {
          const n = Math.min(remaining, buffer.length);
          if (n === 0) break;
          await writeAll(client, buffer.subarray(0, n));
          buffer = buffer.subarray(n);
          remaining -= n;
          continue;
        }
        if (failed) break; // no new frame after a fault: the close frame goes next
        const h = frameHeader(buffer);
        if (!h) break;
        remaining = h.header + h.length;
      }
    }
    // Between two frames (or before any): the close frame, then the end.
    if (failed && remaining === 0) {
      const reason = encoder.encode(failed.reason);
      const payload = new Uint8Array(2 + reason.length);
      payload[0] = failed.code >> 8;
      payload[1] = failed.code & 0xff;
      payload.set(reason, 2);
      const frame = new Uint8Array(2 + payload.length);
      frame[0] = 0x88;
      frame[1] = payload.length;
      frame.set(payload, 2);
      await writeAll(client, frame).catch(() => {});
    }
  })();
  // Client → server: check each frame, pass valid bytes on.
  const up = (async () => {
    const checker = new FrameChecker();
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await client.read(chunk);
        if (n === null) return;
        const problem = checker.push(chunk.subarray(0, n));
        if (problem) {
          failed = problem;
          onFail();
          return;
        }
        await writeAll(upstream, chunk.subarray(0, n));
      }
    } catch { /* either side went away */ }
  })();
  await Promise.race([down.catch(() => {}), up]);
  if (failed) await down.catch(() => {});
}

/**
 * Checks client frames as bytes arrive (RFC 6455): masked, no reserved bits
 * or opcodes, continuations only inside a fragmented message, text messages
 * valid UTF-8. Returns the close code and reason for the first fault.
 */
export class FrameChecker {
  #buffer: Uint8Array = new Uint8Array(0);
  /** Payload bytes of the current frame still to come, and its mask position. */
  #remaining = 0;
  #mask = new Uint8Array(4);
  #maskIndex = 0;
  #frameOpcode = 0;
  #frameFin = false;
  /** The open fragmented message: 1 text, 2 binary, 0 none. */
  #message = 0;
  #utf8: TextDecoder | undefined;

  /** Feeds bytes; returns a fault, or undefined when all is well so far. */
  push(data: Uint8Array): { code: number; reason: string } | undefined {
    this.#buffer = this.#buffer.length ? concat(this.#buffer, data) : data;
    for (;;) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, this.#buffer.length);
        if (n === 0) return undefined;
        const fault = this.#payload(this.#buffer.subarray(0, n));
        if (fault) return fault;
        this.#buffer = this.#buffer.subarray(n);
        this.#remaining -= n;
        if (this.#remaining === 0) {
          const end = this.#endFrame();
          if (end) return end;
        }
        continue;
      }
      const h = frameHeader(this.#buffer);
      if (!h) return undefined;
      const b0 = this.#buffer[0];
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) return { code: 1002, reason: "reserved bits set" };
      if ((this.#buffer[1] & 0x80) === 0) {
        return { code: 1002, reason: "client frames must be masked" };
      }
      if ((opcode >= 3 && opcode <= 7) || opcode >= 0xb) {
        return { code: 1002, reason: `reserved opcode ${opcode}` };
      }
      const fin = (b0 & 0x80) !== 0;
      if (opcode >= 8 && (!fin || h.length > 125)) {
        return { code: 1002, reason: "control frames must be whole and short" };
      }
      if (opcode === 0 && this.#message === 0) {
        return { code: 1002, reason: "continuation frame without a message" };
      }
      if ((opcode === 1 || opcode === 2) && this.#message !== 0) {
        return { code: 1002, reason: "new message inside a fragmented one" };
      }
      this.#mask = this.#buffer.slice(h.header - 4, h.header);
      this.#maskIndex = 0;
      this.#frameOpcode = opcode;
      this.#frameFin = fin;
      if (opcode === 1) this.#utf8 = new TextDecoder("utf-8", { fatal: true });
      if (opcode === 1 || opcode === 2) this.#message = opcode;
      this.#buffer = this.#buffer.subarray(h.header);
      this.#remaining = h.length;
      if (h.length === 0) {
        const end = this.#endFrame();
        if (end) return end;
      }
    }
  }

  #payload(bytes: Uint8Array): { code: number; reason: string } | undefined {
    const isText = this.#message === 1 && (this.#frameOpcode === 1 || this.#frameOpcode === 0);
    if (!isText || !this.#utf8) {
      this.#maskIndex = (this.#maskIndex + bytes.length) % 4;
      return undefined;
    }
    const plain = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      plain[i] = bytes[i] ^ this.#mask[(this.#maskIndex + i) % 4];
    }
    this.#maskIndex = (this.#maskIndex + bytes.length) % 4;
    try {
      this.#utf8.decode(plain, { stream: true });
    } catch {
      return { code: 1007, reason: "text frame is not valid UTF-8" };
    }
    return undefined;
  }

  #endFrame(): { code: number; reason: string } | undefined {
    if (this.#frameOpcode >= 8 || !this.#frameFin) return undefined;
    // The last frame of a data message: a text message must end on a whole character.
    if (this.#message === 1 && this.#utf8) {
      try {
        this.#utf8.decode();
      } catch {
        return { code: 1007, reason: "text frame is not valid UTF-8" };
      }
    }
    this.#message = 0;
    this.#utf8 = undefined;
    return undefined;
  }
}
