/**
 * A small native adapter for Anthropic's Messages API: converts an
 * OpenAI-style request to a Messages request, and assembles the streamed
 * events (`message_start`, `content_block_*`, `message_delta`, `error`) into
 * the same {@linkcode StreamEvent}s and {@linkcode AssembledTurn} as the
 * chat-completions assembler.
 *
 * @module
 */

import {
  type AssembledTurn,
  finishedCalls,
  type StreamEvent,
  type TokenUsage,
  type ToolCall,
} from "./assembler.ts";
import { LlmError } from "./errors.ts";
import { errorDetail, HttpFailure } from "./http.ts";
import type { ResolvedModel } from "./providers.ts";
import type { ChatMessage, ToolSpec } from "../wire/chat.ts";
import type { CompletionRequest, Wire } from "./wire.ts";

/** A Messages API request, sent with `fetch`. */
export function anthropicWire(resolved: ResolvedModel, req: CompletionRequest): Wire {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": "2023-06-01",
  };
  if (resolved.apiKey) headers["x-api-key"] = resolved.apiKey;
  // Native tools (the computer-use tool) need their beta named.
  const betas = [...new Set((req.tools ?? []).map((t) => t.native?.beta).filter(Boolean))];
  if (betas.length) headers["anthropic-beta"] = betas.join(",");
  const body = toAnthropicRequest(resolved.model, req.messages, {
    tools: req.tools,
    maxTokens: req.maxTokens ?? 4096,
    temperature: req.temperature,
  });
  return {
    framing: "sse",
    assembler: new AnthropicStreamAssembler(),
    ends: (event) => (event as Record<string, unknown> | null)?.type === "message_stop",
    async send(signal, firstByte) {
      const res = await fetch(`${resolved.apiBase}/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
      });
      if (!res.ok) {
        throw new HttpFailure(res.status, res.headers, await errorDetail(res, firstByte));
      }
      return res;
    },
  };
}

/** Assembles an Anthropic Messages stream from its parsed events. */
class AnthropicStreamAssembler {
  #text = "";
  #reasoning = "";
  #calls: ToolCall[] = [];
  #blocks = new Map<number, { kind: string; call?: ToolCall }>();
  #finish: string | null = null;
  #usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  #sawUsage = false;

  /** Adds one parsed event; returns what it added. */
  push(event: unknown): StreamEvent[] {
    if (!event || typeof event !== "object") return [];
    const e = event as Record<string, unknown>;
    switch (e.type) {
      case "message_start": {
        const usage = ((e.message as Record<string, unknown>)?.usage ?? {}) as Record<
          string,
          number
        >;
        this.#usage.promptTokens = (usage.input_tokens ?? 0) +
          (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
        this.#usage.completionTokens = usage.output_tokens ?? 0;
        this.#sawUsage = true;
        return [];
      }
      case "content_block_start": {
        const block = e.content_block as Record<string, unknown>;
        const index = e.index as number;
        if (block.type === "tool_use") {
          const call: ToolCall = { id: String(block.id), name: String(block.name), arguments: "" };
          this.#calls.push(call);
          this.#blocks.set(index, { kind: "tool_use", call });
          return [{ type: "tool_call", index: this.#calls.length - 1, call: { ...call } }];
        }
        this.#blocks.set(index, { kind: String(block.type) });
        const out: StreamEvent[] = [];
        if (block.type === "text" && typeof block.text === "string" && block.text) {
          this.#text += block.text;
          out.push({ type: "text", text: block.text });
        }
        return out;
      }
      case "content_block_delta": {
        const delta = e.delta as Record<string, unknown>;
        const block = this.#blocks.get(e.index as number);
        if (delta.type === "text_delta" && typeof delta.text === "string") {
          this.#text += delta.text;
          return [{ type: "text", text: delta.text }];
        }
        if (delta.type === "thinking_delta" && typeof delta.thinking === "string") {
          this.#reasoning += delta.thinking;
          return [{ type: "reasoning", text: delta.thinking }];
        }
        if (delta.type === "input_json_delta" && block?.call) {
          block.call.arguments += String(delta.partial_json ?? "");
          return [{
            type: "tool_call",
            index: this.#calls.indexOf(block.call),
            call: { ...block.call },
          }];
        }
        return [];
      }
      case "message_delta": {
        const delta = (e.delta ?? {}) as Record<string, unknown>;
        const reason = delta.stop_reason;
        if (typeof reason === "string") {
          this.#finish = reason === "tool_use"
            ? "tool_calls"
            : reason === "max_tokens"
            ? "length"
            : "stop";
        }
        const usage = e.usage as Record<string, number> | undefined;
        if (usage?.output_tokens !== undefined) this.#usage.completionTokens = usage.output_tokens;
        return [];
      }
      case "error": {
        const err = (e.error ?? {}) as Record<string, unknown>;
        throw new LlmError(
          err.type === "overloaded_error" ? "server" : "provider",
          `Anthropic reported an error mid-answer: ${
            String(err.message ?? "unknown error")
          }. Try again in a moment.`,
        );
      }
      default:
        return [];
    }
  }

  /** Nothing is held back by this assembler. */
  flush(): StreamEvent[] {
    return [];
  }

  /** The answer so far. */
  result(): AssembledTurn {
    return {
      text: this.#text,
      reasoning: this.#reasoning,
      toolCalls: finishedCalls(this.#calls),
      finishReason: this.#finish,
      usage: this.#sawUsage ? { ...this.#usage } : undefined,
    };
  }
}

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return { code: text };
  }
}

type Block = Record<string, unknown>;

function contentBlocks(content: ChatMessage["content"]): Block[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  return content.map((part): Block => {
    if (part.type === "image_url") {
      const url = part.image_url.url;
      const match = /^data:([^;]+);base64,(.*)$/s.exec(url);
      if (match) {
        return { type: "image", source: { type: "base64", media_type: match[1], data: match[2] } };
      }
      return { type: "image", source: { type: "url", url } };
    }
    return { type: "text", text: part.text };
  });
}

/** Builds an Anthropic Messages request body from OpenAI-style messages and tools. */
export function toAnthropicRequest(
  model: string,
  messages: ChatMessage[],
  options: { tools?: ToolSpec[]; maxTokens: number; temperature?: number },
): Record<string, unknown> {
  const system = messages.filter((m) => m.role === "system").map((m) =>
    typeof m.content === "string" ? m.content : ""
  ).join("\n\n");
  const out: { role: "user" | "assistant"; content: Block[] }[] = [];
  function add(role: "user" | "assistant", blocks: Block[]) {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  for (const m of messages) {
    if (m.role === "system") continue;
    if (m.role === "tool") {
      add("user", [{
        type: "tool_result",
        tool_use_id: m.tool_call_id,
        content: typeof m.content === "string" ? m.content : contentBlocks(m.content),
      }]);
    } else if (m.role === "assistant") {
      const blocks = contentBlocks(m.content);
      for (const call of m.tool_calls ?? []) {
        blocks.push({
          type: "tool_use",
          id: call.id,
          name: call.function.name,
          input: parseArgs(call.function.arguments),
        });
      }
      add("assistant", blocks);
    } else {
      add("user", contentBlocks(m.content));
    }
  }
  const body: Record<string, unknown> = {
    model,
    max_tokens: options.maxTokens,
    messages: out,
    stream: true,
  };
  if (system) body.system = system;
  if (options.temperature) body.temperature = options.temperature;
  if (options.tools?.length) {
    body.tools = options.tools.map((t) =>
      t.native?.anthropic ?? {
        name: t.function.name,
        description: t.function.description,
        input_schema: t.function.parameters,
      }
    );
  }
  return body;
}
