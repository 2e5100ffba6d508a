/**
 * A small client of the Docker Engine API (v1.41), which Docker and `podman system service`
 * both serve. Plain calls go through `fetch` with a Deno HTTP client (a unix socket, or TCP
 * with TLS for a remote engine); attach and exec need the connection itself after an
 * `Upgrade: tcp` answer, so those speak HTTP/1.1 by hand on `Deno.connect` and then read
 * the engine's 8-byte-header frames ({@linkcode FrameDemuxer}).
 *
 * The engine's socket is this program's alone: it is never bound into a container.
 *
 * @module
 */

/** Where the engine listens (from `--container-engine` or `DOCKER_HOST`). */
export interface EngineAddress {
  /** `unix` (a socket path) or `tcp` (host and port, TLS when certificates are given). */
  transport: "unix" | "tcp";
  /** The socket path (unix). */
  path?: string;
  /** Host name (tcp). */
  hostname?: string;
  /** Port (tcp). */
  port?: number;
  /** PEM certificates for TLS (tcp): the CA, this client's certificate and key. */
  tls?: { caCert?: string; cert?: string; key?: string };
}

/** The API version spoken (Docker 20.10 and podman 4 both serve it). */
const API_VERSION = "v1.41";

/** Milliseconds an engine call may take before it fails (a bound, never a hang). */
const ENGINE_CALL_TIMEOUT_MS = 30_000;

/**
 * Parses an engine address: `unix:///path`, a bare `/path`, or `tcp://host:port`. With
 * `DOCKER_CERT_PATH` (ca.pem, cert.pem, key.pem) a tcp address uses TLS, as the docker CLI.
 */
