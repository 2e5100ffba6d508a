/**
 * LMC ("Language Model Computer") messages and streaming chunks, the message
 * format of Open Interpreter. Stored messages are flat: one kind
 * of data per message. Streaming chunks carry the same fields plus `start` /
 * `end` flags that frame each block.
 *
 * @module
 */

import type { ApprovalSafety } from "./approval.ts";
import type { UsageReport } from "./usage.ts";

/** Who a message comes from. */
export type LmcRole = "user" | "assistant" | "computer" | "server" | "system";

/** What a message holds. */
export type LmcType =
  | "message"
  | "code"
  | "console"
  | "image"
  | "file"
  | "confirmation"
  | "reasoning"
  | "review"
  | "command"
  | "status"
  | "error"
  | "usage"
  /** A call of an MCP server's tool: `{role:"assistant", format:"mcp", content:{server, tool, arguments}}`. */
  | "tool_call"
  /** Its result: `{role:"computer", format:"mcp", content:{server, tool, text, isError}}`. */
  | "tool_result";

/** The fields every LMC message has, whatever its `type`. */
export interface LmcFields {
  /** Who said it. */
  role: LmcRole;
  /** The sub-kind: a language for `code`, `output` for console, `base64.png` for images... */
  format?: string;
  /** Set when only one party should see this message. */
  recipient?: "user" | "assistant";
  /** Tool-call id that ties code to its output (function-calling models). */
  toolCallId?: string;
}

/** A call of an MCP server's tool (`tool_call` content). */
export interface McpToolCall {
  /** The MCP server's name. */
  server: string;
  /** The tool's name. */
  tool: string;
  /** The arguments the model gave. */
  arguments: Record<string, unknown>;
}

/** What an MCP tool call returned (`tool_result` content). */
export interface McpToolResult {
  /** The MCP server's name. */
  server: string;
  /** The tool's name. */
  tool: string;
  /** Its text output. */
  text: string;
  /** True when the tool reported an error. */
  isError: boolean;
}

/** A `confirmation` chunk's content: what is about to run, for display. */
export type ConfirmationContent =
  | {
    /** Code about to run. */
    type: "code";
    /** Its language. */
    format?: string;
    /** The code. */
    content?: string;
    /** Safe mode's verdict, when it scanned the code. */
    safety?: ApprovalSafety;
  }
  | {
    /** An MCP tool call about to run. */
    type: "tool_call";
    /** Always `mcp`. */
    format: "mcp";
    /** The call. */
    content: McpToolCall;
  };

/** Message kinds whose content is text. */
export type LmcTextType =
  | "message"
  | "code"
  | "image"
  | "file"
  | "reasoning"
  | "review"
  | "command"
  | "status"
  | "error";

/**
 * A stored LMC message, as kept in `interpreter.messages`, typed by `type`:
 * text for messages, code, images (base64 or a path), files, status and
 * errors; console output text, or the `active_line` number (`null` when the
 * run finished); structured content for confirmations, MCP tool calls and
 * results, and usage reports.
 */
export type LmcMessage =
  | LmcFields & { type: LmcTextType; content?: string }
  | LmcFields & { type: "console"; content?: string | number | null }
  | LmcFields & { type: "confirmation"; content?: ConfirmationContent }
  | LmcFields & { type: "tool_call"; content?: McpToolCall }
  | LmcFields & { type: "tool_result"; content?: McpToolResult }
  | LmcFields & { type: "usage"; content?: UsageReport };

/** A streaming LMC chunk: a message fragment, or a `start` / `end` flag chunk. */
export type LmcChunk = LmcMessage & {
  /** Marks the first chunk of a block (carries no content). */
  start?: boolean;
  /** Marks the last chunk of a block (carries no content). */
  end?: boolean;
};

/** A message's content when it is text (console output, messages, code), else "". */
export function textOf(message: LmcMessage): string {
  return typeof message.content === "string" ? message.content : "";
}

/** A chunk as a stored message: its role, type, format and content (no flags, recipient or id). */
export function messageOf(chunk: LmcChunk): LmcMessage {
  const { start: _start, end: _end, recipient: _recipient, toolCallId: _id, ...message } = chunk;
  return { ...message, format: chunk.format };
}

/** A message whose content is text (a message, code, an image's base64 or path, a status...). */
export type LmcTextMessage = Extract<LmcMessage, { type: LmcTextType }>;

/** True when `message` is of a kind whose content is text (not console, not structured). */
export function isTextMessage<M extends LmcMessage>(message: M): message is M & LmcTextMessage {
  return typeof message.content === "string" || message.content === undefined
    ? TEXT_TYPES.has(message.type)
    : false;
}

const TEXT_TYPES: ReadonlySet<string> = new Set<LmcTextType>([
  "message",
  "code",
  "image",
  "file",
  "reasoning",
  "review",
  "command",
  "status",
  "error",
]);

/**
 * The MIME type of an image message's bytes from its `format` (`base64.png`, `base64.jpeg`,
 * `base64.gif`, `base64.webp`; anything else is taken as PNG, the default format).
 */
export function imageMimeType(format: string | undefined): string {
  const kind = String(format ?? "").replace(/^base64\./, "").toLowerCase();
  if (kind === "jpeg" || kind === "jpg") return "image/jpeg";
  if (kind === "gif" || kind === "webp") return `image/${kind}`;
  return "image/png";
}
