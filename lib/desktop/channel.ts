/**
 * The channel between a session and the host's Computer API: a unix socket in a folder only the
 * host can reach (bound into the sandbox as one file when the display is allowed), speaking
 * newline-separated JSON: `{"id", "method", "args", "kwargs"}` → `{"id", "ok", "result" | "error"}`.
 * One request gets one response, in order per connection. The host trusts nothing it receives:
 * every request is size-bounded and checked, only known methods run, errors come back as one line.
 *
 * @module
 */

/** Handles one checked request. */
export type ChannelHandler = (
  method: string,
  call: { args: unknown[]; kwargs: Record<string, unknown> },
) => Promise<unknown>;

/** Options of {@link serveChannel}. */
export interface ChannelOptions {
  /** Largest request line in bytes (default 16 MiB: an image for `ai.chat`). */
  maxRequestBytes?: number;
  /** Connections served at once (default 8; more are closed). */
  maxConnections?: number;
  /** Bound of one call in ms (default 120 s; 0 = none). */
  callTimeoutMs?: number;
  /** The method names that may be called. */
  methods: ReadonlySet<string>;
  /**
   * Let the program exit while the channel listens (a session's channel: it must not keep a
   * script running that ended without terminate(), like the session it serves). Default false.
   */
  unref?: boolean;
}

/** A listening channel. */
export interface Channel {
  /** The socket's path on the host. */
  readonly path: string;
  /** Stops listening, closes connections, removes the socket and its folder. */
  close(): Promise<void>;
}

/** The variable that tells a session's client where the socket is. */
export const CHANNEL_ENV = "INTERPRETER_COMPUTER_SOCKET";

/** Checks a parsed request; returns the error line when it is not valid. */
function checkRequest(
  request: unknown,
  methods: ReadonlySet<string>,
): string | null {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return "a request is a JSON object";
  }
  const r = request as Record<string, unknown>;
  if (!Number.isSafeInteger(r.id) || (r.id as number) < 0) return "id must be a whole number";
  if (typeof r.method !== "string" || !methods.has(r.method)) {
    return `computer has no method ${String(r.method).slice(0, 60)}`;
  }
  if (r.args !== undefined && (!Array.isArray(r.args) || r.args.length > 32)) {
    return "args must be a list (at most 32)";
  }
  if (
    r.kwargs !== undefined &&
    (typeof r.kwargs !== "object" || r.kwargs === null || Array.isArray(r.kwargs) ||
      Object.keys(r.kwargs).length > 32)
  ) {
    return "kwargs must be an object (at most 32 keys)";
  }
  return null;
}

function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].slice(0, 2000);
}

async function serveConnection(
  conn: Deno.Conn,
  handler: ChannelHandler,
  options: Required<Omit<ChannelOptions, "maxConnections" | "unref">>,
): Promise<void> {
  const encoder = new TextEncoder();
  const reply = async (body: Record<string, unknown>) => {
    const bytes = encoder.encode(JSON.stringify(body) + "\n");
    let at = 0;
    while (at < bytes.length) at += await conn.write(bytes.subarray(at));
  };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return;
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buf[i] !== 10) continue;
      chunks.push(buf.slice(start, i));
      start = i + 1;
      const line = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
      let o = 0;
      for (const c of chunks) {
        line.set(c, o);
        o += c.length;
      }
      chunks.length = 0;
      size = 0;
      await handleLine(line, { handler, options, reply });
    }
    if (start < n) {
      chunks.push(buf.slice(start, n));
      size += n - start;
      if (size > options.maxRequestBytes) {
        await reply({
          id: null,
          ok: false,
          error: `request larger than ${options.maxRequestBytes} bytes`,
        });
        return;
      }
    }
  }
}

/** Checks and serves one request line; every outcome is one reply. */
async function handleLine(
  line: Uint8Array,
  { handler, options, reply }: {
    handler: ChannelHandler;
    options: Required<Omit<ChannelOptions, "maxConnections" | "unref">>;
    reply: (body: Record<string, unknown>) => Promise<void>;
  },
): Promise<void> {
  if (line.length > options.maxRequestBytes) {
    await reply({
      id: null,
      ok: false,
      error: `request larger than ${options.maxRequestBytes} bytes`,
    });
    return;
  }
  let request: Record<string, unknown>;
  try {
    request = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(line));
  } catch {
    await reply({ id: null, ok: false, error: "a request is one line of JSON" });
    return;
  }
  const problem = checkRequest(request, options.methods);
  const id = Number.isSafeInteger(request?.id) ? request.id : null;
  if (problem) {
    await reply({ id, ok: false, error: problem });
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const call = handler(String(request.method), {
      args: (request.args as unknown[]) ?? [],
      kwargs: (request.kwargs as Record<string, unknown>) ?? {},
    });
    const bounded = options.callTimeoutMs
      ? Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`${request.method} did not finish within ${options.callTimeoutMs} ms`),
              ),
            options.callTimeoutMs,
          );
        }),
      ])
      : call;
    const result = await bounded;
    await reply({ id, ok: true, result: result ?? null });
  } catch (e) {
    await reply({ id, ok: false, error: errorLine(e) });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Listens on a unix socket at `path` (a folder the host made; nothing the session could have
 * written) and serves `handler`. Synchronous, so a session spawner can start it. `close()` stops
 * listening and closes the connections; the caller removes the folder.
 */
export function listenChannel(
  path: string,
  handler: ChannelHandler,
  options: ChannelOptions,
): Channel {
  const listener = Deno.listen({ transport: "unix", path });
  if (options.unref) listener.unref();
  // The folder keeps other users out; the socket must be usable by the sandbox's uid.
  Deno.chmodSync(path, 0o666);
  const settings = {
    maxRequestBytes: options.maxRequestBytes ?? 16 * 1024 * 1024,
    callTimeoutMs: options.callTimeoutMs ?? 120_000,
    methods: options.methods,
  };
  const maxConnections = options.maxConnections ?? 8;
  const open = new Set<Deno.Conn>();
  const served = (async () => {
    for await (const conn of listener) {
      if (options.unref) conn.unref();
      if (open.size >= maxConnections) {
        conn.close();
        continue;
      }
      open.add(conn);
      serveConnection(conn, handler, settings).catch(() => {}).finally(() => {
        open.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  let closed = false;
  return {
    path,
    async close() {
      if (!closed) {
        closed = true;
        try {
          listener.close();
        } catch { /* closed */ }
        for (const conn of open) {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      }
      await served;
    },
  };
}

/**
 * Listens on a new socket `computer.sock` in a fresh private folder (0700, made here) and serves
 * `handler`; `close()` also removes the folder.
 */
export async function serveChannel(
  handler: ChannelHandler,
  options: ChannelOptions,
): Promise<Channel> {
  const dir = await Deno.makeTempDir({ prefix: "interpreter-computer-" });
  await Deno.chmod(dir, 0o700);
  const channel = listenChannel(`${dir}/computer.sock`, handler, options);
  return {
    path: channel.path,
    async close() {
      await channel.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
