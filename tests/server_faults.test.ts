/**
 * Server abuse over raw TCP (issue 11, item 9): a connection that never
 * finishes its headers is answered 408 and closed within the header timeout;
 * a WebSocket text frame that is not UTF-8 gets a close frame 1007, one with
 * a reserved opcode 1002. Each has a control: the same connection done right
 * is served.
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startScriptedServer } from "./helpers/server_scripted_interpreter.ts";
import { FrameChecker } from "../lib/server/front.ts";

const TOKEN = "server-faults-token-0123456789";
const script = () => [{ text: "hello" }];

/** A raw connection to the server, with bounded reads. */
class Raw {
  #conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }
  static async open(port: number): Promise<Raw> {
    return new Raw(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }
  /** Reads until `done(buffer)` or the connection ends, at most `ms`; returns what arrived. */
  async readUntil(
    done: (b: Uint8Array) => boolean,
    ms: number,
  ): Promise<{ bytes: Uint8Array; ended: boolean }> {
    const deadline = Date.now() + ms;
    const chunk = new Uint8Array(65536);
    while (!done(this.#buffer)) {
      const left = deadline - Date.now();
      if (left <= 0) return { bytes: this.#buffer, ended: false };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.#conn.read(chunk).catch(() => null),
        new Promise<"late">((r) => timer = setTimeout(() => r("late"), left)),
      ]);
      clearTimeout(timer);
      if (n === "late") return { bytes: this.#buffer, ended: false };
      if (n === null) return { bytes: this.#buffer, ended: true };
      const next = new Uint8Array(this.#buffer.length + n);
      next.set(this.#buffer);
      next.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = next;
    }
    return { bytes: this.#buffer, ended: false };
  }
  take(n: number): Uint8Array {
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return out;
  }
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A masked client frame. */
function frame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const out = new Uint8Array(6 + payload.length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = 0x80 | payload.length;
  out.set(mask, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i % 4];
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Opens an authenticated WebSocket by hand; returns the raw connection after the 101. */
async function openSocket(port: number): Promise<Raw> {
  const raw = await Raw.open(port);
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  await raw.send(
    `GET /?session=raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
  );
  const head = await raw.readUntil((b) => text(b).includes("\r\n\r\n"), 10_000);
  const headText = text(head.bytes);
  assertStringIncludes(headText, "101 Switching Protocols");
  raw.take(headText.indexOf("\r\n\r\n") + 4);
  return raw;
}

/** Reads server frames until a close frame; returns its code (undefined if none came). */
async function closeCode(raw: Raw, ms = 10_000): Promise<{ code?: number; texts: string[] }> {
  const texts: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await raw.readUntil(
      (b) => b.length >= 2 && b.length >= 2 + (b[1] & 0x7f),
      deadline - Date.now(),
    );
    if (r.bytes.length < 2 || r.bytes.length < 2 + (r.bytes[1] & 0x7f)) return { texts };
    const len = r.bytes[1] & 0x7f;
    assert(len < 126, "short frames only in this test");
    const f = raw.take(2 + len);
    const opcode = f[0] & 0x0f;
    if (opcode === 8) return { code: (f[2] << 8) | f[3], texts };
    if (opcode === 1) texts.push(text(f.subarray(2)));
  }
}

Deno.test("server: a connection that never finishes its headers gets 408 and is closed", async () => {
  const { server } = await startScriptedServer(script, { apiKey: TOKEN, headerTimeoutSeconds: 1 });
  try {
    // Control: complete headers on a raw connection are served.
    const ok = await Raw.open(server.port);
    await ok.send("GET /heartbeat HTTP/1.1\r\nHost: x\r\n\r\n");
    const answer = await ok.readUntil((b) => text(b).includes("alive"), 10_000);
    assertStringIncludes(text(answer.bytes), "200 OK");
    ok.close();
    // Slow headers: a few bytes, then nothing.
    const slow = await Raw.open(server.port);
    await slow.send("GET /heartbeat HTTP/1.1\r\nHost: x\r\n");
    const started = Date.now();
    const r = await slow.readUntil(() => false, 15_000);
    assert(r.ended, `the connection is still open after ${Date.now() - started} ms`);
    assertStringIncludes(text(r.bytes), "408 Request Timeout");
    slow.close();
    // A header sent one byte at a time also runs into the bound.
    const drip = await Raw.open(server.port);
    const dripping = (async () => {
      for (const ch of "GET /heartbeat HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa") {
        try {
          await drip.send(ch);
        } catch {
          return;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const d = await drip.readUntil(() => false, 15_000);
    assert(d.ended, "a dripping header is cut off too");
    await dripping;
    drip.close();
  } finally {
    await server.close();
  }
});

Deno.test("server: a WebSocket text frame that is not UTF-8 is closed with 1007", async () => {
  const { server } = await startScriptedServer(script, { apiKey: TOKEN });
  try {
    // Control: valid frames are answered.
    const good = await openSocket(server.port);
    await good.send(frame(1, utf8(JSON.stringify({ auth: TOKEN }))));
    const replies = await good.readUntil((b) => text(b).includes('"auth":true'), 10_000);
    assertStringIncludes(text(replies.bytes), '"auth":true');
    good.close();

    const bad = await openSocket(server.port);
    await bad.send(frame(1, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    assertEquals((await closeCode(bad)).code, 1007);
    bad.close();

    // A character split across two fragments is fine; cut off at the end of the message it is not.
    const split = await openSocket(server.port);
    const euro = utf8(JSON.stringify({ auth: TOKEN, note: "€" }));
    const cut = euro.indexOf(0xe2) + 1;
    await split.send(frame(1, euro.subarray(0, cut), false));
    await split.send(frame(0, euro.subarray(cut), true));
    const fine = await split.readUntil((b) => text(b).includes('"auth":true'), 10_000);
    assertStringIncludes(text(fine.bytes), '"auth":true');
    split.take(fine.bytes.length);
    await split.send(frame(1, new Uint8Array([0x22, 0xe2, 0x82]), true));
    assertEquals((await closeCode(split)).code, 1007);
    split.close();
  } finally {
    await server.close();
  }
});

Deno.test("server: a WebSocket frame with a reserved opcode is closed with 1002", async () => {
  const { server } = await startScriptedServer(script, { apiKey: TOKEN });
  try {
    for (const opcode of [3, 7, 0xb, 0xf]) {
      const raw = await openSocket(server.port);
      await raw.send(frame(opcode, utf8("x")));
      assertEquals((await closeCode(raw)).code, 1002, `opcode ${opcode}`);
      raw.close();
    }
    // An unmasked client frame breaks the protocol too.
    const raw = await openSocket(server.port);
    await raw.send(new Uint8Array([0x81, 0x01, 0x41]));
    assertEquals((await closeCode(raw)).code, 1002);
    raw.close();
  } finally {
    await server.close();
  }
});

Deno.test("server front: the frame checker follows RFC 6455 byte by byte", () => {
  const feed = (bytes: Uint8Array, step: number) => {
    const checker = new FrameChecker();
    for (let i = 0; i < bytes.length; i += step) {
      const fault = checker.push(bytes.subarray(i, i + step));
      if (fault) return fault.code;
    }
    return undefined;
  };
  const valid = new Uint8Array([
    ...frame(1, utf8("héllo"), false),
    ...frame(9, utf8("ping")),
    ...frame(0, utf8(" wörld")),
    ...frame(2, new Uint8Array([0xff, 0x00])),
  ]);
  for (const step of [1, 3, 1000]) assertEquals(feed(valid, step), undefined);
  for (const step of [1, 1000]) {
    assertEquals(feed(frame(1, new Uint8Array([0xc3])), step), 1007);
    assertEquals(feed(frame(0, utf8("x")), step), 1002);
    assertEquals(feed(frame(9, utf8("x"), false), step), 1002);
  }
});

Deno.test("server: a refused WebSocket upgrade ends the connection (no untimed second request)", async () => {
  const { server } = await startScriptedServer(script, { apiKey: TOKEN, headerTimeoutSeconds: 30 });
  try {
    const raw = await Raw.open(server.port);
    await raw.send(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        "Authorization: Bearer wrong-token\r\n\r\n",
    );
    // Well within the 30 s header bound: the refusal itself ends the connection.
    const r = await raw.readUntil(() => false, 10_000);
    assertStringIncludes(text(r.bytes), "401");
    assert(r.ended, "the connection ends after the refusal");
    raw.close();
  } finally {
    await server.close();
  }
});
