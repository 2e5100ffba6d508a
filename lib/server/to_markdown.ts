/**
 * Renders a stream of LMC chunks as readable markdown text, for clients that
 * only understand text (the OpenAI-compatible endpoint): the model's words as
 * they are, code in fenced blocks tagged with its language, output in an
 * `output` block, images inline, errors in bold. Reasoning is kept apart.
 * Output is shown as a person watching it would have seen it, bounded: live
 * output past the model's part (`recipient: "user"`) up to LIVE_OUTPUT_CHARS per
 * run, `\r` progress lines in their last state; the model-only end of the
 * output (`recipient: "assistant"`) only once the live view was cut.
 *
 * @module
 */

import type { LmcChunk } from "../wire/lmc.ts";
import { DECLINED_OUTPUT } from "./turn.ts";

/** Characters of live-only output (shown to the person, not the model) rendered per run. */
export const LIVE_OUTPUT_CHARS = 20_000;

/** Text produced by one chunk: answer text and reasoning, either may be empty. */
export interface RenderedPiece {
  /** Markdown for the answer. */
  content: string;
  /** Reasoning text (kept out of the answer). */
  reasoning: string;
}

/** Token counts reported by the engine's `usage` chunks. */
export interface UsageCounts {
  /** Prompt tokens over the whole turn. */
  promptTokens: number;
  /** Completion tokens over the whole turn. */
  completionTokens: number;
}

