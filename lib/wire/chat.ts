/**
 * OpenAI chat-completions message and tool shapes, the lingua franca the
 * engine speaks to every provider.
 *
 * @module
 */

/** A part of a multi-part user message. */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } };

/** One tool call inside an assistant message. */
export interface ChatToolCall {
  /** The call id. */
  id: string;
  /** Always `function`. */
  type: "function";
  /** Name and JSON arguments. */
  function: { name: string; arguments: string };
}

/** An OpenAI-format chat message. */
export interface ChatMessage {
  /** The speaker. */
  role: "system" | "user" | "assistant" | "tool";
  /** Text, parts, or null for an assistant message with only tool calls. */
  content: string | ContentPart[] | null;
  /** Tool calls of an assistant message. */
  tool_calls?: ChatToolCall[];
  /** The call a `tool` message answers. */
  tool_call_id?: string;
}

/** A function tool offered to the model. */
export interface ToolSpec {
  /** Always `function`. */
  type: "function";
  /** Name, description and JSON-schema parameters. */
  function: { name: string; description: string; parameters: Record<string, unknown> };
  /**
   * A provider's own tool (Anthropic's `computer`): sent as `anthropic` where the provider is
   * Anthropic, with the `beta` header it needs. Only offered to such providers.
   */
  native?: { anthropic?: Record<string, unknown>; beta?: string };
}
