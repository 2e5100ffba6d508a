/**
 * A fake OpenAI-compatible server for tests: real HTTP and real SSE over
 * `Deno.serve` on 127.0.0.1, port 0 (random).
 *
 * ```ts
 * import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
 *
 * const fake = startFakeOpenAI({
 *   script: [
 *     { toolCalls: [{ language: "python", code: "print(6 * 7)" }] }, // turn 1: a tool call
 *     { text: "The answer is 42." },                                 // turn 2: plain text
 *   ],
 * });
 * try {
 *   // point the client at fake.url (the `/v1` base), any api key
 *   // ... later: fake.requests[1].messages holds what the client sent on turn 2
 * } finally {
 *   await fake.close();
 * }
 * ```
 *
 * Every POST to `/v1/chat/completions` (or `/v1/messages`, the Anthropic
 * Messages API path) consumes the next turn of the script. A turn is one of:
 *
 * - `{ text, reasoning?, pieces?, usage?, finishReason? }`: streams optional
 *   reasoning (as `delta.reasoning_content`) then the text, split into about
 *   `pieces` content chunks (default 8), then a finish chunk, a usage chunk
 *   (`choices: []`) and `data: [DONE]`.
 * - `{ toolCalls: [{ language, code, id? }], text?, fragments? }`: optional
 *   text, then each call as an `execute` tool call (index 0, 1, ...) whose JSON
 *   arguments arrive in about `fragments` pieces (default 5); finish
 *   `tool_calls`, usage, `[DONE]`.
 * - `{ fixture: "openai__gpt-4o-mini__tool-call.sse" }`: replays a file of
 *   `tests/fixtures/providers/` as-is (`.sse` byte for byte; `.jsonl` /
 *   `.chunks.txt` lines and `.json` arrays wrapped as `data:` events plus `[DONE]`).
 * - `{ sse: "data: ...\n\n" }`: this raw event-stream body.
 * - `{ status: 429, body?, headers? }`: an error response (`body` defaults to
 *   an OpenAI-style `{ error: { message, type, code } }`), e.g. headers
 *   `{ "retry-after": "1" }`.
 * - `{ cutOff: "partial text", abrupt? }`: streams the text, then ends the
 *   stream without a finish reason or `[DONE]`; `abrupt: true` breaks the
 *   connection (the body errors, and Deno prints that error once) instead of
 *   closing it cleanly.
 * - `{ stall: "headers" | "body" }`: never answers (before the headers) or
 *   sends the headers and one comment then nothing; ends when the client
 *   aborts or the server closes. For timeout tests.
 * - `{ trickle: "data: {", everyMs? }`: sends the text, then one byte (`x`)
 *   every `everyMs` (default 50) without ever ending a line, until the client
 *   goes away: bytes keep coming but no event ever completes.
 * - `{ binary: Uint8Array, chunkSize?, contentType? }`: these bytes in
 *   pieces of `chunkSize` (default: the whole), as
 *   `application/vnd.amazon.eventstream` unless told.
 *
 * Fixtures ending in `.eventstream` (AWS's binary event-stream framing, as
 * Bedrock's Converse stream sends it) are sent as binary, in pieces of 100
 * bytes so messages straddle reads. Besides `/chat/completions` and
 * `/messages`, POSTs to paths ending in `/responses` (OpenAI's Responses API)
 * and `/converse-stream` (Bedrock, `/model/{id}/converse-stream`) consume
 * turns the same way.
 *
 * Any turn may also be a function `(body) => turn` to answer from the request.
 * Options: `delayMs` between chunks (default 0), `apiKey` (when set, a request
 * without `Authorization: Bearer <apiKey>` or `x-api-key: <apiKey>` gets a
 * 401), `models` (ids listed by `GET /v1/models`, default `["fake-model"]`).
 * When the script is used up, requests get a 500 "script exhausted" error.
 *
 * The returned object gives `url` (the `/v1` base URL), `requests` (parsed
 * JSON bodies in arrival order), `headers` and `paths` (of those requests) and
 * `close()` (ends stalled streams and shuts the server down).
 *
 * @module
 */

/** One scripted tool call. */
export interface FakeToolCall {
  /** The `language` argument of the `execute` tool. */
  language: string;
  /** The `code` argument. */
  code: string;
  /** The call id (default `call_<turn>_<n>`). */
  id?: string;
}

/** Token usage reported by a scripted turn. */
export interface FakeUsage {
  /** Prompt tokens. */
  prompt_tokens: number;
  /** Completion tokens. */
  completion_tokens: number;
}

/** One scripted answer (see the module documentation). */
export type FakeTurnSpec =
  | {
    text: string;
    reasoning?: string;
    pieces?: number;
    usage?: FakeUsage | null;
    finishReason?: string | null;
  }
  | { toolCalls: FakeToolCall[]; text?: string; fragments?: number; usage?: FakeUsage | null }
  | { fixture: string }
  | { sse: string }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { cutOff: string; abrupt?: boolean }
  | { stall: "headers" | "body" }
  | { trickle: string; everyMs?: number }
  | { binary: Uint8Array; chunkSize?: number; contentType?: string };

