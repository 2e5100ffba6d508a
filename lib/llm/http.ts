/**
 * HTTP failure handling shared by every provider: the normalised failure, the
 * one-line error it becomes (naming the provider, the cause and the fix), the
 * retry delay a response asks for, and a bounded read of an error body.
 *
 * @module
 */

import { LlmError } from "./errors.ts";
import type { ResolvedModel } from "./providers.ts";

/** An HTTP error answer, normalised across `fetch` and the `openai` package. */
export class HttpFailure extends Error {
  /** Creates the failure of one answer. */
  constructor(
    readonly status: number,
    readonly headers: Headers | undefined,
    readonly detail: string,
  ) {
    super(`HTTP ${status}`);
  }
}

/** A wait that ran out (thrown into an abort signal, recognised by the caller). */
export class TimedOut extends Error {}

/** What the caller said about where its key came from (for error hints). */
export interface KeySource {
  /** The model name as the user wrote it. */
  model: string;
  /** Where `apiKey` came from (`--api-key`, a profile...). */
  apiKeySource?: string;
}

/** `text` on one line, at most `max` characters. */
export function oneLine(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? line.slice(0, max) + "…" : line;
}

/** The provider's name as shown in messages (the address for a custom server). */
export function providerLabel(resolved: ResolvedModel): string {
  return resolved.provider.name === "custom"
    ? resolved.apiBase
    : resolved.provider.label ?? resolved.provider.name;
}

/** Milliseconds to wait before retrying, from the response headers or a backoff. */
export function retryDelay(headers: Headers | undefined, attempt: number): number {
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

/** The message of an error body (JSON `error.message` and code, or the text), read within a bound. */
export async function errorDetail(res: Response, limitMs: number): Promise<string> {
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
    const message = typeof err === "string" ? err : err.message ?? err.Message ?? err.detail ?? "";
    const code = typeof err === "object" ? err.code ?? err.type ?? err.__type ?? "" : "";
    return `${message}${code && !String(message).includes(code) ? ` [${code}]` : ""}`;
  } catch {
    return text;
  }
}

/** The usual fix for a missing key: which variable to set. */
export function keyHint(resolved: ResolvedModel): string {
  const vars = resolved.provider.keyEnv;
  return vars.length ? `set ${vars[0]}` : "set the key";
}

/** What to check when the key is rejected: names where the key came from, never the key. */
function rejectedKeyHint(resolved: ResolvedModel, req: KeySource): string {
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

/** The one-line error for an HTTP failure status. */
export function httpError(
  resolved: ResolvedModel,
  req: KeySource,
  failure: { status: number; detail: string; retries: number },
): LlmError {
  const { status, detail, retries } = failure;
  const who = providerLabel(resolved);
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
      `Model "${req.model}" was not found at ${resolved.apiBase} (404)${said}. Check the model name (--model) or the address (--api-base).`,
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

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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
