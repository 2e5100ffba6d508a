/**
 * OpenAI's Responses API, for the models served only there (`o1-pro`,
 * `o3-pro`, `gpt-5-pro`, the codex models) or when asked for
 * (`--api_protocol responses`): the request (conversation as input items,
 * function tools, reasoning summaries on for reasoning models) and the
 * assembler of its typed stream events. Text deltas become text, function
 * call argument deltas become tool calls, reasoning summaries become
 * reasoning (shown, never run); `response.failed`, `response.incomplete` and
 * `error` events end the answer with a clear error or finish reason.
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
import { oneLine, providerLabel } from "./http.ts";
import { openaiClient, sdkFailure } from "./openai_chat.ts";
import type { ResolvedModel } from "./providers.ts";
import type { ChatMessage } from "../wire/chat.ts";
import type { CompletionRequest, Wire } from "./wire.ts";

type Item = Record<string, unknown>;

function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5|codex)/.test(model.toLowerCase());
}

function inputParts(content: ChatMessage["content"]): string | Item[] {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.map((part) =>
    part.type === "image_url"
      ? { type: "input_image", image_url: part.image_url.url }
      : { type: "input_text", text: part.text }
  );
}

function text(content: ChatMessage["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => p.type === "text" ? p.text : "").join("");
}

/** Builds a Responses API request body from OpenAI chat messages and tools. */
function toResponsesRequest(
  resolved: ResolvedModel,
  req: CompletionRequest,
): Record<string, unknown> {
  const instructions: string[] = [];
  const input: Item[] = [];
  for (const m of req.messages) {
    if (m.role === "system") instructions.push(text(m.content));
    else if (m.role === "tool") {
      input.push({
        type: "function_call_output",
        call_id: m.tool_call_id,
        output: text(m.content),
      });
    } else if (m.role === "assistant") {
      const said = text(m.content);
      if (said) input.push({ role: "assistant", content: said });
      for (const call of m.tool_calls ?? []) {
        input.push({
          type: "function_call",
          call_id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        });
      }
    } else input.push({ role: "user", content: inputParts(m.content) });
  }
  const reasoning = isReasoningModel(resolved.model);
  const body: Record<string, unknown> = {
    model: resolved.model,
    input,
    stream: true,
    store: false,
  };
  if (instructions.length) body.instructions = instructions.join("\n\n");
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: "function",
      name: t.function.name,
      description: t.function.description,
      parameters: t.function.parameters,
      strict: false,
    }));
  }
  if (reasoning) body.reasoning = { summary: "auto" };
  else if (req.temperature) body.temperature = req.temperature;
  if (req.maxTokens) body.max_output_tokens = req.maxTokens;
  return body;
}

/** Assembles a Responses API stream from its parsed events. */
class ResponsesStreamAssembler {
  #text = "";
  #reasoning = "";
  #calls: ToolCall[] = [];
  #byItem = new Map<string, ToolCall>();
  #finish: string | null = null;
  #usage: TokenUsage | undefined;
  #who: string;

  /** Assembles the stream of `who` (named in errors; default "OpenAI"). */
  constructor(who = "OpenAI") {
    this.#who = who;
  }