function numberField(source: Record<string, unknown>, names: string[]): number {
  for (const name of names) {
    const value = source[name];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return 0;
}

/** Turns LMC chunks into markdown, one chunk at a time. */
export class MarkdownRenderer {
  #text = "";
  #codeOpen = false;
  #outputOpen = false;
  // the unfinished output line, and how much live-only output this block showed
  #line = "";
  #liveChars = 0;
  #liveCut = false;
  #errors: string[] = [];
  #readable = false;
  readonly #usage: UsageCounts = { promptTokens: 0, completionTokens: 0 };

  /** Everything rendered so far. */
  get text(): string {
    return this.#text;
  }

  /** The error messages seen, in order. */
  get errors(): string[] {
    return this.#errors;
  }

  /** Usage summed over the turn's `usage` chunks. */
  get usage(): UsageCounts {
    return this.#usage;
  }

  /** True when the turn produced nothing for the reader but errors. */
  get onlyErrors(): boolean {
    return this.#errors.length > 0 && !this.#readable;
  }

  /** Blank-line separation before a new block. */
  #gap(): string {
    if (this.#text === "" || this.#text.endsWith("\n\n")) return "";
    return this.#text.endsWith("\n") ? "\n" : "\n\n";
  }

  #emit(piece: string, readable = true): string {
    this.#text += piece;
    if (readable && piece.trim()) this.#readable = true;
    return piece;
  }

  #closeOutput(): string {
    if (!this.#outputOpen) return "";
    const line = this.#line.replace(/\r+$/, "");
    const rest = this.#emit(line.slice(line.lastIndexOf("\r") + 1));
    this.#outputOpen = false;
    this.#line = "";
    this.#liveChars = 0;
    this.#liveCut = false;
    return rest + this.#emit(this.#text.endsWith("\n") ? "```\n\n" : "\n```\n\n");
  }

  /**
   * Output as a person watching would read it: lines written with `\r` (progress bars) appear
   * once, in their last state, when they end. Text cannot be taken back once streamed, so an
   * unfinished line waits here (only its latest state).
   */
  #output(text: string): string {
    const parts = (this.#line + text).split("\n");
    const last = parts.pop()!;
    const end = last.endsWith("\r") ? last.length - 1 : last.length;
    const cut = end > 0 ? last.lastIndexOf("\r", end - 1) : -1;
    this.#line = cut < 0 ? last : last.slice(cut + 1);
    if (parts.length === 0) return "";
    return this.#emit(
      parts.map((l) => {
        const shown = l.replace(/\r+$/, "");
        return shown.slice(shown.lastIndexOf("\r") + 1) + "\n";
      }).join(""),
    );
  }

  /** Renders one chunk. */
  push(chunk: LmcChunk): RenderedPiece {
    const none = { content: "", reasoning: "" };
    if (chunk.type === "usage") {
      // The engine's report is `{turn: {promptTokens, completionTokens}, total}`;
      // a flat object of counts is accepted too.
      const report = (chunk.content ?? {}) as Record<string, unknown>;
      const turn = report.turn;
      const content = (turn && typeof turn === "object" ? turn : report) as Record<string, unknown>;
      this.#usage.promptTokens += numberField(content, [
        "promptTokens",
        "prompt_tokens",
        "inputTokens",
        "input_tokens",
      ]);
      this.#usage.completionTokens += numberField(content, [
        "completionTokens",
        "completion_tokens",
        "outputTokens",
        "output_tokens",
      ]);
      return none;
    }
    if (chunk.type === "reasoning") {
      return typeof chunk.content === "string" ? { content: "", reasoning: chunk.content } : none;
    }
    if (chunk.type === "error") {
      const message = typeof chunk.content === "string"
        ? chunk.content
        : JSON.stringify(chunk.content);
      if (chunk.start || chunk.end || !message) return none;
      this.#errors.push(message);
      const close = this.#closeOutput();
      return {
        content: close + this.#emit(`${this.#gap()}**Error:** ${message}\n\n`, false),
        reasoning: "",
      };
    }
    if (chunk.role === "assistant" && chunk.type === "message") {
      if (typeof chunk.content !== "string") return none;
      return { content: this.#closeOutput() + this.#emit(chunk.content), reasoning: "" };
    }
    if (chunk.role === "assistant" && chunk.type === "code") {
      if (chunk.start) {
        this.#codeOpen = true;
        const close = this.#closeOutput();
        return {
          content: close + this.#emit(`${this.#gap()}\`\`\`${chunk.format ?? ""}\n`),
          reasoning: "",
        };
      }
      if (chunk.end) {
        if (!this.#codeOpen) return none;
        this.#codeOpen = false;
        return {
          content: this.#emit(this.#text.endsWith("\n") ? "```\n\n" : "\n```\n\n"),
          reasoning: "",
        };
      }
      return typeof chunk.content === "string"
        ? { content: this.#emit(chunk.content), reasoning: "" }
        : none;
    }
    if (chunk.role === "computer" && chunk.type === "console") {
      if (chunk.end) return { content: this.#closeOutput(), reasoning: "" };
      if (chunk.format !== "output" || typeof chunk.content !== "string" || !chunk.content) {
        return none;
      }
      if (chunk.content === DECLINED_OUTPUT) {
        return {
          content: this.#closeOutput() + this.#emit(`${this.#gap()}> ${DECLINED_OUTPUT}\n\n`),
          reasoning: "",
        };
      }
      // The person's view, bounded: live-only output (`recipient: "user"`) up to
      // LIVE_OUTPUT_CHARS per run; the model-only end (`"assistant"`: what was left out, where
      // the full output is, and the tail) only when the live view was cut, so the end shows.
      if (chunk.recipient === "user" && this.#liveCut) return none;
      if (chunk.recipient === "assistant" && !this.#liveCut) return none;
      let out = "";
      if (!this.#outputOpen) {
        this.#outputOpen = true;
        out += this.#emit(`${this.#gap()}\`\`\`output\n`);
      }
      if (chunk.recipient === "user") {
        this.#liveChars += chunk.content.length;
        if (this.#liveChars > LIVE_OUTPUT_CHARS) {
          this.#liveCut = true;
          const line = this.#line.replace(/\r+$/, "");
          this.#line = "";
          out += this.#emit(line.slice(line.lastIndexOf("\r") + 1));
          return {
            content: out + this.#emit(
              `${this.#text.endsWith("\n") ? "" : "\n"}[... more output while it ran ...]\n`,
            ),
            reasoning: "",
          };
        }
      }
      return { content: out + this.#output(chunk.content), reasoning: "" };
    }
    if (chunk.role === "computer" && chunk.type === "image" && typeof chunk.content === "string") {
      if (!chunk.content) return none;
      const format = chunk.format ?? "";
      const close = this.#closeOutput();
      if (format.startsWith("base64")) {
        const kind = format.split(".")[1] ?? "png";
        return {
          content: close +
            this.#emit(`${this.#gap()}![output](data:image/${kind};base64,${chunk.content})\n\n`),
          reasoning: "",
        };
      }
      if (format === "path") {
        return {
          content: close + this.#emit(`${this.#gap()}![output](${chunk.content})\n\n`),
          reasoning: "",
        };
      }
      return none;
    }
    if (chunk.role === "computer" && chunk.type === "code" && typeof chunk.content === "string") {
      if (chunk.start || chunk.end || !chunk.content) return none;
      const close = this.#closeOutput();
      const body = chunk.content.endsWith("\n") ? chunk.content : `${chunk.content}\n`;
      return {
        content: close + this.#emit(`${this.#gap()}\`\`\`${chunk.format ?? ""}\n${body}\`\`\`\n\n`),
        reasoning: "",
      };
    }
    // seam: mcp — an MCP tool call as a json block, its result as an output block (bounded).
    if (chunk.format === "mcp" && (chunk.type === "tool_call" || chunk.type === "tool_result")) {
      if (chunk.start || chunk.end) return none;
      const c = (chunk.content ?? {}) as Record<string, unknown>;
      const text = chunk.type === "tool_call"
        ? JSON.stringify({ tool: `${c.server}.${c.tool}`, arguments: c.arguments ?? {} })
        : String(c.text ?? "").slice(0, LIVE_OUTPUT_CHARS);
      const fence = chunk.type === "tool_call" ? "json" : "output";
      const body = text.endsWith("\n") ? text : `${text}\n`;
      return {
        content: this.#closeOutput() +
          this.#emit(`${this.#gap()}\`\`\`${fence}\n${body}\`\`\`\n\n`),
        reasoning: "",
      };
    }
    return none;
  }

  /** Closes any open block; returns the closing text. */
  finish(): string {
    let out = this.#closeOutput();
    if (this.#codeOpen) {
      this.#codeOpen = false;
      out += this.#emit(this.#text.endsWith("\n") ? "```\n" : "\n```\n");
    }
    return out;
  }
}
