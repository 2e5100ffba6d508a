/**
 * OpenAI chat completions, as spoken by OpenAI, Azure and every
 * OpenAI-compatible host: the request body, and sending it through the
 * `openai` package (loaded on the first call). The package builds and sends
 * the request and classifies HTTP errors; its `asResponse()` hands back the
 * raw stream, which the client parses itself so it can tell a finished stream
 * from one that broke off. Its retries are off: the client's honour
 * `Retry-After` and report each wait.
 *
 * @module
 */

import { ChatStreamAssembler } from "./assembler.ts";
import { HttpFailure, TimedOut } from "./http.ts";
import type { ResolvedModel } from "./providers.ts";
import type { CompletionRequest, Wire } from "./wire.ts";

type OpenAIModule = typeof import("npm:openai@^6.49.0");
let openaiModule: Promise<OpenAIModule> | undefined;

/** Loads the `openai` package once (a full specifier: the library works without this repo's import map). */
function loadOpenAI(): Promise<OpenAIModule> {
  openaiModule ??= import("npm:openai@^6.49.0");
  return openaiModule;
}

function usesCompletionTokens(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model);
}

function azureVersion(req: CompletionRequest): string {
  let envVersion: string | undefined;
  try {
    envVersion = (req.env ?? ((name) => Deno.env.get(name)))("AZURE_API_VERSION");
  } catch { /* no env access */ }
  return req.apiVersion ?? envVersion ?? "2024-10-21";
}

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

/** An `openai` client for the resolved provider; nothing is read from the environment. */
export async function openaiClient(
  resolved: ResolvedModel,
  req: CompletionRequest,
  firstByte: number,
): Promise<{ sdk: OpenAIModule; client: InstanceType<OpenAIModule["OpenAI"]> }> {
  const sdk = await loadOpenAI();
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
  return { sdk, client };
}

/** Turns the `openai` package's errors into HttpFailure / TimedOut / the network error. */
export function sdkFailure(sdk: OpenAIModule, err: unknown): unknown {
  if (err instanceof sdk.APIError && typeof err.status === "number") {
    return new HttpFailure(
      err.status,
      err.headers as Headers | undefined,
      sdkDetail(err, err.status),
    );
  }
  if (err instanceof sdk.APIConnectionTimeoutError) return new TimedOut();
  // Connection failures carry the network error as their cause.
  const cause = (err as { cause?: unknown })?.cause;
  return cause instanceof Error ? cause : err;
}

/** The chat-completions request body. */
function chatBody(resolved: ResolvedModel, req: CompletionRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: resolved.model,
    messages: req.messages,
    stream: true,
  };
  // Cohere's compatibility endpoint rejects `stream_options`; its usage is estimated instead.
  if (resolved.provider.name !== "cohere") body.stream_options = { include_usage: true };
  if (req.tools?.length) body.tools = req.tools;
  if (req.temperature) body.temperature = req.temperature;
  if (req.maxTokens) {
    body[usesCompletionTokens(resolved.model) ? "max_completion_tokens" : "max_tokens"] =
      req.maxTokens;
  }
  return body;
}

/** A chat-completions request for an OpenAI-compatible provider. */
export function chatWire(resolved: ResolvedModel, req: CompletionRequest): Wire {
  const body = chatBody(resolved, req);
  return {
    framing: "sse",
    assembler: new ChatStreamAssembler(),
    async send(signal, firstByte) {
      const { sdk, client } = await openaiClient(resolved, req, firstByte);
      try {
        return await client.chat.completions.create(body as never, { signal }).asResponse();
      } catch (err) {
        throw sdkFailure(sdk, err);
      }
    },
  };
}