/** A turn, or a function choosing the turn from the request body. */
export type FakeTurn = FakeTurnSpec | ((body: Record<string, unknown>) => FakeTurnSpec);

/** Options of {@linkcode startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** The answers, one per completion request, in order. */
  script: FakeTurn[];
  /** Milliseconds between streamed chunks (default 0). */
  delayMs?: number;
  /** When set, requests must carry this key. */
  apiKey?: string;
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
}

/** A running fake server. */
export interface FakeOpenAI {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** The JSON bodies of the completion requests received, in order. */
  requests: Record<string, unknown>[];
  /** The headers of those requests. */
  headers: Headers[];
  /** The path and query of those requests (e.g. `/v1/chat/completions`). */
  paths: string[];
  /** The raw text of those requests' bodies (as signed, for Bedrock's SigV4). */
  bodies: string[];
  /** Ends stalled responses and shuts the server down. */
  close(): Promise<void>;
}

/** The folder of the shared provider stream fixtures. */
export const FIXTURES_DIR: URL = new URL("../fixtures/providers/", import.meta.url);

const encoder = new TextEncoder();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function split(text: string, pieces: number): string[] {
  const n = Math.max(1, Math.min(pieces, text.length));
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

function splitBytes(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += Math.max(1, size)) out.push(bytes.subarray(i, i + size));
  return out;
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 0,
    model: "fake-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

function usageChunk(usage: FakeUsage): string {
  return JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 0,
    model: "fake-model",
    choices: [],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  });
}

