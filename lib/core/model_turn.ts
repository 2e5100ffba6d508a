/**
 * One model call of the engine (a "turn"): the request (request.ts) goes out,
 * the answer streams back as framed LMC chunks, tool calls are repaired and
 * queued for execution, and the call's usage is measured (usage.ts).
 *
 * @module
 */

import type { ComputerLike } from "../computer/types.ts";
import { type CompletionEvent, streamCompletion } from "../llm/client.ts";
import { LlmError } from "../llm/errors.ts";
import type { ToolSpec } from "../wire/chat.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import type { UsageReport, UsageTotals } from "../wire/usage.ts";
import { CodeBlockParser } from "./code_blocks.ts";
import type { Framer } from "./framer.ts";
import { mcpArguments, type McpCall, type McpTools } from "./mcp_tools.ts";
import { buildRequest, type RequestSource } from "./request.ts";
import { parseExecuteArgs, partialExecuteArgs } from "./tool_args.ts";
import { addUsage, measureTurn } from "./usage.ts";

/** Languages a model sometimes "runs" that are really notes. */
export const NOT_CODE = new Set(["text", "markdown", "md", "plaintext", "output", "console"]);

/** The `execute` tool offered to function-calling models. */
export function executeTool(languages: readonly string[]): ToolSpec {
  return {
    type: "function",
    function: {
      name: "execute",
      description:
        "Executes code on the user's machine, in the user's local environment, and returns the output.",
      parameters: {
        type: "object",
        properties: {
          language: {
            type: "string",
            description: "The programming language (required parameter to the `execute` function)",
            ...(languages.length ? { enum: [...languages] } : {}),
          },
          code: { type: "string", description: "The code to execute (required)" },
        },
        required: ["language", "code"],
      },
    },
  };
}

/** Code waiting to run after a model answer. */
export interface PendingCode {
  /** The stored code (or tool call) message. */
  message: LmcMessage;
  /** The tool call it answers, for function-calling models. */
  toolCallId?: string;
  /** Why it cannot run (the call could not be parsed): recorded as its output. */
  error?: string;
  /** A call of an MCP server's tool (not code). */
  mcp?: McpCall;
}

/** What a model call reads from and writes to the engine. */
export interface ModelTurnHost extends RequestSource {
  /** The running total (the call adds its own). */
  usage: UsageTotals;
  /** The MCP servers' tools offered beside `execute`. */
  readonly mcp: McpTools;
  /** Logs a line when verbose. */
  debug(...args: unknown[]): void;
}

/** One call's inputs. */
export interface ModelTurnOptions {
  /** The machine the code will run on (its languages, permissions, desktop). */
  computer: ComputerLike;
  /** Frames and stores the chunks. */
  framer: Framer;
  /** Loop mode's turn: the loop message follows the conversation. */
  loopPending: boolean;
  /** The answer's text so far, and the code queued to run after it. */
  answer: { text: string; pending: PendingCode[] };
  /** Stops the call. */
  signal: AbortSignal;
}

/**
 * One model call: builds the request, streams the answer as framed chunks (text, reasoning,
 * code from tool calls or markdown fences), repairs and queues the complete tool calls in
 * `answer.pending`, and ends with the call's `usage` chunk.
 */
