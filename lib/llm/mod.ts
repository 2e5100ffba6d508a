/**
 * Talking to language models: LiteLLM-style provider resolution, the table
 * of known models, a streaming client that assembles every provider's quirks
 * (OpenAI-compatible chat completions, the Responses API, Anthropic's
 * Messages API, Bedrock's Converse stream) into text, reasoning and tool
 * calls, and the one error type it throws.
 *
 * @module
 */

export {
  type CompletionEvent,
  type CompletionRequest,
  type LlmTimeouts,
  resolveForRequest,
  streamCompletion,
} from "./client.ts";
export {
  type AssembledTurn,
  ChatStreamAssembler,
  type StreamEvent,
  ThinkSplitter,
  type TokenUsage,
  type ToolCall,
} from "./assembler.ts";
export { AnthropicStreamAssembler, toAnthropicRequest } from "./anthropic.ts";
export { ResponsesStreamAssembler, toResponsesRequest } from "./responses.ts";
export { BedrockStreamAssembler, toConverseRequest } from "./bedrock.ts";
export type { FrameDecoder, FrameEvent, StreamAssembler, Wire } from "./wire.ts";
export { LlmError, type LlmErrorKind } from "./errors.ts";
export { KNOWN_MODELS, type ModelInfo, modelInfo, priceOf } from "./models.ts";
export {
  type ApiProtocol,
  type Protocol,
  type ProviderInfo,
  PROVIDERS,
  type ResolvedModel,
  resolveModel,
  type ResolveOptions,
} from "./providers.ts";
export { type SseEvent, SseParser } from "./sse.ts";
export type { ChatMessage, ChatToolCall, ContentPart, ToolSpec } from "./types.ts";