  /** Adds one parsed event; returns what it added. */
  push(event: unknown): StreamEvent[] {
    if (!event || typeof event !== "object") return [];
    const e = event as Item;
    switch (e.type) {
      case "response.output_text.delta":
      case "response.refusal.delta":
        return this.#addText(String(e.delta ?? ""));
      case "response.reasoning_summary_part.added":
        // Summary parts are paragraphs: keep them apart.
        return (e.summary_index as number) > 0 && this.#reasoning ? this.#addReasoning("\n\n") : [];
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        return this.#addReasoning(String(e.delta ?? ""));
      case "response.output_item.added":
      case "response.output_item.done":
        return this.#item(e.item as Item | undefined, e.type === "response.output_item.done");
      case "response.function_call_arguments.delta": {
        const call = this.#byItem.get(String(e.item_id));
        if (!call) return [];
        call.arguments += String(e.delta ?? "");
        return [this.#callEvent(call)];
      }
      case "response.function_call_arguments.done": {
        const call = this.#byItem.get(String(e.item_id));
        if (!call || typeof e.arguments !== "string" || call.arguments === e.arguments) return [];
        call.arguments = e.arguments;
        return [this.#callEvent(call)];
      }
      case "response.completed":
      case "response.incomplete": {
        const response = (e.response ?? {}) as Item;
        const usage = response.usage as Record<string, number> | undefined;
        if (usage && typeof usage.input_tokens === "number") {
          this.#usage = {
            promptTokens: usage.input_tokens,
            completionTokens: usage.output_tokens ?? 0,
          };
        }
        if (e.type === "response.completed") {
          this.#finish = this.#calls.length ? "tool_calls" : "stop";
        } else {
          const reason = ((response.incomplete_details ?? {}) as Item).reason;
          this.#finish = reason === "content_filter" ? "content_filter" : "length";
        }
        return [];
      }
      case "response.failed": {
        const err = (((e.response ?? {}) as Item).error ?? {}) as Item;
        throw failed(this.#who, err.message, err.code);
      }
      case "error": {
        // Documented flat (`code`, `message`); recorded nested under `error` as well.
        const err = (e.error && typeof e.error === "object" ? e.error : e) as Item;
        throw failed(this.#who, err.message, err.code ?? err.type);
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
      usage: this.#usage,
    };
  }

  #item(item: Item | undefined, done: boolean): StreamEvent[] {
    if (item?.type !== "function_call") return [];
    const key = String(item.id ?? item.call_id);
    let call = this.#byItem.get(key);
    if (!call) {
      call = { id: String(item.call_id ?? item.id), name: String(item.name ?? ""), arguments: "" };
      this.#calls.push(call);
      this.#byItem.set(key, call);
      if (typeof item.arguments === "string") call.arguments = item.arguments;
      return [this.#callEvent(call)];
    }
    if (done && typeof item.arguments === "string" && item.arguments !== call.arguments) {
      call.arguments = item.arguments; // the complete arguments win over the deltas
      return [this.#callEvent(call)];
    }
    return [];
  }

  #callEvent(call: ToolCall): StreamEvent {
    return { type: "tool_call", index: this.#calls.indexOf(call), call: { ...call } };
  }

  #addText(delta: string): StreamEvent[] {
    if (!delta) return [];
    this.#text += delta;
    return [{ type: "text", text: delta }];
  }

  #addReasoning(delta: string): StreamEvent[] {
    if (!delta) return [];
    this.#reasoning += delta;
    return [{ type: "reasoning", text: delta }];
  }
}

function failed(who: string, message: unknown, code: unknown): LlmError {
  const said = oneLine(String(message ?? "unknown error"));
  const tag = typeof code === "string" && code ? ` [${code}]` : "";
  const quota = /quota|billing/i.test(`${said}${tag}`);
  return new LlmError(
    quota ? "rate_limit" : "provider",
    `${who} (Responses API) reported that the response failed: ${said}${tag}. ${
      quota ? "Add credit to the account or use another key." : "Try again or choose another model."
    }`,
  );
}

/** A Responses API request, sent through the `openai` package. */
export function responsesWire(resolved: ResolvedModel, req: CompletionRequest): Wire {
  const body = toResponsesRequest(resolved, req);
  return {
    framing: "sse",
    assembler: new ResponsesStreamAssembler(providerLabel(resolved)),
    ends: (event) => {
      const type = (event as Item | null)?.type;
      return type === "response.completed" || type === "response.incomplete";
    },
    async send(signal, firstByte) {
      const { sdk, client } = await openaiClient(resolved, req, firstByte);
      try {
        return await client.responses.create(body as never, { signal }).asResponse();
      } catch (err) {
        throw sdkFailure(sdk, err);
      }
    },
  };
}