export async function* callModel(
  host: ModelTurnHost,
  options: ModelTurnOptions,
): AsyncGenerator<LmcChunk, void, undefined> {
  const { computer, framer, loopPending, answer, signal } = options;
  const languages = computer.languages;
  const request = await buildRequest(host, computer, { loopPending });
  const { functions, permissions, anthropic, maxTokens } = request;
  const trimmed = request.messages;
  host.debug(
    `model ${host.llm.model}: ${trimmed.length} of ${request.chat.length} messages after trimming to ${request.budget} tokens, ${
      functions ? "tool calling" : "markdown code blocks"
    }`,
  );

  const taken = new Set(
    host.messages.map((m) => m.toolCallId).filter((id): id is string => !!id),
  );
  const calls = new Map<number, { message?: LmcMessage; id: string; streamed: string }>();
  const parser = functions ? undefined : new CodeBlockParser((lang) => {
    const language = lang || "python";
    if (NOT_CODE.has(language)) return undefined;
    return resolveLanguage(computer, language) ?? (lang ? undefined : "python");
  });
  let codeMessage: LmcMessage | undefined;
  const lastMessage = () => host.messages[host.messages.length - 1];

  async function* onText(text: string): AsyncGenerator<LmcChunk> {
    answer.text += text;
    if (!parser) {
      yield* framer.chunk({ role: "assistant", type: "message", content: text });
      return;
    }
    yield* onFence(parser.push(text));
  }
  async function* onFence(events: ReturnType<CodeBlockParser["push"]>): AsyncGenerator<LmcChunk> {
    for (const e of events) {
      if (e.type === "text") {
        yield* framer.chunk({ role: "assistant", type: "message", content: e.text });
      } else if (e.type === "code_start") {
        yield* framer.open({ role: "assistant", type: "code", format: e.language, content: "" });
        codeMessage = lastMessage();
      } else if (e.type === "code") {
        yield* framer.chunk(
          { role: "assistant", type: "code", format: codeMessage!.format, content: e.text },
          codeMessage,
        );
      } else {
        answer.pending.push({ message: codeMessage! });
        codeMessage = undefined;
        yield* framer.close();
      }
    }
  }

  const tools = functions ? [executeTool(languages)] : undefined;
  // Anthropic's native computer tool beside execute, with display access (lib/desktop).
  const nativeComputer = tools && anthropic && permissions.display &&
      languages.includes("python")
    ? await computerTool(computer, host.llm.model)
    : undefined;
  if (nativeComputer) tools!.push(nativeComputer);
  // seam: mcp — the profile's MCP servers start on first use; their tools sit beside execute.
  if (tools) { for await (const c of host.mcp.specs(tools, signal)) yield* framer.chunk(c); }
  if (signal.aborted) return; // stopped while the servers were starting: no model call
  let done: Extract<CompletionEvent, { type: "done" }>["turn"] | undefined;
  try {
    for await (
      const event of streamCompletion({
        model: host.llm.model,
        messages: trimmed,
        tools,
        apiBase: host.llm.apiBase,
        apiKey: host.llm.apiKey,
        apiKeySource: host.llm.apiKeySource,
        apiVersion: host.llm.apiVersion,
        apiProtocol: host.llm.apiProtocol,
        temperature: host.llm.temperature,
        maxTokens: host.llm.maxTokens ?? (anthropic ? maxTokens : undefined),
        signal,
        timeouts: host.llm.timeouts,
        maxRetries: host.llm.maxRetries,
      })
    ) {
      if (event.type === "reasoning") {
        yield* framer.chunk({ role: "assistant", type: "reasoning", content: event.text });
      } else if (event.type === "text") {
        yield* onText(event.text);
      } else if (event.type === "tool_call") {
        const state = calls.get(event.index) ??
          { id: uniqueId(event.call.id, taken), streamed: "" };
        calls.set(event.index, state);
        const name = event.call.name.toLowerCase();
        if (name && name !== "execute") continue; // repaired once complete
        const partial = partialExecuteArgs(event.call.arguments);
        if (!partial.language || partial.code === undefined) continue;
        if (!state.message) {
          yield* framer.open({
            role: "assistant",
            type: "code",
            format: partial.language,
            content: "",
            toolCallId: state.id,
          });
          state.message = host.messages[host.messages.length - 1];
        }
        if (
          partial.code.startsWith(state.streamed) && partial.code.length > state.streamed.length
        ) {
          const delta = partial.code.slice(state.streamed.length);
          state.streamed = partial.code;
          yield* framer.chunk({
            role: "assistant",
            type: "code",
            format: state.message.format,
            content: delta,
            toolCallId: state.id,
          }, state.message);
        }
      } else if (event.type === "retry") {
        yield {
          role: "server",
          type: "status",
          format: "retry",
          content: `${event.reason} Retrying in ${
            Math.ceil(event.delayMs / 1000)
          }s (attempt ${event.attempt}).`,
        };
      } else if (event.type === "done") {
        done = event.turn;
      }
    }
  } catch (err) {
    if (parser) {
      try {
        yield* onFence(parser.end());
      } catch { /* keep the first error */ }
    }
    yield* framer.close();
    if (err instanceof LlmError && err.kind === "cancelled") return;
    host.debug(`model call failed: ${(err as Error)?.message ?? err}`);
    throw err;
  }
  if (parser) yield* onFence(parser.end());
  yield* framer.close();
  if (!done) return;

  // Tool calls, now complete: repair, then queue them in order.
  done.toolCalls.forEach((call, index) => {
    const state = calls.get(index) ?? { id: uniqueId(call.id, taken), streamed: "" };
    calls.set(index, state);
  });
  for (const [index, call] of done.toolCalls.entries()) {
    const state = calls.get(index)!;
    const mcpTool = state.message ? undefined : host.mcp.find(call.name);
    if (mcpTool) {
      const parsed = mcpArguments(call.arguments, call.name);
      const content: McpCall = {
        server: mcpTool.server,
        tool: mcpTool.tool,
        arguments: parsed.ok ? parsed.value : { raw: call.arguments },
      };
      yield* framer.chunk({
        role: "assistant",
        type: "tool_call",
        format: "mcp",
        content,
        toolCallId: state.id,
      });
      yield* framer.close();
      answer.pending.push({
        message: host.messages[host.messages.length - 1],
        toolCallId: state.id,
        ...(parsed.ok ? { mcp: content } : { error: parsed.error }),
      });
      continue;
    }
    // A native computer action becomes the equivalent Python code, approved and run as such.
    let args = nativeComputer && call.name === "computer"
      ? (await import("../desktop/anthropic_tool.ts")).computerActionCode(call.arguments)
      : parseExecuteArgs(call.name || "execute", call.arguments, {
        languages,
        // A call missing only its closing `}` is repaired, unless the token limit cut it.
        closeTruncated: done.finishReason !== "length",
      });
    if (!args.ok && done.finishReason === "length") {
      args = {
        ok: false,
        error:
          "Your answer hit the token limit in the middle of this call, so the code was cut off and not run. Send shorter code (split the work into steps).",
      };
    }
    if (!state.message) {
      const language = args.ok ? args.language : "";
      const code = args.ok ? args.code : call.arguments;
      yield* framer.open({
        role: "assistant",
        type: "code",
        format: language,
        content: "",
        toolCallId: state.id,
      });
      state.message = host.messages[host.messages.length - 1];
      if (code) {
        yield* framer.chunk({
          role: "assistant",
          type: "code",
          format: language,
          content: code,
          toolCallId: state.id,
        }, state.message);
      }
      yield* framer.close();
    } else if (args.ok) {
      state.message.format = args.language;
      state.message.content = args.code;
    }
    answer.pending.push({
      message: state.message,
      toolCallId: state.id,
      error: args.ok ? undefined : args.error,
    });
  }

  // Usage: from the stream, else counted (the prompt really sent); priced where known.
  const { turn, estimated } = await measureTurn(done, trimmed, host.llm.model);
  const cost = turn.cost;
  host.usage = addUsage(host.usage, turn);
  const report: UsageReport = {
    model: host.llm.model,
    turn,
    total: { ...host.usage },
    estimated,
  };
  host.debug(
    `usage: ${turn.promptTokens} in, ${turn.completionTokens} out${
      estimated ? " (estimated)" : ""
    }, cost ${cost === undefined ? "unknown" : `$${cost.toFixed(6)}`}; finish ${done.finishReason}`,
  );
  yield { role: "server", type: "usage", content: report };
}

