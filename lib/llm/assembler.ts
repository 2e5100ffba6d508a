/**
 * Assembles a streamed chat-completions answer (OpenAI wire format, as spoken
 * by most providers) into text, reasoning and tool calls, and reports each
 * piece as it arrives. It copes with the quirks recorded in
 * `tests/fixtures/providers/`: tool calls without `index` or with an index
 * starting at 1, arguments in one chunk or many, `arguments: null`, the same
 * call sent twice, parallel calls, usage-only chunks with empty `choices`,
 * content-filter chunks, and reasoning in `reasoning`, `reasoning_content`,
 * `reasoning_details`, `<think>` tags or arrays of thinking blocks.
 *
 * @module
 */

import { LlmError } from "./errors.ts";

/** Token counts of one model call. */
export interface TokenUsage {
  /** Tokens sent. */
  promptTokens: number;
  /** Tokens received. */
  completionTokens: number;
  /** Dollars, when the provider reports it (OpenRouter does). */
  cost?: number;
}

/** One assembled tool call. */
export interface ToolCall {
  /** The provider's call id (made up when the provider sends none). */
  id: string;
  /** The function name. */
  name: string;
  /** The raw arguments text (usually JSON). */
  arguments: string;
}

/** A piece of the answer, reported as soon as it arrives. */
export type StreamEvent =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_call"; index: number; call: ToolCall };

/** The whole answer once the stream ended. */
export interface AssembledTurn {
  /** The visible answer text. */
  text: string;
  /** The model's reasoning, shown apart and never run. */
  reasoning: string;
  /** Tool calls in order. */
  toolCalls: ToolCall[];
  /** The last finish reason seen (null when the provider sent none). */
  finishReason: string | null;
  /** Usage as reported by the provider. */
  usage?: TokenUsage;
}

/**
 * Copies of the streamed `calls` for the finished turn: a call whose arguments
 * never came (a tool with no parameters) gets `{}`, the empty JSON object.
 */
export function finishedCalls(calls: ToolCall[]): ToolCall[] {
  return calls.map((c) => ({ ...c, arguments: c.arguments || "{}" }));
}

/**
 * Separates `<think>...</think>` at the start of an answer from the answer
 * itself (another tag name may be given: Amazon Nova writes `<thinking>`).
 */
export class ThinkSplitter {
  #state: "start" | "think" | "answer" | "after" = "start";
  #buffer = "";
  #thinkBegun = false;
  #open: string;
  #close: string;

  /** Splits off reasoning written between `<tag>` and `</tag>` (default `think`). */
  constructor(tag = "think") {
    this.#open = `<${tag}>`;
    this.#close = `</${tag}>`;
  }

  /** Adds content text and returns the reasoning / text pieces it resolves. */
  push(text: string): StreamEvent[] {
    this.#buffer += text;
    return this.#drain(false);
  }

  /** Returns whatever is still held back. */
  flush(): StreamEvent[] {
    return this.#drain(true);
  }

