/**
 * Converts LMC messages (what `interpreter.messages` holds) to OpenAI
 * chat-completions messages (what the model is sent). Function-calling
 * conversations become assistant `tool_calls` answered by `tool` messages;
 * markdown conversations get code as fenced blocks and output as a user
 * message. Reasoning and messages meant only for the user are not sent.
 *
 * @module
 */

import { DEFAULT_MAX_OUTPUT } from "../settings/registry.ts";
import type { ChatMessage, ContentPart } from "../wire/chat.ts";
import { imageMimeType, type LmcMessage } from "../wire/lmc.ts";
import { mcpToolName } from "../mcp/config.ts";

/** Options of {@linkcode toOpenAIMessages}. */
export interface ToOpenAIOptions {
  /** Whether images are sent as images (otherwise replaced by a note). */
  vision?: boolean;
  /** Characters of each output kept (head + tail; default 2800). */
  maxOutput?: number;
}

const NOT_RUN = "This code was not run (the user declined, or it was interrupted).";

// The computer bounds its output to `maxOutput` characters plus a line saying what was left
// out and where the full output is; that line must reach the model whole.
const NOTE_ROOM = 512;

/**
 * Keeps the head and tail of a long output, saying how much was left out. Text at most
 * `max` characters (plus room for the computer's own left-out line) passes unchanged.
 */
export function truncateOutput(text: string, max: number): string {
  if (max <= 0 || text.length <= max + NOTE_ROOM) return text;
  const head = Math.floor(max * 0.4);
  const tail = max - head;
  return `${text.slice(0, head)}\n[... ${
    text.length - head - tail
  } characters of output left out ...]\n${text.slice(text.length - tail)}`;
}

function codeOutputMessage(output: string): string {
  return output.trim()
    ? `Code output: ${output}\n\nWhat does this output mean / what's next (if anything, or are we done)?`
    : "The code above was executed on my machine. It produced no text output. What's next (if anything, or are we done?)";
}

function imageUrl(m: LmcMessage): string {
  const format = m.format ?? "base64.png";
  if (format === "path" || format === "url") return String(m.content);
  return `data:${imageMimeType(format)};base64,${m.content}`;
}

