/**
 * The host-side HTTP proxy that enforces `--allow-net=<hosts>` for every
 * language. Sandboxed code has no network of its own; its only way out is this
 * proxy (reached through a unix socket bound into the sandbox, or a loopback
 * port on macOS), which accepts `CONNECT host:port` and absolute-form HTTP
 * requests and refuses hosts not on the list with a 403 that says which flag
 * would allow them.
 *
 * @module
 */

import type { Grant } from "./permissions.ts";
import { canonicalAddress, dialAddresses, hostAllowed, splitHostPort } from "./hosts.ts";

/** A network access the proxy refused. */
export interface NetDenial {
  /** `host:port` that was asked for. */
  target: string;
  /** The flag that would allow it. */
  flag: string;
}

/** Options for {@linkcode startProxy}. */
export interface ProxyOptions {
  /** Hosts allowed (`true` = all but `deny`). */
  allow: Grant;
  /** Hosts always refused. */
  deny?: readonly string[];
  /** Listen on this unix socket path (Linux sandbox). */
  socketPath?: string;
  /** Otherwise listen on 127.0.0.1 at this port (0 = any). */
  port?: number;
  /** Called for each refused access. */
  onDenied?: (denial: NetDenial) => void;
}

/** A running proxy. */
export interface Proxy {
  /** The loopback port when listening on TCP. */
  port?: number;
  /** The unix socket path when listening on one. */
  socketPath?: string;
  /** Stops listening and closes every tunnel. */
  close(): Promise<void>;
}

const HEAD_LIMIT = 64 * 1024;
const HEAD_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 15_000;
/** Connections (each tunnel counts its two ends) one session's proxy keeps open at once. */
export const MAX_OPEN = 512;

/** Starts the proxy. Every connection and wait in it is bounded. */
export function startProxy(options: ProxyOptions): Proxy {
  const listener = options.socketPath
    ? Deno.listen({ transport: "unix", path: options.socketPath })
    : Deno.listen({ hostname: "127.0.0.1", port: options.port ?? 0 });
  // The proxy lives as long as its session; it must not keep the program running (a
  // script that ends without terminate() exits, and its sessions end on `unload`).
  listener.unref();
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const conn of listener) {
      conn.unref();
      // Each connection and tunnel holds descriptors of this program: code opening thousands
      // would leave it none (no file, no model request). Past the bound, new ones are closed.
      if (open.size >= MAX_OPEN) {
        closeQuietly(conn);
        continue;
      }
      open.add(conn);
      const task = handle(conn, options, open).catch(() => {}).finally(() => {
        closeQuietly(conn);
        open.delete(conn);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })().catch(() => {});
  return {
    port: options.socketPath ? undefined : (listener.addr as Deno.NetAddr).port,
    socketPath: options.socketPath,
    async close() {
      closeQuietly(listener);
      for (const c of open) closeQuietly(c);
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch { /* already closed */ }
}

async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | null> {
  const buf = new Uint8Array(HEAD_LIMIT);
  let len = 0;
  const timer = setTimeout(() => closeQuietly(conn), HEAD_TIMEOUT_MS);
  Deno.unrefTimer(timer);
  try {
    while (len < HEAD_LIMIT) {
      const n = await conn.read(buf.subarray(len));
      if (n === null) return null;
      len += n;
      const text = new TextDecoder("latin1").decode(buf.subarray(0, len));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) return { head: text.slice(0, end + 4), rest: buf.slice(end + 4, len) };
    }
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function reply(conn: Deno.Conn, status: string, body: string): Promise<void> {
  const bytes = new TextEncoder().encode(body + "\n");
  const head = `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nX-Interpreter-Sandbox: ${
    status.startsWith("403") ? "denied" : "error"
  }\r\nConnection: close\r\nContent-Length: ${bytes.length}\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head));
  await conn.write(bytes);
}

/**
 * Every address `host` resolves to (the system resolver, /etc/hosts included),
 * in one form; an address resolves to itself. Empty when it does not resolve
 * within the connect timeout.
 */
async function resolveHost(host: string): Promise<string[]> {
  const literal = canonicalAddress(host);
  if (literal) return [literal];
  try {
    const { lookup } = await import("node:dns/promises");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const found = await Promise.race([
      lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), CONNECT_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    return found.map((a) => canonicalAddress(a.address) ?? a.address);
  } catch {
    return [];
  }
}

/** Dials the addresses in order (an IPv6 address first on a host without IPv6...). */
async function dialFirst(addresses: readonly string[], port: number): Promise<Deno.TcpConn> {
  let last: unknown;
  for (const a of addresses) {
    try {
      return await dial(a, port);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

async function dial(host: string, port: number): Promise<Deno.TcpConn> {
  const signal = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
  return await Deno.connect({ hostname: host, port, signal });
}

async function handle(conn: Deno.Conn, options: ProxyOptions, open: Set<Deno.Conn>): Promise<void> {
  const got = await readHead(conn);
  if (!got) return;
  const [requestLine] = got.head.split("\r\n");
  const [method, target, version] = requestLine.split(" ");
  let host: string;
  let port: number;
  let forwardHead: string | null = null;
  if (method === "CONNECT") {
    const hp = splitHostPort(target ?? "");
    host = hp.host;
    port = hp.port ?? 443;
  } else {
    let url: URL;
    try {
      url = new URL(target ?? "");
    } catch {
      await reply(
        conn,
        "400 Bad Request",
        "The interpreter's sandbox proxy only forwards absolute URLs and CONNECT.",
      );
      return;
    }
    host = url.hostname.replace(/^\[|\]$/g, "");
    port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    forwardHead = `${method} ${url.pathname}${url.search} ${version}\r\n` +
      got.head.slice(requestLine.length + 2).replace(/^proxy-connection:.*\r\n/gim, "");
  }
  const shown = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const addresses = await resolveHost(host);
  const rules = { allow: options.allow, deny: options.deny };
  const candidates = dialAddresses({ host, port, addresses }, rules);
  if (!hostAllowed({ host, port, addresses }, rules)) {
    const name = host.includes(":") ? `[${host}]` : host;
    const flag = `--allow-net=${port === 80 || port === 443 ? name : `${name}:${port}`}`;
    options.onDenied?.({ target: shown, flag });
    await reply(
      conn,
      "403 Forbidden",
      `Blocked by the interpreter sandbox: network access to ${shown} is not allowed. ${flag} would allow it.`,
    );
    return;
  }
  if (candidates.length === 0) {
    await reply(conn, "502 Bad Gateway", `Could not reach ${shown}: the name does not resolve`);
    return;
  }
  let upstream: Deno.TcpConn;
  try {
    upstream = await dialFirst(candidates, port);
  } catch (e) {
    await reply(conn, "502 Bad Gateway", `Could not reach ${shown}: ${(e as Error).message}`);
    return;
  }
  upstream.unref();
  open.add(upstream);
  try {
    if (forwardHead === null) {
      await conn.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
    } else {
      await upstream.write(new TextEncoder().encode(forwardHead));
    }
    if (got.rest.length > 0) await upstream.write(got.rest);
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable, { preventClose: false }),
      upstream.readable.pipeTo(conn.writable, { preventClose: false }),
    ]);
  } finally {
    open.delete(upstream);
    closeQuietly(upstream);
  }
}
