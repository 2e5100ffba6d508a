/**
 * Streams one model answer over HTTP: builds the provider's request, retries
 * rate limits and server errors (honouring `Retry-After`), bounds every wait
 * (response headers, then the gap between chunks), reads the event stream,
 * and assembles it. Failures become one {@linkcode LlmError} whose message
 * names the cause and the fix. The key is sent only in request headers; it
 * never appears in messages or errors.
 *
 * OpenAI-compatible providers (and Azure) are called through the `openai`
 * package, loaded on the first call: it builds and sends the request and
 * classifies HTTP errors; its `asResponse()` hands back the raw stream, which
 * our own reader parses so it can tell a finished stream (`[DONE]` / finish
 * reason) from one that broke off, bound the idle time between chunks and see
 * SSE `event: error` frames. Its retries are off: ours honour `Retry-After`
 * and report each wait. Anthropic's Messages API is called with `fetch`.
 *
 * @module
 */

import { AnthropicStreamAssembler, toAnthropicRequest } from "./anthropic.ts";
import { type AssembledTurn, ChatStreamAssembler, type StreamEvent } from "./assembler.ts";
import { LlmError } from "./errors.ts";
import { type ResolvedModel, resolveModel } from "./providers.ts";
import { SseParser } from "./sse.ts";
import type { ChatMessage, ToolSpec } from "./types.ts";

/** Bounds on network waits, in milliseconds. */
export interface LlmTimeouts {
  /** From sending the request to receiving the response headers (default 60 000). */
  firstByte?: number;
  /** Between two chunks of the stream (default 180 000; reasoning models can pause). */
  idle?: number;
}

/** A streamed completion request. */
export interface CompletionRequest {
  /** LiteLLM-style model name (`gpt-4o`, `anthropic/claude-sonnet-4-20250514`, `ollama/qwen3`). */
  model: string;
  /** The conversation in OpenAI format. */
  messages: ChatMessage[];
  /** Tools offered to the model. */
  tools?: ToolSpec[];
  /** Overrides the provider's base URL. */
  apiBase?: string;
  /** Overrides the key from the environment. */
  apiKey?: string;
  /**
   * Where `apiKey` came from, named when the key is rejected (the key itself
   * never is), e.g. `--api-key` or `llm.api_key in profile work`; default
   * "the apiKey option".
   */
  apiKeySource?: string;
  /**
   * Reads the provider's environment variables (its key, Azure's base URL and
   * version); default `Deno.env.get`. Lets a caller, or a test, decide what
   * the environment holds without changing the process-wide one.
   */
  env?: (name: string) => string | undefined;
  /** Azure API version. */
  apiVersion?: string;
  /** Sampling temperature (sent only when non-zero). */
  temperature?: number;
  /** Largest answer in tokens. */
  maxTokens?: number;
  /** Aborting stops the request at once. */
  signal?: AbortSignal;
  /** Network wait bounds. */
  timeouts?: LlmTimeouts;
  /** Retries for 429 / 5xx / connection failures before the stream starts (default 3). */
  maxRetries?: number;
  /** Longest Retry-After honoured, in ms (default 60 000); longer waits fail at once. */
  maxRetryWait?: number;
  /** Told about each retry before its wait. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

/** What {@linkcode streamCompletion} yields: answer pieces, then the whole answer. */
export type CompletionEvent =
  | StreamEvent
  | { type: "retry"; attempt: number; delayMs: number; reason: string }
  | { type: "done"; turn: AssembledTurn };

const DEFAULT_FIRST_BYTE = 60_000;
const DEFAULT_IDLE = 180_000;

function usesCompletionTokens(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model);
}

