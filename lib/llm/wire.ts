/**
 * What the streaming client needs from each provider protocol: a way to send
 * the request, how the answer stream is framed, and an assembler that turns
 * its events into text, reasoning and tool calls. Each protocol module
 * (`openai_chat.ts`, `anthropic.ts`, `responses.ts`, `bedrock.ts`,
 * `vertex.ts`) makes one; the client loads a module only when its protocol is
 * used, so start-up does not pay for the others.
 *
 * @module
 */

import type { AssembledTurn, StreamEvent } from "./assembler.ts";
import type { ApiProtocol, ResolvedModel } from "./providers.ts";
import type { ChatMessage, ToolSpec } from "../wire/chat.ts";

/** Bounds on network waits, in milliseconds. */
export interface LlmTimeouts {
  /** From sending the request to receiving the response headers (default 60 000). */
  firstByte?: number;
  /**
   * Longest time between two complete stream events (default 180 000;
   * reasoning models can pause). Bytes that never complete an event (a line
   * without its end) do not count: a trickle without events times out too.
   */
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
   * version, AWS credentials and region, the Vertex project); default
   * `Deno.env.get`. Lets a caller, or a test, decide what the environment
   * holds without changing the process-wide one.
   */
  env?: (name: string) => string | undefined;
  /** Azure API version. */
  apiVersion?: string;
  /** OpenAI's chat completions or Responses API (default `auto`: by model). */
  apiProtocol?: ApiProtocol;
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

/** Assembles one protocol's parsed stream events into an answer. */
export interface StreamAssembler {
  /** Adds one parsed event; returns the answer pieces it completed. */
  push(event: unknown): StreamEvent[];
  /** Releases anything held back at the end of the stream. */
  flush(): StreamEvent[];
  /** The answer so far. */
  result(): AssembledTurn;
}

/** One request in one protocol, ready to send. */
export interface Wire {
  /**
   * Sends the request and resolves to the streaming response; an HTTP error
   * answer rejects with an `HttpFailure` (see http.ts).
   */
  send(signal: AbortSignal, firstByte: number): Promise<Response>;
  /** How the body is framed: server-sent events, or AWS's binary event stream. */
  framing: "sse" | "eventstream";
  /** Assembles the parsed events. */
  assembler: StreamAssembler;
  /** True when this parsed event marks the end of the answer (`message_stop`). */
  ends?(event: unknown): boolean;
  /** The resolved model, when opening the wire changed it (Vertex's token, Bedrock's region). */
  resolved?: ResolvedModel;
}

/** One framed unit of a stream: an SSE event, or an event-stream message as JSON text. */
export interface FrameEvent {
  /** The event name (`event:` of SSE), when given. */
  event?: string;
  /** The payload text. */
  data: string;
}

/** Splits a byte stream into events; `progress` counts complete units (keep-alives included). */
export interface FrameDecoder {
  /** Adds bytes; returns the events they completed. */
  push(bytes: Uint8Array): FrameEvent[];
  /** Ends the input; returns a last event that lacked its terminator. */
  end(): FrameEvent[];
  /** Complete units seen so far (events and keep-alives). */
  readonly progress: number;
}
