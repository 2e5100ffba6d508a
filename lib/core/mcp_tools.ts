/**
 * MCP tools in the conversation engine: the tools of the profile's
 * `mcp_servers` are offered to the model beside `execute`, and a call the
 * model makes is shown, approved (as code is, unless autoRun) and answered.
 * The servers (and the MCP SDK) load only when a conversation first needs
 * them: `lib/mcp/client.ts` is imported dynamically.
 *
 * Chunk shapes (LMC): a call is
 * `{role:"assistant", type:"tool_call", format:"mcp", content:{server, tool, arguments}, toolCallId}`,
 * its result `{role:"computer", type:"tool_result", format:"mcp", content:{server, tool, text, isError}, toolCallId}`
 * (images it returned follow as `{role:"computer", type:"image", format:"base64.png"}`); both are
 * stored and framed with start/end chunks like any block. A failed server start is
 * `{role:"server", type:"error", format:"mcp", content:"<one line>"}`.
 *
 * @module
 */

import type { ToolSpec } from "../wire/chat.ts";
import type { McpServerConfig, McpToolInfo, McpToolSource } from "../mcp/config.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import { type ApprovalDecision, type ApprovalRequest, DECLINED_OUTPUT } from "../wire/approval.ts";
import { redact } from "../wire/secrets.ts";

/** A model's call of an MCP tool, waiting to run. */
export interface McpCall {
  /** The server's name. */
  server: string;
  /** The tool's own name. */
  tool: string;
  /** The arguments the model gave. */
  arguments: Record<string, unknown>;
}

/** What running a call needs from the engine. */
export interface McpRunContext {
  /** Ask first (a confirmation chunk) unless true. */
  autoRun: boolean;
  /** Aborted when the turn stops. */
  signal: AbortSignal;
  /** Known secrets, replaced in results. */
  secrets: string[];
  /** Frames and stores a chunk (the engine's framer). */
  chunk(c: LmcChunk): AsyncGenerator<LmcChunk>;
  /** Closes the current block. */
  close(): AsyncGenerator<LmcChunk>;
  /** Asks the turn's approver (undefined: the turn was stopped). */
  decide(request: ApprovalRequest): Promise<ApprovalDecision | undefined>;
  /** Turns auto-run on (the "always" answer). */
  always(): void;
  /** The stored tool_call message (updated when the person edits the arguments). */
  stored?: LmcMessage;
  /** Records that the call was not run, with the reason the model reads. */
  notRun(reason: string): AsyncGenerator<LmcChunk>;
}

/** The MCP servers of one engine, started on first use. */
export class McpTools {
  #servers: Record<string, McpServerConfig>;
  #source: McpToolSource | undefined;
  #tools: McpToolInfo[] = [];
  #listing: Promise<void> | undefined;
  #ready: Promise<McpToolSource> | undefined;
  /** Bumped by close(), so a start still finishing after it changes nothing. */
  #generation = 0;
  #problems: string[] = [];
  #reported = false;

  /** Keeps the configuration; starts nothing. */
  constructor(servers: Record<string, McpServerConfig>) {
    this.#servers = servers;
  }

  /** The configuration (name → server). */
  get servers(): Record<string, McpServerConfig> {
    return this.#servers;
  }