function buildRequest(
  resolved: ResolvedModel,
  req: CompletionRequest,
): { url: string; headers: Record<string, string>; body: Record<string, unknown> } {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const { provider, model, apiBase, apiKey } = resolved;
  if (provider.protocol === "anthropic") {
    if (apiKey) headers["x-api-key"] = apiKey;
    headers["anthropic-version"] = "2023-06-01";
    return {
      url: `${apiBase}/messages`,
      headers,
      body: toAnthropicRequest(model, req.messages, {
        tools: req.tools,
        maxTokens: req.maxTokens ?? 4096,
        temperature: req.temperature,
      }),
    };
  }
  const body: Record<string, unknown> = {
    model,
    messages: req.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (req.tools?.length) body.tools = req.tools;
  if (req.temperature) body.temperature = req.temperature;
  if (req.maxTokens) {
    body[usesCompletionTokens(model) ? "max_completion_tokens" : "max_tokens"] = req.maxTokens;
  }
  return { url: `${apiBase}/chat/completions`, headers, body };
}

function azureVersion(req: CompletionRequest): string {
  let envVersion: string | undefined;
  try {
    envVersion = (req.env ?? ((name) => Deno.env.get(name)))("AZURE_API_VERSION");
  } catch { /* no env access */ }
  return req.apiVersion ?? envVersion ?? "2024-10-21";
}

/** An HTTP error answer, normalised across `fetch` and the `openai` package. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers | undefined,
    readonly detail: string,
  ) {
    super(`HTTP ${status}`);
  }
}

type OpenAIModule = typeof import("npm:openai@^6.49.0");
let openaiModule: Promise<OpenAIModule> | undefined;

function sdkDetail(err: { error?: unknown; message: string }, status: number): string {
  const e = err.error as Record<string, unknown> | string | undefined;
  if (typeof e === "string") return e;
  const message = typeof e?.message === "string" ? e.message : err.message.replace(/^\d{3}\s*/, "");
  const code = typeof e?.code === "string" ? e.code : typeof e?.type === "string" ? e.type : "";
  const text = message === "status code (no body)" || message === `${status} status code (no body)`
    ? ""
    : message;
  return `${text}${code && !text.includes(code) ? ` [${code}]` : ""}`;
}

/** Sends the request and resolves to the streaming response, or throws an HttpFailure. */
async function send(
  resolved: ResolvedModel,
  req: CompletionRequest,
  built: { url: string; headers: Record<string, string>; body: Record<string, unknown> },
  signal: AbortSignal,
  firstByte: number,
): Promise<Response> {
  if (resolved.provider.protocol === "anthropic") {
    const res = await fetch(built.url, {
      method: "POST",
      headers: built.headers,
      body: JSON.stringify(built.body),
      signal,
    });
    if (!res.ok) {
      throw new HttpFailure(res.status, res.headers, await errorDetail(res, firstByte));
    }
    return res;
  }
  // A full specifier: the library must work without this repo's import map.
  openaiModule ??= import("npm:openai@^6.49.0");
  const sdk = await openaiModule;
  // Every option is explicit so nothing is read from the environment (OPENAI_API_KEY,
  // OPENAI_ORG_ID...): a key or organisation must never go to another provider's server.
  const common = {
    apiKey: resolved.apiKey ?? "none",
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: firstByte + 5_000, // ours fires first, with the clearer message
  };
  const { apiBase, model } = resolved;
  const client = resolved.provider.protocol === "azure" && !/\/openai\/v1$/.test(apiBase)
    ? new sdk.AzureOpenAI({
      ...common,
      endpoint: apiBase,
      apiVersion: azureVersion(req),
      deployment: model,
    })
    : new sdk.OpenAI({
      ...common,
      baseURL: apiBase,
      defaultHeaders: resolved.provider.protocol === "azure" && resolved.apiKey
        ? { "api-key": resolved.apiKey }
        : undefined,
    });
  try {
    return await client.chat.completions
      .create(built.body as never, { signal })
      .asResponse();
  } catch (err) {
    if (err instanceof sdk.APIError && typeof err.status === "number") {
      throw new HttpFailure(
        err.status,
        err.headers as Headers | undefined,
        sdkDetail(err, err.status),
      );
    }
    if (err instanceof sdk.APIConnectionTimeoutError) throw new TimedOut();
    // Connection failures carry the network error as their cause.
    const cause = (err as { cause?: unknown })?.cause;
    throw cause instanceof Error ? cause : err;
  }
}

