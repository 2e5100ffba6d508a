/**
 * LMC ("Language Model Computer") messages and streaming chunks, the message
 * format of Open Interpreter. Stored messages are flat: one kind
 * of data per message. Streaming chunks carry the same fields plus `start` /
 * `end` flags that frame each block.
 *
 * @module
 */

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

/** A stored LMC message, as kept in `interpreter.messages`. */
export interface LmcMessage {
  /** Who said it. */
  role: LmcRole;
  /** What kind of data it is. */
  type: LmcType;
  /** The sub-kind: a language for `code`, `output` for console, `base64.png` for images... */
  format?: string;
  /** The data. Strings for text; structured for `confirmation`; `null` for a finished active line. */
  // deno-lint-ignore no-explicit-any
  content?: any;
  /** Set when only one party should see this message. */
  recipient?: "user" | "assistant";
  /** Tool-call id that ties code to its output (function-calling models). */
  toolCallId?: string;
}

/** A streaming LMC chunk: a message fragment, or a `start` / `end` flag chunk. */
export interface LmcChunk extends LmcMessage {
  /** Marks the first chunk of a block (carries no content). */
  start?: boolean;
  /** Marks the last chunk of a block (carries no content). */
  end?: boolean;
}