  #drain(final: boolean): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (;;) {
      if (this.#state === "start") {
        const trimmed = this.#buffer.trimStart();
        if (trimmed.startsWith(this.#open)) {
          this.#buffer = trimmed.slice(this.#open.length);
          this.#state = "think";
          continue;
        }
        if (!final && this.#open.startsWith(trimmed)) return out; // maybe the tag is coming
        this.#state = "answer";
        continue;
      }
      if (this.#state === "think") {
        if (!this.#thinkBegun) {
          // Drop the blank line right after <think>.
          this.#buffer = this.#buffer.replace(/^\s+/, "");
          if (!this.#buffer) return out;
          this.#thinkBegun = true;
        }
        const close = this.#buffer.indexOf(this.#close);
        if (close >= 0) {
          const reasoning = this.#buffer.slice(0, close);
          if (reasoning) out.push({ type: "reasoning", text: reasoning });
          this.#buffer = this.#buffer.slice(close + this.#close.length);
          this.#state = "after";
          continue;
        }
        // Hold back a possible partial closing tag.
        let keep = 0;
        if (!final) {
          for (let n = Math.min(this.#close.length - 1, this.#buffer.length); n > 0; n--) {
            if (this.#close.startsWith(this.#buffer.slice(-n))) {
              keep = n;
              break;
            }
          }
        }
        const ready = this.#buffer.slice(0, this.#buffer.length - keep);
        if (ready) out.push({ type: "reasoning", text: ready });
        this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
        return out;
      }
      if (this.#state === "after") {
        // Drop the blank lines between the reasoning and the answer.
        this.#buffer = this.#buffer.replace(/^\s+/, "");
        if (!this.#buffer) return out;
        this.#state = "answer";
      }
      if (this.#buffer) out.push({ type: "text", text: this.#buffer });
      this.#buffer = "";
      return out;
    }
  }
}

interface CallState {
  call: ToolCall;
  index: number | undefined;
}

function isCompleteJson(text: string): boolean {
  const t = text.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finish reasons in a provider's own words, as OpenAI's: Cohere's (`COMPLETE`,
 * `MAX_TOKENS`, `TOOL_CALL`...) for a compatibility endpoint that passes them
 * through.
 */
const NATIVE_FINISH: Readonly<Record<string, string>> = {
  COMPLETE: "stop",
  STOP_SEQUENCE: "stop",
  MAX_TOKENS: "length",
  TOOL_CALL: "tool_calls",
  TOOL_CALLS: "tool_calls",
};

/** Extracts reasoning text from the many shapes providers use. */
function reasoningOf(delta: Record<string, unknown>): string {
  for (const key of ["reasoning_content", "reasoning", "thinking"]) {
    const value = delta[key];
    if (typeof value === "string" && value) return value;
  }
  const details = delta.reasoning_details;
  if (Array.isArray(details)) {
    return details.map((d) => {
      const item = d as Record<string, unknown>;
      if (typeof item.text === "string") return item.text;
      if (typeof item.summary === "string") return item.summary;
      return "";
    }).join("");
  }
  return "";
}

function thinkingText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(thinkingText).join("");
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.text === "string") return v.text;
    if (v.thinking !== undefined) return thinkingText(v.thinking);
  }
  return "";
}

/** Assembles one streamed chat-completions answer from its parsed chunks. */
export class ChatStreamAssembler {
  #text = "";
  #reasoning = "";
  #calls: CallState[] = [];
  #finish: string | null = null;
  #usage: TokenUsage | undefined;
  #think = new ThinkSplitter();