/** Milliseconds to wait before retrying, from the response headers or a backoff. */
function retryDelay(headers: Headers | undefined, attempt: number): number {
  const ms = headers?.get("retry-after-ms");
  if (ms && !isNaN(Number(ms))) return Number(ms);
  const after = headers?.get("retry-after");
  if (after) {
    const seconds = Number(after);
    if (!isNaN(seconds)) return seconds * 1000;
    const date = Date.parse(after);
    if (!isNaN(date)) return Math.max(0, date - Date.now());
  }
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  return base / 2 + Math.random() * base / 2;
}

async function errorDetail(res: Response, limitMs: number): Promise<string> {
  limitMs = Math.min(limitMs, 10_000);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // Bounded: a server may send error headers and then stall the body.
    text = await Promise.race([
      res.text(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => {
          res.body?.cancel().catch(() => {});
          resolve("");
        }, limitMs);
      }),
    ]);
  } catch {
    return "";
  } finally {
    clearTimeout(timer);
  }
  try {
    const json = JSON.parse(text);
    const err = json.error ?? json;
    const message = typeof err === "string" ? err : err.message ?? err.detail ?? "";
    const code = typeof err === "object" ? err.code ?? err.type ?? "" : "";
    return `${message}${code && !String(message).includes(code) ? ` [${code}]` : ""}`;
  } catch {
    return text;
  }
}

function oneLine(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? line.slice(0, max) + "…" : line;
}

function keyHint(resolved: ResolvedModel): string {
  const vars = resolved.provider.keyEnv;
  return vars.length ? `set ${vars[0]}` : "set the key";
}

/** What to check when the key is rejected: names where the key came from, never the key. */
function rejectedKeyHint(resolved: ResolvedModel, req: CompletionRequest): string {
  if (resolved.apiKey && resolved.keyVariable) {
    return `The key came from ${resolved.keyVariable}: check it there, or pass --api-key.`;
  }
  if (resolved.apiKey) {
    const variable = resolved.provider.keyEnv[0];
    return `The key came from ${req.apiKeySource ?? "the apiKey option"}: check it${
      variable ? ` (or leave it out to use ${variable})` : ""
    }.`;
  }
  if (resolved.provider.name === "custom") {
    const unsent = resolved.unsentKey
      ? `; ${resolved.unsentKey.variable} is sent there only with -m ${resolved.unsentKey.provider}/${req.model}`
      : "";
    return `No key was sent (a custom --api-base gets no key from the environment${unsent}): ` +
      `pass --api-key or set llm.api_key.`;
  }
  return `No key was sent: ${keyHint(resolved)} or pass --api-key.`;
}