/** Reads a binary fixture (`.eventstream`) and returns it in pieces of `size` bytes. */
export async function fixtureBytes(name: string, size = 100): Promise<Uint8Array[]> {
  const bytes = await Deno.readFile(new URL(name, FIXTURES_DIR));
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Reads a fixture and returns it as a list of raw SSE pieces to send. */
export async function fixtureEvents(name: string): Promise<string[]> {
  const text = await Deno.readTextFile(new URL(name, FIXTURES_DIR));
  if (name.endsWith(".sse")) {
    // Send event by event so the client sees real chunk boundaries.
    return text.split(/(?<=\n\n)/);
  }
  let lines: string[];
  if (name.endsWith(".json")) {
    lines = (JSON.parse(text) as unknown[]).map((c) => JSON.stringify(c));
  } else {
    lines = text.split("\n").filter((l) => l.trim() !== "");
  }
  return [...lines.map((l) => `data: ${l}\n\n`), "data: [DONE]\n\n"];
}

function events(turn: FakeTurnSpec, turnNumber: number): string[] | null {
  const out: string[] = [];
  const data = (s: string) => out.push(`data: ${s}\n\n`);
  if ("text" in turn && !("toolCalls" in turn)) {
    data(chunk({ role: "assistant", content: "" }));
    if (turn.reasoning) {
      for (const r of split(turn.reasoning, 4)) data(chunk({ reasoning_content: r }));
    }
    for (const piece of split(turn.text, turn.pieces ?? 8)) data(chunk({ content: piece }));
    if (turn.finishReason !== null) data(chunk({}, turn.finishReason ?? "stop"));
    const usage = turn.usage === undefined
      ? { prompt_tokens: 10, completion_tokens: Math.max(1, Math.ceil(turn.text.length / 4)) }
      : turn.usage;
    if (usage) data(usageChunk(usage));
    data("[DONE]");
    return out;
  }
  if ("toolCalls" in turn) {
    data(chunk({ role: "assistant", content: null }));
    if (turn.text) { for (const piece of split(turn.text, 4)) data(chunk({ content: piece })); }
    turn.toolCalls.forEach((call, index) => {
      const id = call.id ?? `call_${turnNumber}_${index}`;
      data(chunk({
        tool_calls: [{ index, id, type: "function", function: { name: "execute", arguments: "" } }],
      }));
      const args = JSON.stringify({ language: call.language, code: call.code });
      for (const piece of split(args, turn.fragments ?? 5)) {
        data(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    });
    data(chunk({}, "tool_calls"));
    const usage = turn.usage === undefined
      ? { prompt_tokens: 10, completion_tokens: 20 }
      : turn.usage;
    if (usage) data(usageChunk(usage));
    data("[DONE]");
    return out;
  }
  if ("sse" in turn) return [turn.sse];
  if ("cutOff" in turn) {
    data(chunk({ role: "assistant", content: "" }));
    for (const piece of split(turn.cutOff, 4)) data(chunk({ content: piece }));
    return out;
  }
  return null;
}

/** Starts a fake OpenAI-compatible server on 127.0.0.1 (random port). */
export function startFakeOpenAI(options: FakeOpenAIOptions): FakeOpenAI {
  const requests: Record<string, unknown>[] = [];
  const headers: Headers[] = [];
  const paths: string[] = [];
  const bodies: string[] = [];
  const closing = new AbortController();
  let turnIndex = 0;

  async function completion(req: Request): Promise<Response> {
    let body: Record<string, unknown> = {};
    const raw = await req.text();
    try {
      body = JSON.parse(raw);
    } catch {
      return Response.json({ error: { message: "invalid JSON body" } }, { status: 400 });
    }
    bodies.push(raw);
    requests.push(body);
    headers.push(req.headers);
    const url = new URL(req.url);
    paths.push(url.pathname + url.search);
    if (options.apiKey !== undefined) {
      const auth = req.headers.get("authorization") ?? "";
      const xKey = req.headers.get("x-api-key") ?? req.headers.get("api-key") ?? "";
      if (auth !== `Bearer ${options.apiKey}` && xKey !== options.apiKey) {
        return Response.json({
          error: {
            message: "Incorrect API key provided.",
            type: "invalid_request_error",
            code: "invalid_api_key",
          },
        }, { status: 401 });
      }
    }
    const next = options.script[turnIndex++];
    if (next === undefined) {
      return Response.json({ error: { message: "fake server: script exhausted" } }, {
        status: 500,
      });
    }
    const turn = typeof next === "function" ? next(body) : next;
    if ("status" in turn) {
      const errorBody = turn.body ?? {
        error: { message: `fake error ${turn.status}`, type: "fake_error", code: turn.status },
      };
      return new Response(
        typeof errorBody === "string" ? errorBody : JSON.stringify(errorBody),
        {
          status: turn.status,
          headers: { "content-type": "application/json", ...(turn.headers ?? {}) },
        },
      );
    }
    if ("stall" in turn && turn.stall === "headers") {
      // Holds until the server closes (the client gives up on its own).
      await new Promise<void>((resolve) => {
        closing.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return new Response("stalled", { status: 503 });
    }
    const binaryFixture = "fixture" in turn && turn.fixture.endsWith(".eventstream");
    const pieces: (string | Uint8Array)[] = binaryFixture
      ? await fixtureBytes((turn as { fixture: string }).fixture)
      : "fixture" in turn
      ? await fixtureEvents(turn.fixture)
      : "stall" in turn
      ? [": stalled\n\n"]
      : "trickle" in turn
      ? [turn.trickle]
      : "binary" in turn
      ? splitBytes(turn.binary, turn.chunkSize ?? turn.binary.length)
      : events(turn, turnIndex) ?? [];
    const trickleMs = "trickle" in turn ? turn.everyMs ?? 50 : undefined;
    const contentType = binaryFixture
      ? "application/vnd.amazon.eventstream"
      : "binary" in turn
      ? turn.contentType ?? "application/vnd.amazon.eventstream"
      : "text/event-stream";
    const stallBody = "stall" in turn;
    const abrupt = "cutOff" in turn && turn.abrupt === true;
    const cancelled = new AbortController();
    const stop = AbortSignal.any([cancelled.signal, closing.signal]);
    let sent = 0;
    let stalled = false;
    // Pull-based, one piece per read, so every piece is on the wire before an abrupt cut.
    const stream = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled.abort(); // the client went away
      },
      async pull(controller) {
        try {
          if (sent > 0) await sleep(options.delayMs ?? 0, stop);
          if (sent < pieces.length && !stop.aborted) {
            const piece = pieces[sent++];
            controller.enqueue(typeof piece === "string" ? encoder.encode(piece) : piece);
            return;
          }
          if (trickleMs !== undefined && !stop.aborted) {
            await sleep(trickleMs, stop);
            if (!stop.aborted) controller.enqueue(encoder.encode("x"));
            if (!stop.aborted) return;
          }
          if (stallBody && !stalled && !stop.aborted) {
            stalled = true;
            await new Promise<void>((resolve) =>
              stop.addEventListener("abort", () => resolve(), { once: true })
            );
          }
          if (abrupt && !stop.aborted) {
            await sleep(50, stop); // let the last piece leave before the connection breaks
            controller.error(new Error("fake server: connection cut off"));
          } else controller.close();
        } catch {
          // the client went away
        }
      },
    }, { highWaterMark: 0 });
    return new Response(stream, {
      headers: { "content-type": contentType, "cache-control": "no-cache" },
    });
  }

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req) => {
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    if (req.method === "GET" && path.endsWith("/models")) {
      return Response.json({
        object: "list",
        data: (options.models ?? ["fake-model"]).map((id) => ({
          id,
          object: "model",
          created: 0,
          owned_by: "fake",
        })),
      });
    }
    if (
      req.method === "POST" &&
      (path.endsWith("/chat/completions") || path.endsWith("/messages") ||
        path.endsWith("/responses") || path.endsWith("/converse-stream"))
    ) {
      return completion(req);
    }
    return Response.json({ error: { message: `fake server: no route ${req.method} ${path}` } }, {
      status: 404,
    });
  });

  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    headers,
    paths,
    bodies,
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
}