/** A tool-call id that is well-formed and not taken yet (and marks it taken). */
function uniqueId(id: string, taken: Set<string>): string {
  let candidate = /^[A-Za-z0-9_-]{6,}$/.test(id) && !id.startsWith("call_auto_")
    ? id
    : `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  while (taken.has(candidate)) {
    candidate = `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  }
  taken.add(candidate);
  return candidate;
}

/** Anthropic's computer tool for this model and screen, or undefined (not offered). */
async function computerTool(
  computer: ComputerLike,
  model: string,
): Promise<ToolSpec | undefined> {
  const { computerToolSpec, computerToolType } = await import("../desktop/anthropic_tool.ts");
  const type = computerToolType(model);
  const desktop = computer.desktop;
  if (!type || !desktop) return undefined;
  try {
    const [width, height] = await (await desktop.api()).display.size();
    return computerToolSpec(type, { width, height });
  } catch {
    return undefined; // no display here: the Python API still answers with the reason
  }
}

/** The computer's language for a name the model used (its resolver, else a case-insensitive match). */
export function resolveLanguage(computer: ComputerLike, language: string): string | undefined {
  const resolver = computer.resolveLanguage;
  if (typeof resolver === "function") {
    try {
      // A computer of the library's user may return something else: only a string counts
      // (or an object with a name, as Open Interpreter's language classes are).
      const resolved: unknown = resolver.call(computer, language);
      if (typeof resolved === "string") return resolved;
      if (resolved && typeof resolved === "object" && "name" in resolved) {
        return String((resolved as { name: unknown }).name);
      }
      return undefined;
    } catch {
      return undefined;
    }
  }
  const lower = language.toLowerCase();
  return computer.languages.find((l) => l.toLowerCase() === lower);
}
