/**
 * Streams one model answer over HTTP: opens the provider's protocol (loading
 * its module only then), retries rate limits and server errors (honouring
 * `Retry-After`), bounds every wait (response headers, then the time between
 * complete stream events), reads the event stream, and assembles it.
 * Failures become one {@linkcode LlmError} whose message names the provider,
 * the cause and the fix. The key is sent only in request headers; it never
 * appears in messages or errors.
 *
 * @module
 */

import type { AssembledTurn, StreamEvent } from "./assembler.ts";
import { LlmError } from "./errors.ts";
import {
  httpError,
  HttpFailure,
  keyHint,
  oneLine,
  providerLabel,
  retryDelay,
  sleep,
  TimedOut,
} from "./http.ts";
import { type ResolvedModel, resolveModel } from "./providers.ts";
import type { CompletionRequest, FrameDecoder, FrameEvent, LlmTimeouts, Wire } from "./wire.ts";

export type { CompletionRequest, LlmTimeouts };

/** What {@linkcode streamCompletion} yields: answer pieces, then the whole answer. */
export type CompletionEvent =
  | StreamEvent
  | { type: "retry"; attempt: number; delayMs: number; reason: string }
  | { type: "done"; turn: AssembledTurn };

/** Default bound from sending the request to the response headers, in ms. */
const DEFAULT_FIRST_BYTE_TIMEOUT = 60_000;
/** Default bound between two complete stream events, in ms. */
const DEFAULT_STALL_TIMEOUT = 180_000;

async function sseDecoder(): Promise<FrameDecoder> {
  const { SseParser } = await import("./sse.ts");
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let events = 0;
  return {
    push(bytes) {
      const out = parser.push(decoder.decode(bytes, { stream: true }));
      events += out.length;
      return out;
    },
    end() {
      const out = parser.end();
      events += out.length;
      return out;
    },
    get progress() {
      return events + parser.comments;
    },
  };
}

/** Opens the resolved model's protocol; each protocol's module loads only when used. */
async function openWire(resolved: ResolvedModel, req: CompletionRequest): Promise<Wire> {
  switch (resolved.provider.protocol) {
    case "anthropic":
      return (await import("./anthropic.ts")).anthropicWire(resolved, req);
    case "responses":
      return (await import("./responses.ts")).responsesWire(resolved, req);
    case "bedrock":
      return await (await import("./bedrock.ts")).bedrockWire(resolved, req);
    case "vertex":
      return await (await import("./vertex.ts")).vertexWire(resolved, req);
    default:
      return (await import("./openai_chat.ts")).chatWire(resolved, req);
  }
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new LlmError(
      "bad_request",
      `The ${name} must be a positive number of seconds (got ${value / 1000}).`,
    );
  }
  return value;
}

/** Throws the clear error for a missing key or address, or returns the resolved model. */
function resolveForRequest(req: CompletionRequest): ResolvedModel {
  const resolved = resolveModel(req.model, {
    apiBase: req.apiBase,
    apiKey: req.apiKey,
    env: req.env,
    apiProtocol: req.apiProtocol,
  });
  if (resolved.provider.needsKey && !resolved.apiKey && !req.apiBase) {
    throw new LlmError(
      "missing_key",
      `No API key for ${providerLabel(resolved)}: ${
        keyHint(resolved)
      } (or pass --api-key / llm.apiKey).`,
    );
  }
  // Bedrock and Vertex find their address when the request is made (profiles, project).
  const later = resolved.provider.protocol === "bedrock" || resolved.provider.protocol === "vertex";
  if (!resolved.apiBase && !later) {
    throw new LlmError(
      "bad_request",
      `No address for ${resolved.provider.name}: pass --api-base (or set AZURE_API_BASE for Azure).`,
    );
  }
  return resolved;
}

const cancelled = () => new LlmError("cancelled", "The request was cancelled.");