  /** True when at least one server is configured. */
  get configured(): boolean {
    return Object.keys(this.#servers).length > 0;
  }

  /**
   * The tool definitions to offer the model. The first call starts the servers
   * (each bounded by its `startup_timeout_sec`) and yields one error chunk per
   * server that failed. A stopped turn (`signal`) stops waiting at once; the
   * servers go on starting for the next turn.
   */
  async *specs(out: ToolSpec[], signal?: AbortSignal): AsyncGenerator<LmcChunk> {
    if (!this.configured) return;
    this.#listing ??= this.#list();
    if (!(await untilAborted(this.#listing, signal))) return;
    if (!this.#reported) {
      this.#reported = true;
      for (const line of this.#problems) {
        yield { role: "server", type: "error", format: "mcp", content: line };
      }
    }
    for (const t of this.#tools) {
      out.push({
        type: "function",
        function: {
          name: t.name,
          description: t.description || `${t.tool} (MCP server ${t.server})`,
          parameters: t.inputSchema,
        },
      });
    }
  }

  async #list(): Promise<void> {
    const generation = this.#generation;
    try {
      this.#ready = import("../mcp/client.ts").then(({ McpClients }) =>
        this.#source = new McpClients(this.#servers)
      );
      const { tools, problems } = await (await this.#ready).listTools();
      if (generation !== this.#generation) return;
      this.#tools = tools;
      this.#problems = problems;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.#problems = [`MCP servers could not start: ${(e as Error)?.message ?? e}`];
    }
  }

  /** The tool the model calls by `name`, if it is one of ours. */
  find(name: string): McpToolInfo | undefined {
    return this.#tools.find((t) => t.name === name);
  }

  /** Shows, approves (unless autoRun) and runs one call; stores its result. */
  async *run(
    requested: McpCall,
    toolCallId: string,
    context: McpRunContext,
  ): AsyncGenerator<LmcChunk> {
    let call = requested;
    if (!context.autoRun) {
      yield* context.close();
      yield {
        role: "computer",
        type: "confirmation",
        format: "execution",
        content: { type: "tool_call", format: "mcp", content: call },
      };
      if (context.signal.aborted) return;
      const request: ApprovalRequest = {
        id: toolCallId,
        language: "json",
        code: JSON.stringify(call, null, 2),
        tool: call,
      };
      const decision = await context.decide(request);
      // Stopped while the person was being asked: nothing runs.
      if (!decision || context.signal.aborted) return;
      if (decision.action === "decline") {
        yield* context.notRun(decision.reason ?? DECLINED_OUTPUT);
        return;
      }
      if (decision.action === "always") context.always();
      if (decision.action === "edit") {
        const edited = editedArguments(decision.code);
        if (!edited) {
          yield* context.notRun("Not run: the edited call was not a JSON object with arguments.");
          return;
        }
        call = { ...call, arguments: edited };
        if (context.stored) context.stored.content = call;
      }
    }
    const result = this.#source
      ? await this.#source.call(call.server, call.tool, call.arguments, context.signal)
      : { text: `MCP server "${call.server}" is not running.`, images: [], isError: true };
    if (context.signal.aborted) return;
    yield* context.chunk({
      role: "computer",
      type: "tool_result",
      format: "mcp",
      content: {
        server: call.server,
        tool: call.tool,
        text: redact(result.text, context.secrets),
        isError: result.isError,
      },
      toolCallId,
    });
    for (const image of result.images) {
      yield* context.chunk({
        role: "computer",
        type: "image",
        format: `base64.${/^image\/(png|jpeg|gif|webp)$/i.exec(image.mimeType)?.[1] ?? "png"}`,
        content: image.data,
        toolCallId,
      });
    }
    yield* context.close();
  }

  /** Stops every server started. */
  async close(): Promise<void> {
    const listing = this.#listing;
    this.#generation++;
    this.#listing = undefined;
    this.#reported = false;
    this.#problems = [];
    // The client module may still be loading: wait for it (not for the servers), then end them.
    if (listing) await this.#ready?.catch(() => {});
    this.#ready = undefined;
    const source = this.#source;
    this.#source = undefined;
    this.#tools = [];
    await source?.close();
  }
}

/** Parses a call's JSON arguments; an error line the model can act on when they are not an object. */
export function mcpArguments(
  raw: string,
  name: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (!raw.trim()) return { ok: true, value: {} };
  try {
    const value = JSON.parse(raw);
    if (value && typeof value === "object" && !Array.isArray(value)) return { ok: true, value };
  } catch { /* below */ }
  return {
    ok: false,
    error:
      `The arguments of ${name} must be a JSON object; nothing was run. Call it again with valid JSON.`,
  };
}

/** Waits for `promise`; resolves false at once if `signal` aborts first. */
async function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<boolean> {
  if (!signal) {
    await promise;
    return true;
  }
  if (signal.aborted) return false;
  let onAbort = () => {};
  const aborted = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then(() => true as const), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function editedArguments(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    const args = value && typeof value === "object" && "arguments" in value
      ? value.arguments
      : value;
    return args && typeof args === "object" && !Array.isArray(args) ? args : undefined;
  } catch {
    return undefined;
  }
}