/** Converts LMC messages to OpenAI chat messages (without the system message). */
export function toOpenAIMessages(
  messages: LmcMessage[],
  options: ToOpenAIOptions = {},
): ChatMessage[] {
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const out: ChatMessage[] = [];
  let pending: string[] = []; // tool call ids still waiting for a result
  const outputs = new Map<string, ChatMessage>();
  const outputMessages = new Set<ChatMessage>();

  // Images cannot go in tool results: they follow, as a user message, once every result is in.
  let deferred: ContentPart[] = [];
  function flushDeferred(): void {
    if (deferred.length === 0) return;
    const message: ChatMessage = {
      role: "user",
      content: [{ type: "text", text: "The code produced:" }, ...deferred],
    };
    outputMessages.add(message); // the user's next words stay a message of their own
    out.push(message);
    deferred = [];
  }
  function settle(): void {
    for (const id of pending) {
      out.push({ role: "tool", tool_call_id: id, content: NOT_RUN });
    }
    pending = [];
    flushDeferred();
  }
  function lastAssistant(): ChatMessage {
    const last = out[out.length - 1];
    if (last && last.role === "assistant") return last;
    settle();
    const fresh: ChatMessage = { role: "assistant", content: null };
    out.push(fresh);
    return fresh;
  }
  function appendText(target: ChatMessage, text: string): void {
    if (typeof target.content === "string" && target.content) {
      target.content += (target.content.endsWith("\n") ? "" : "\n") + text;
    } else if (Array.isArray(target.content)) target.content.push({ type: "text", text });
    else target.content = text;
  }
  function userParts(parts: ContentPart[]): void {
    settle();
    const last = out[out.length - 1];
    if (last && last.role === "user" && !outputMessages.has(last)) {
      const existing: ContentPart[] = typeof last.content === "string"
        ? [{ type: "text", text: last.content }]
        : last.content ?? [];
      last.content = [...existing, ...parts];
    } else {
      out.push({
        role: "user",
        content: parts.length === 1 && parts[0].type === "text" ? parts[0].text : parts,
      });
    }
  }

  for (const m of messages) {
    if (m.recipient === "user") continue;
    if (m.role === "user" || (m.role === "system" && m.type === "message")) {
      if (m.type === "message") userParts([{ type: "text", text: String(m.content ?? "") }]);
      else if (m.type === "image") {
        userParts(
          m.format === "text" // an image replaced by a note or its OCR text (lib/desktop/vision.ts)
            ? [{ type: "text", text: String(m.content ?? "") }]
            : options.vision
            ? [{ type: "image_url", image_url: { url: imageUrl(m) } }]
            : [{ type: "text", text: "(The user shared an image this model cannot see.)" }],
        );
      } else if (m.type === "file") userParts([{ type: "text", text: `File: ${m.content}` }]);
      continue;
    }
    if (m.role === "assistant") {
      if (m.type === "message") {
        if (String(m.content ?? "").trim()) appendText(lastAssistant(), String(m.content));
      } else if (m.type === "tool_call" && m.toolCallId) {
        // An MCP tool call (lib/core/mcp_tools.ts): answered by its tool_result.
        const call = (m.content ?? {}) as { server?: string; tool?: string; arguments?: unknown };
        const target = lastAssistant();
        target.tool_calls ??= [];
        target.tool_calls.push({
          id: m.toolCallId,
          type: "function",
          function: {
            name: mcpToolName(String(call.server ?? ""), String(call.tool ?? "")),
            arguments: JSON.stringify(call.arguments ?? {}),
          },
        });
        pending.push(m.toolCallId);
      } else if (m.type === "code") {
        const target = lastAssistant();
        if (m.toolCallId) {
          target.tool_calls ??= [];
          target.tool_calls.push({
            id: m.toolCallId,
            type: "function",
            function: {
              name: "execute",
              arguments: JSON.stringify({ language: m.format ?? "", code: m.content ?? "" }),
            },
          });
          pending.push(m.toolCallId);
        } else {
          appendText(target, "```" + (m.format ?? "") + "\n" + (m.content ?? "") + "\n```\n");
        }
      }
      continue;
    }
    if (m.role === "computer") {
      const isResult = m.type === "tool_result";
      if ((m.type === "console" && m.format !== "active_line") || isResult) {
        const raw = isResult ? String((m.content as { text?: unknown })?.text ?? "") : m.content;
        const text = truncateOutput(String(raw ?? ""), maxOutput);
        if (m.toolCallId && (pending.includes(m.toolCallId) || outputs.has(m.toolCallId))) {
          const existing = outputs.get(m.toolCallId);
          if (existing) {
            existing.content = truncateOutput(
              (existing.content === "No output" ? "" : String(existing.content)) + text,
              maxOutput,
            ) || "No output";
          } else {
            const msg: ChatMessage = {
              role: "tool",
              tool_call_id: m.toolCallId,
              content: text || "No output",
            };
            // Results go right after the assistant turn, before any other message.
            out.push(msg);
            outputs.set(m.toolCallId, msg);
            pending = pending.filter((id) => id !== m.toolCallId);
            if (pending.length === 0) flushDeferred();
          }
        } else {
          // Markdown mode: each run's output goes back as its own user message.
          settle();
          const message: ChatMessage = { role: "user", content: codeOutputMessage(text) };
          outputMessages.add(message);
          out.push(message);
        }
      } else if (m.type === "image") {
        const parts: ContentPart[] = m.format === "text"
          ? [{ type: "text", text: String(m.content ?? "") }]
          : options.vision
          ? [{ type: "image_url", image_url: { url: imageUrl(m) } }]
          : [{ type: "text", text: "(The code produced an image.)" }];
        if (pending.length === 0) userParts(parts);
        else deferred.push(...parts);
      }
    }
  }
  settle();
  return out;
}