/** Sends a streamed completion request and yields the answer as it arrives. */
export async function* streamCompletion(
  req: CompletionRequest,
): AsyncGenerator<CompletionEvent, void, undefined> {
  let resolved = resolveForRequest(req);
  const firstByte = positiveMs(
    req.timeouts?.firstByte,
    DEFAULT_FIRST_BYTE_TIMEOUT,
    "first-byte timeout (--first_byte_timeout)",
  );
  const idle = positiveMs(
    req.timeouts?.idle,
    DEFAULT_STALL_TIMEOUT,
    "stall timeout (--stall_timeout)",
  );
  const maxRetries = req.maxRetries ?? 3;
  const maxRetryWait = req.maxRetryWait ?? 60_000;
  const wire = await openWire(resolved, req);
  if (wire.resolved) resolved = wire.resolved;
  const who = providerLabel(resolved);

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
      response = await wire.send(controller.signal, firstByte);
    } catch (err) {
      if (req.signal?.aborted) throw cancelled();
      if (err instanceof LlmError) throw err; // the protocol's own clear error
      if (err instanceof HttpFailure) {
        const http = err;
        retryHeaders = http.headers;
        detail = http.detail;
        failure = httpError(resolved, req, { status: http.status, detail, retries: attempt });
        const retriable = http.status === 429 && failure.message.includes("rate limiting") ||
          http.status >= 500 || http.status === 408;
        if (!retriable) throw failure;
      } else if (controller.signal.reason instanceof TimedOut || err instanceof TimedOut) {
        failure = new LlmError(
          "timeout",
          `No answer from ${resolved.apiBase} within ${
            Math.round(firstByte / 1000)
          }s. Check that the server is up, or raise --first_byte_timeout.`,
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
        throw httpError(resolved, req, { status: failure.status!, detail, retries: attempt });
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
      throw cancelled();
    }
  }

  const assembler = wire.assembler;
  const decoder = wire.framing === "eventstream"
    ? (await import("./eventstream.ts")).eventStreamDecoder()
    : await sseDecoder();
  const reader = response!.body!.getReader();
  let sawDone = false;
  const arrived = () => {
    const turn = assembler.result();
    return turn.text !== "" || turn.reasoning !== "" || turn.toolCalls.length > 0;
  };
  const kept = () => arrived() ? "; what arrived is kept" : "";

  /** Assembles events; a failing event ends the batch, after the pieces before it. */
  function handle(events: FrameEvent[], final: boolean): { out: StreamEvent[]; error?: unknown } {
    const out: StreamEvent[] = [];
    try {
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
          // An unterminated last event is a stream that broke off (judged below).
          if (final) continue;
          throw new LlmError(
            "provider",
            `${who} sent an event that is not valid JSON (${
              oneLine(ev.data, 60)
            })${kept()}. Try again, or choose another model or --api-base.`,
          );
        }
        if (ev.event === "error" && json && typeof json === "object" && !("error" in json)) {
          json = { error: json };
        }
        if (wire.ends?.(json)) sawDone = true;
        out.push(...assembler.push(json));
      }
    } catch (error) {
      return { out, error };
    }
    return { out };
  }

  // No complete event in time, or the caller's abort, cancels the reader, which ends a read at once.
  let idleExpired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopReading = () => {
    reader.cancel().catch(() => {});
    controller!.abort();
  };
  const armStallTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idleExpired = true;
      stopReading();
    }, idle);
  };
  req.signal?.addEventListener("abort", stopReading, { once: true });
  const quietError = () =>
    new LlmError(
      "timeout",
      `${who} stopped sending: no complete event for ${
        Math.round(idle / 1000)
      }s in the middle of the answer${kept()}. Try again, or raise --stall_timeout.`,
    );

  try {
    armStallTimer();
    let progress = 0;
    for (;;) {
      if (req.signal?.aborted) throw cancelled();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (req.signal?.aborted) throw cancelled();
        if (idleExpired) throw quietError();
        throw new LlmError(
          "stream_cut",
          `The answer from ${who} broke off mid-stream (${
            oneLine(String((err as Error)?.message ?? err), 100)
          })${kept()}. Try again or ask to continue.`,
          { cause: err },
        );
      }
      if (req.signal?.aborted) throw cancelled();
      if (idleExpired) throw quietError();
      if (chunk.done) break;
      const handled = handle(decoder.push(chunk.value), false);
      // Only a complete event (or keep-alive) restarts the bound; a trickle of bytes does not.
      if (decoder.progress !== progress) {
        progress = decoder.progress;
        armStallTimer();
      }
      for (const ev of handled.out) yield ev;
      if (handled.error) throw handled.error;
    }
    const last = handle(decoder.end(), true);
    for (const ev of last.out) yield ev;
    if (last.error) throw last.error;
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
      arrived()
        ? `The answer from ${who} broke off mid-stream (the connection closed before the end); what arrived is kept. Try again or ask to continue.`
        : `${who} closed the connection without an answer. Try again.`,
    );
  }
  if (turn.finishReason === "content_filter") {
    yield { type: "done", turn };
    throw new LlmError(
      "content_filter",
      `${who}'s content filter stopped the answer${kept()}. Rephrase the request.`,
    );
  }
  yield { type: "done", turn };
}