function httpError(
  resolved: ResolvedModel,
  req: CompletionRequest,
  status: number,
  detail: string,
  retries: number,
): LlmError {
  const name = req.model;
  const who = resolved.provider.name === "custom" ? resolved.apiBase : resolved.provider.name;
  const said = detail ? ` (${oneLine(detail)})` : "";
  if (status === 401 || status === 403) {
    const verb = resolved.apiKey ? "The API key was rejected" : "The request was refused";
    return new LlmError(
      "auth",
      `${verb} by ${who} (${status})${said}. ${rejectedKeyHint(resolved, req)}`,
      { status },
    );
  }
  if (status === 404) {
    return new LlmError(
      "not_found",
      `Model "${name}" was not found at ${resolved.apiBase} (404)${said}. Check the model name (--model) or the address (--api-base).`,
      { status },
    );
  }
  if (status === 429) {
    if (/insufficient_quota|quota|billing|credit/i.test(detail)) {
      return new LlmError(
        "rate_limit",
        `${who} refused the request for lack of quota (429)${said}. Add credit to the account or use another key.`,
        { status },
      );
    }
    return new LlmError(
      "rate_limit",
      `${who} is rate limiting requests (429) and still was after ${retries} ${
        retries === 1 ? "retry" : "retries"
      }${said}. Wait a minute and try again.`,
      { status },
    );
  }
  if (status >= 500) {
    return new LlmError(
      "server",
      `${who} had a server error (${status}) after ${retries} ${
        retries === 1 ? "retry" : "retries"
      }${said}. Try again later or choose another model.`,
      { status },
    );
  }
  return new LlmError(
    "bad_request",
    `${who} rejected the request (${status})${said}. Check the model settings.`,
    { status },
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

class TimedOut extends Error {}

/** Throws the clear error for a missing key, or returns the resolved model. */
export function resolveForRequest(req: CompletionRequest): ResolvedModel {
  const resolved = resolveModel(req.model, {
    apiBase: req.apiBase,
    apiKey: req.apiKey,
    env: req.env,
  });
  if (resolved.provider.needsKey && !resolved.apiKey && !req.apiBase) {
    throw new LlmError(
      "missing_key",
      `No API key for ${resolved.provider.name}: ${
        keyHint(resolved)
      } (or pass --api-key / llm.apiKey).`,
    );
  }
  if (!resolved.apiBase) {
    throw new LlmError(
      "bad_request",
      `No address for ${resolved.provider.name}: pass --api-base (or set AZURE_API_BASE for Azure).`,
    );
  }
  return resolved;
}

/** Sends a streamed completion request and yields the answer as it arrives. */
export async function* streamCompletion(
  req: CompletionRequest,
): AsyncGenerator<CompletionEvent, void, undefined> {
  const resolved = resolveForRequest(req);
  const built = buildRequest(resolved, req);
  const firstByte = req.timeouts?.firstByte ?? DEFAULT_FIRST_BYTE;
  const idle = req.timeouts?.idle ?? DEFAULT_IDLE;
  const maxRetries = req.maxRetries ?? 3;
  const maxRetryWait = req.maxRetryWait ?? 60_000;
  const anthropic = resolved.provider.protocol === "anthropic";
  const who = resolved.provider.name === "custom" ? resolved.apiBase : resolved.provider.name;

  let response: Response | undefined;
  let controller: AbortController;
  for (let attempt = 0;; attempt++) {
    controller = new AbortController();
    const onAbort = () => controller.abort(req.signal?.reason);
    req.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new TimedOut()), firstByte);
    let failure: LlmError | undefined;
    let retryHeaders: Headers | undefined;
    let detail = "";
    try {
      response = await send(resolved, req, built, controller.signal, firstByte);
    } catch (err) {
      if (req.signal?.aborted) throw new LlmError("cancelled", "The request was cancelled.");
      if (err instanceof HttpFailure) {
        retryHeaders = err.headers;
        detail = err.detail;
        failure = httpError(resolved, req, err.status, detail, attempt);
        const retriable = err.status === 429 && failure.message.includes("rate limiting") ||
          err.status >= 500 || err.status === 408;
        if (!retriable) throw failure;
      } else if (controller.signal.reason instanceof TimedOut || err instanceof TimedOut) {
        failure = new LlmError(
          "timeout",
          `No answer from ${resolved.apiBase} within ${
            Math.round(firstByte / 1000)
          }s. Check that the server is up, or raise the timeout.`,
        );
      } else {
        const local = resolved.provider.local
          ? ` Is the ${resolved.provider.name} server running?`
          : "";
        failure = new LlmError(
          "connection",
          `Could not connect to ${resolved.apiBase} (${
            oneLine(String((err as Error)?.message ?? err), 120)
          }).${local} Check the address (--api-base) and the network.`,
          { cause: err },
        );
      }
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
    }
    if (!failure) break;
    // Timeouts are not retried (the wait was already long); a refused connection once at most.
    const limit = failure.kind === "connection" ? Math.min(1, maxRetries) : maxRetries;
    if (attempt >= limit || failure.kind === "timeout") {
      if (failure.kind === "rate_limit" || failure.kind === "server") {
        throw httpError(resolved, req, failure.status!, detail, attempt);
      }
      throw failure;
    }
    const delay = retryDelay(retryHeaders, attempt);
    if (delay > maxRetryWait) {
      throw new LlmError(
        "rate_limit",
        `${who} asks to wait ${
          Math.round(delay / 1000)
        }s before retrying (${failure.status}). Try again later.`,
        { status: failure.status },
      );
    }
    const reason = failure.status
      ? `${who} answered ${failure.status}${detail ? ` (${oneLine(detail, 80)})` : ""}.`
      : failure.message;
    req.onRetry?.({ attempt: attempt + 1, delayMs: delay, reason });
    yield { type: "retry", attempt: attempt + 1, delayMs: delay, reason };
    try {
      await sleep(delay, req.signal);
    } catch {
      throw new LlmError("cancelled", "The request was cancelled.");
    }
  }

  const assembler = anthropic ? new AnthropicStreamAssembler() : new ChatStreamAssembler();
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response!.body!.getReader();
  let sawDone = false;
  let gotData = false;

  function handle(events: ReturnType<SseParser["push"]>): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (const ev of events) {
      if (ev.data === "[DONE]") {
        sawDone = true;
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        if (ev.event === "error") {
          throw new LlmError(
            "provider",
            `${who} reported an error mid-answer: ${oneLine(ev.data)}. Try again.`,
          );
        }
        continue; // not JSON: keep-alive noise
      }
      if (ev.event === "error" && json && typeof json === "object" && !("error" in json)) {
        json = { error: json };
      }
      if (anthropic && (json as Record<string, unknown>)?.type === "message_stop") sawDone = true;
      out.push(...assembler.push(json));
    }
    return out;
  }

  // A quiet stream or the caller's abort cancels the reader, which ends a pending read at once.
  let idleExpired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopReading = () => {
    reader.cancel().catch(() => {});
    controller!.abort();
  };
  req.signal?.addEventListener("abort", stopReading, { once: true });
  const quietError = () =>
    new LlmError(
      "timeout",
      `${who} stopped sending for ${
        Math.round(idle / 1000)
      }s in the middle of the answer; what arrived is kept. Try again, or raise the timeout.`,
    );

  try {
    for (;;) {
      if (req.signal?.aborted) throw new LlmError("cancelled", "The request was cancelled.");
      timer = setTimeout(() => {
        idleExpired = true;
        stopReading();
      }, idle);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (req.signal?.aborted) throw new LlmError("cancelled", "The request was cancelled.");
        if (idleExpired) throw quietError();
        throw new LlmError(
          "stream_cut",
          `The answer from ${who} broke off mid-stream (${
            oneLine(String((err as Error)?.message ?? err), 100)
          }); what arrived is kept. Try again or ask to continue.`,
          { cause: err },
        );
      } finally {
        clearTimeout(timer);
      }
      if (req.signal?.aborted) throw new LlmError("cancelled", "The request was cancelled.");
      if (idleExpired) throw quietError();
      if (chunk.done) break;
      gotData = true;
      for (const ev of handle(parser.push(decoder.decode(chunk.value, { stream: true })))) yield ev;
    }
    for (const ev of handle(parser.end())) yield ev;
    for (const ev of assembler.flush()) yield ev;
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener("abort", stopReading);
    await reader.cancel().catch(() => {});
    controller!.abort();
  }
  const turn = assembler.result();
  if (!sawDone && turn.finishReason === null) {
    throw new LlmError(
      "stream_cut",
      gotData
        ? `The answer from ${who} broke off mid-stream (the connection closed before the end); what arrived is kept. Try again or ask to continue.`
        : `${who} closed the connection without an answer. Try again.`,
    );
  }
  if (turn.finishReason === "content_filter") {
    yield { type: "done", turn };
    throw new LlmError(
      "content_filter",
      `${who}'s content filter stopped the answer; what arrived is kept. Rephrase the request.`,
    );
  }
  yield { type: "done", turn };
}