export function parseEngineAddress(
  value: string,
  env: { DOCKER_CERT_PATH?: string; DOCKER_TLS_VERIFY?: string } = {},
): EngineAddress {
  if (value.startsWith("/")) return { transport: "unix", path: value };
  if (value.startsWith("unix://")) return { transport: "unix", path: value.slice(7) };
  const tcp = /^(?:tcp|https?):\/\/([^:/]+):(\d+)\/?$/.exec(value);
  if (tcp) {
    const address: EngineAddress = {
      transport: "tcp",
      hostname: tcp[1],
      port: Number(tcp[2]),
    };
    const certs = env.DOCKER_CERT_PATH;
    if (certs || env.DOCKER_TLS_VERIFY === "1" || value.startsWith("https:")) {
      const read = (name: string): string | undefined => {
        try {
          return certs ? Deno.readTextFileSync(`${certs}/${name}`) : undefined;
        } catch {
          return undefined;
        }
      };
      address.tls = { caCert: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
    }
    return address;
  }
  throw new Error(
    `container engine address ${
      JSON.stringify(value)
    }: use unix:///path/to/socket or tcp://host:port`,
  );
}

/** An engine call that failed (its HTTP status and the engine's message). */
class EngineError extends Error {
  /** The HTTP status (0: no answer). */
  readonly status: number;
  /** Makes the error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = "EngineError";
    this.status = status;
  }
}

/** A hijacked connection: the engine's frames in, raw bytes out (a stdin when attached). */
export interface HijackedStream {
  /** The demultiplexed frames: stream 1 stdout, 2 stderr (bytes are views: copy to keep). */
  frames: AsyncIterable<{ stream: number; data: Uint8Array }>;
  /** Writes to the attached standard input. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/** Calls of the Engine API. */
export class EngineClient {
  /** The address this client talks to. */
  readonly address: EngineAddress;
  #http: Deno.HttpClient;
  #base: string;

  /** A client for `address`. */
  constructor(address: EngineAddress) {
    this.address = address;
    if (address.transport === "unix") {
      this.#http = Deno.createHttpClient({ proxy: { transport: "unix", path: address.path! } });
      this.#base = `http://engine/${API_VERSION}`;
    } else {
      const tls = address.tls;
      this.#http = Deno.createHttpClient({
        caCerts: tls?.caCert ? [tls.caCert] : undefined,
        ...(tls?.cert && tls?.key ? { cert: tls.cert, key: tls.key } : {}),
      });
      this.#base = `${tls ? "https" : "http"}://${address.hostname}:${address.port}/${API_VERSION}`;
    }
  }

  /** The engine's address as a person writes it (for messages). */
  #where(): string {
    const a = this.address;
    return a.transport === "unix" ? `unix://${a.path}` : `tcp://${a.hostname}:${a.port}`;
  }

  /** Calls `method path` with a JSON body; resolves to the parsed JSON answer (or null). */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const signal = AbortSignal.timeout(ENGINE_CALL_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        client: this.#http,
        signal,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (signal.aborted) {
        throw new EngineError(0, `the container engine at ${this.#where()} did not answer in time`);
      }
      // fetch says only "fetch failed"; the reason (refused, TLS handshake…) is its cause.
      const reason = (error as Error & { cause?: Error }).cause?.message ??
        (error as Error).message;
      if (this.address.tls && /tls|certificate|handshake/i.test(reason)) {
        throw new EngineError(
          0,
          `TLS with the container engine at ${this.#where()} failed (${reason}): check the certificates in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)`,
        );
      }
      throw new EngineError(
        0,
        `the container engine at ${this.#where()} is unreachable (${reason}): start it (podman: podman system service --time=0 ${this.#where()}; Docker: dockerd) or point --container_engine or DOCKER_HOST at it`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.trim();
      try {
        message = JSON.parse(text).message ?? message;
      } catch {
        // not JSON
      }
      throw new EngineError(response.status, `${method} ${path}: ${message}`);
    }
    if (!text.trim()) return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /**
   * `POST path` upgraded to a raw stream (attach, exec start). The engine answers with
   * headers (101, or 200 from some versions), then frames until the stream ends.
   */
  async hijack(path: string, body?: unknown): Promise<HijackedStream> {
    const conn = await this.#connect();
    const payload = body === undefined ? "" : JSON.stringify(body);
    const host = this.address.transport === "unix" ? "engine" : this.address.hostname;
    const request = `POST /${API_VERSION}${path} HTTP/1.1\r\nHost: ${host}\r\n` +
      `Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
      `Content-Length: ${new TextEncoder().encode(payload).length}\r\n\r\n${payload}`;
    await writeAll(conn, new TextEncoder().encode(request));
    const reader = new ConnReader(conn);
    let head: string;
    try {
      head = await withTimeout(reader.readHead(), ENGINE_CALL_TIMEOUT_MS, "engine answer");
    } catch (error) {
      conn.close();
      throw error;
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    if (status !== 101 && status !== 200) {
      const rest = await withTimeout(reader.readSome(), 2000, "engine error").catch(() => null);
      conn.close();
      let text = rest ? new TextDecoder().decode(rest).trim() : "";
      try {
        text = JSON.parse(text).message ?? text; // Docker answers some of these in JSON
      } catch {
        // plain text
      }
      throw new EngineError(status, `POST ${path}: ${head.split("\r\n")[0]} ${text}`);
    }
    const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
    let closed = false;
    return {
      frames: demux(reader, chunked),
      write: (bytes) => writeAll(conn, bytes),
      close: () => {
        if (closed) return;
        closed = true;
        try {
          conn.close();
        } catch {
          // already closed
        }
      },
    };
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#http.close();
  }

  async #connect(): Promise<Deno.Conn> {
    const a = this.address;
    if (a.transport === "unix") return await Deno.connect({ transport: "unix", path: a.path! });
    if (a.tls) {
      return await Deno.connectTls({
        hostname: a.hostname!,
        port: a.port!,
        caCerts: a.tls.caCert ? [a.tls.caCert] : undefined,
        ...(a.tls.cert && a.tls.key ? { cert: a.tls.cert, key: a.tls.key } : {}),
      });
    }
    return await Deno.connect({ hostname: a.hostname!, port: a.port! });
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new EngineError(0, `no ${what} from the container engine in ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Buffered reads from a connection. */
class ConnReader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #done = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads up to the blank line after the response headers; returns them. */
  async readHead(): Promise<string> {
    while (true) {
      const end = findHeadEnd(this.#buf);
      if (end >= 0) {
        const head = new TextDecoder().decode(this.#buf.subarray(0, end));
        this.#buf = this.#buf.slice(end + 4);
        return head;
      }
      if (this.#buf.length > 65536 || !(await this.#fill())) {
        throw new EngineError(0, "the container engine closed the connection");
      }
    }
  }

  /** Exactly `n` bytes, or null at end of stream. */
  async readExactly(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) if (!(await this.#fill())) return null;
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** One line (without CRLF), or null at end of stream. */
  async readLine(): Promise<string | null> {
    while (true) {
      const i = this.#buf.indexOf(0x0a);
      if (i >= 0) {
        const line = new TextDecoder().decode(this.#buf.subarray(0, i)).replace(/\r$/, "");
        this.#buf = this.#buf.subarray(i + 1);
        return line;
      }
      if (!(await this.#fill())) return null;
    }
  }

  /** Whatever is buffered, or the next read; null at end of stream. */
  async readSome(): Promise<Uint8Array | null> {
    if (this.#buf.length === 0 && !(await this.#fill())) return null;
    const out = this.#buf;
    this.#buf = new Uint8Array(0);
    return out;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const chunk = new Uint8Array(65536);
    let n: number | null;
    try {
      n = await this.#conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) {
      this.#done = true;
      return false;
    }
    const merged = new Uint8Array(this.#buf.length + n);
    merged.set(this.#buf);
    merged.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = merged;
    return true;
  }
}

function findHeadEnd(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** A byte source that undoes HTTP chunked encoding when the engine used it. */
async function* rawBody(reader: ConnReader, chunked: boolean): AsyncGenerator<Uint8Array> {
  if (!chunked) {
    while (true) {
      const some = await reader.readSome();
      if (!some) return;
      yield some;
    }
  }
  while (true) {
    const line = await reader.readLine();
    if (line === null) return;
    const size = parseInt(line, 16);
    if (!Number.isFinite(size) || size === 0) return;
    const data = await reader.readExactly(size);
    if (!data) return;
    yield data.slice();
    await reader.readLine();
  }
}

/**
 * The engine's multiplexed stream: frames of an 8-byte header (stream type, three zero
 * bytes, a big-endian 32-bit length) and the payload.
 */
class FrameDemuxer {
  #buf = new Uint8Array(0);

  /** Feeds bytes; returns the complete frames they finish. */
  push(bytes: Uint8Array): { stream: number; data: Uint8Array }[] {
    const merged = new Uint8Array(this.#buf.length + bytes.length);
    merged.set(this.#buf);
    merged.set(bytes, this.#buf.length);
    const out: { stream: number; data: Uint8Array }[] = [];
    let pos = 0;
    while (merged.length - pos >= 8) {
      const size = new DataView(merged.buffer, merged.byteOffset + pos + 4, 4).getUint32(0);
      if (merged.length - pos - 8 < size) break;
      out.push({ stream: merged[pos], data: merged.subarray(pos + 8, pos + 8 + size) });
      pos += 8 + size;
    }
    this.#buf = merged.slice(pos);
    return out;
  }
}

async function* demux(
  reader: ConnReader,
  chunked: boolean,
): AsyncGenerator<{ stream: number; data: Uint8Array }> {
  const demuxer = new FrameDemuxer();
  for await (const bytes of rawBody(reader, chunked)) yield* demuxer.push(bytes);
}