  /** Adds one parsed chunk (the JSON of a `data:` event); returns what it added. */
  push(chunk: unknown): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (!chunk || typeof chunk !== "object") return out;
    const c = chunk as Record<string, unknown>;
    if (c.error) {
      const err = c.error as Record<string, unknown>;
      const message = typeof err === "string" ? err : String(err.message ?? JSON.stringify(err));
      throw new LlmError(
        "provider",
        `The provider reported an error mid-answer: ${
          message.split("\n")[0]
        }. Try again or choose another model.`,
      );
    }
    const usage = c.usage as Record<string, unknown> | null | undefined;
    if (usage && typeof usage === "object" && typeof usage.prompt_tokens === "number") {
      this.#usage = {
        promptTokens: usage.prompt_tokens as number,
        completionTokens: (usage.completion_tokens as number | undefined) ?? 0,
        cost: typeof usage.cost === "number" ? usage.cost : undefined,
      };
    }
    const choices = Array.isArray(c.choices) ? c.choices : [];
    for (const choiceRaw of choices) {
      const choice = choiceRaw as Record<string, unknown>;
      if ((choice.index as number | undefined ?? 0) !== 0) continue; // only the first choice
      const delta = (choice.delta ?? choice.message ?? {}) as Record<string, unknown>;
      const reasoning = reasoningOf(delta);
      if (reasoning) out.push(this.#addReasoning(reasoning));
      const content = delta.content;
      if (typeof content === "string" && content) {
        out.push(...this.#addContent(content));
      } else if (Array.isArray(content)) {
        for (const partRaw of content) {
          const part = partRaw as Record<string, unknown>;
          if (part.type === "thinking" || part.type === "reasoning") {
            const t = thinkingText(part.thinking ?? part.text);
            if (t) out.push(this.#addReasoning(t));
          } else if (typeof part.text === "string" && part.text) {
            out.push(...this.#addContent(part.text));
          }
        }
      }
      const legacy = delta.function_call as Record<string, unknown> | null | undefined;
      if (legacy && typeof legacy === "object") {
        out.push(...this.#addCall({ index: 0, function: legacy }));
      }
      if (Array.isArray(delta.tool_calls)) {
        for (const raw of delta.tool_calls) {
          out.push(...this.#addCall(raw as Record<string, unknown>));
        }
      }
      if (typeof choice.finish_reason === "string" && choice.finish_reason) {
        this.#finish = NATIVE_FINISH[choice.finish_reason] ?? choice.finish_reason;
      }
    }
    return out;
  }

  /** Releases text held back while looking for a `<think>` tag. */
  flush(): StreamEvent[] {
    return this.#apply(this.#think.flush());
  }

  /** The answer so far (call after {@linkcode flush} for the complete one). */
  result(): AssembledTurn {
    return {
      text: this.#text,
      reasoning: this.#reasoning,
      toolCalls: this.#calls.map((s) => ({ ...s.call })),
      finishReason: this.#finish,
      usage: this.#usage,
    };
  }

  #addReasoning(text: string): StreamEvent {
    this.#reasoning += text;
    return { type: "reasoning", text };
  }

  #addContent(text: string): StreamEvent[] {
    return this.#apply(this.#think.push(text));
  }

  #apply(events: StreamEvent[]): StreamEvent[] {
    for (const e of events) {
      if (e.type === "text") this.#text += e.text;
      else if (e.type === "reasoning") this.#reasoning += e.text;
    }
    return events;
  }

  #addCall(raw: Record<string, unknown>): StreamEvent[] {
    const fn = (raw.function ?? {}) as Record<string, unknown>;
    const id = typeof raw.id === "string" && raw.id ? raw.id : undefined;
    const index = typeof raw.index === "number" ? raw.index : undefined;
    const name = typeof fn.name === "string" ? fn.name : "";
    const args = typeof fn.arguments === "string"
      ? fn.arguments
      : fn.arguments && typeof fn.arguments === "object"
      ? JSON.stringify(fn.arguments)
      : "";
    let state: CallState | undefined;
    if (id) state = this.#calls.find((s) => s.call.id === id);
    if (!state && index !== undefined) {
      state = this.#calls.find((s) => s.index === index);
      // A different id at a used index is a new call (some servers reuse index 0).
      if (state && id && state.call.id !== id && !state.call.id.startsWith("call_auto_")) {
        state = undefined;
      }
    }
    if (!state && index === undefined && !id && this.#calls.length > 0) {
      state = this.#calls[this.#calls.length - 1]; // a continuation without index or id
    }
    if (!state) {
      state = {
        index,
        call: { id: id ?? `call_auto_${this.#calls.length}`, name: "", arguments: "" },
      };
      this.#calls.push(state);
    }
    if (id && state.call.id.startsWith("call_auto_")) state.call.id = id;
    if (name && !state.call.name) state.call.name = name;
    if (args) {
      if (isCompleteJson(state.call.arguments) && isCompleteJson(args)) {
        state.call.arguments = args; // the same call sent again in full
      } else {
        state.call.arguments += args;
      }
    }
    return [{ type: "tool_call", index: this.#calls.indexOf(state), call: { ...state.call } }];
  }
}
