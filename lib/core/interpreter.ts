/**
 * The conversation engine: `Interpreter.chat()` sends the conversation to the
 * model, streams the answer, runs the code the model asks for on the
 * computer, sends the output back and loops until the model answers without
 * code (or a limit is reached).
 *
 * @module
 */

import { DEFAULT_MAX_OUTPUT, DEFAULT_MAX_TURNS, DEFAULT_SAFE_MODE } from "../settings/registry.ts";
import { Computer } from "../computer/mod.ts";
import type { ComputerLike } from "../computer/types.ts";
import { streamCompletion } from "../llm/client.ts";
import { priceOf } from "../llm/models.ts";
import { PROVIDERS, readEnv, resolveModel } from "../llm/providers.ts";
import type { ChatMessage } from "../wire/chat.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import { defaultPermissions } from "../sandbox/defaults.ts";
import { ChatRun } from "./chat_run.ts";
import { Framer } from "./framer.ts";
import { McpTools } from "./mcp_tools.ts";
import type { McpServerConfig } from "../mcp/config.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import type {
  ChatOptions,
  InterpreterOptions,
  LlmSettings,
  MessageHook,
  SafeMode,
  UsageTotals,
} from "./settings.ts";
import { DEFAULT_SYSTEM_MESSAGE } from "./system_message.ts";
import { buildRequest, type ModelRequest, type RequestOptions } from "./request.ts";
import { emptyUsage } from "./usage.ts";
import { formatUsd } from "../wire/usage.ts";
import { executeItem, type ExecutionHost, notRun } from "./execution.ts";
import { callModel, executeTool, type ModelTurnHost, type PendingCode } from "./model_turn.ts";

export { executeTool };

/** Open Interpreter's loop message, sent to keep the model going in loop mode. */
export const DEFAULT_LOOP_MESSAGE =
  "Proceed. You CAN run code on my machine. If the entire task I asked for is done, say exactly 'The task is done.' If you need some specific information (like username or password) say EXACTLY 'Please provide more information.' If it's impossible, say 'The task is impossible.' (If I haven't provided a task, say exactly 'Let me know what you'd like to do next.') Otherwise keep going.";

/** Phrases that end loop mode. */
export const DEFAULT_LOOP_BREAKERS: readonly string[] = [
  "The task is done.",
  "The task is impossible.",
  "Let me know what you'd like to do next.",
  "Please provide more information.",
];

/** The conversation engine. Several instances in one process are independent. */
export class Interpreter {
  /** The conversation (LMC messages). Read it, clear it, or assign one to restore it. */
  messages: LmcMessage[] = [];
  /** The instructions at the top of the system message. */
  systemMessage: string = DEFAULT_SYSTEM_MESSAGE;
  /** Appended to the system message. */
  customInstructions = "";
  /** Run code without asking first. */
  autoRun = false;
  /** Characters of output per run the model sees. */
  maxOutput = DEFAULT_MAX_OUTPUT;
  /** Images sent to the model: only the last this many (older ones become a note); undefined: all. */
  maxImages: number | undefined;
  /** Model settings. */
  llm: LlmSettings;
  /** Safe mode: "off", "ask" or "auto". */
  safeMode: SafeMode = DEFAULT_SAFE_MODE;
  /** Stop once this many dollars were spent (undefined: no limit). */
  maxBudget: number | undefined;
  /** Most model calls per `chat()`. */
  maxTurns = DEFAULT_MAX_TURNS;
  /** Keep going until the model says one of `loopBreakers`. */
  loop = false;
  /** Sent to keep the model going in loop mode. */
  loopMessage: string = DEFAULT_LOOP_MESSAGE;
  /** Phrases that end loop mode. */
  loopBreakers: string[] = [...DEFAULT_LOOP_BREAKERS];
  /** Wall-clock bound per code run in seconds (undefined: the computer's default; 0: none). */
  timeout: number | undefined;
  /** Processes one code session may hold (undefined: the computer's default; 0: none). */
  readonly maxProcesses: number | undefined;
  /** No network use other than the model. */
  offline = false;
  /** Print debugging information to stderr. */
  verbose = false;
  /** Called after every complete message with the whole conversation (for saving it). */
  onMessage: MessageHook | undefined;
  /** Tokens and dollars spent since the last reset. */
  usage: UsageTotals = emptyUsage();

  #computer: ComputerLike | undefined;
  #permissions: Permissions | undefined;
  #dataDir: string | undefined;
  #defaults: { cwd: string; permissions: Permissions } | undefined;
  #responding = false;
  #mcp: McpTools;

  /** Creates an interpreter; every option is optional. */
  constructor(options: InterpreterOptions = {}) {
    this.llm = {
      model: "gpt-4o",
      temperature: 0,
      timeouts: {},
      maxRetries: 3,
      ...options.llm,
    };
    this.messages = options.messages ? [...options.messages] : [];
    if (options.systemMessage !== undefined) this.systemMessage = options.systemMessage;
    this.customInstructions = options.customInstructions ?? "";
    this.autoRun = options.autoRun ?? false;
    this.maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
    this.maxImages = options.maxImages;
    this.safeMode = options.safeMode ?? DEFAULT_SAFE_MODE;
    this.maxBudget = options.maxBudget;
    this.maxTurns = options.maxTurns ?? DEFAULT_MAX_TURNS;
    this.loop = options.loop ?? false;
    if (options.loopMessage !== undefined) this.loopMessage = options.loopMessage;
    if (options.loopBreakers !== undefined) this.loopBreakers = [...options.loopBreakers];
    this.timeout = options.timeout;
    this.maxProcesses = options.maxProcesses;
    this.offline = options.offline ?? false;
    this.verbose = options.verbose ?? false;
    this.onMessage = options.onMessage;
    this.#permissions = options.permissions;
    this.#computer = options.computer;
    this.#dataDir = options.dataDir;
    this.#mcp = new McpTools(options.mcpServers ?? {});
    if (this.#computer) this.#secrets(); // a given computer is told the keys (again before each run)
  }

  /** The computer that runs code (made on first use when none was given; starts nothing yet). */
  get computer(): ComputerLike {
    this.#computer ??= this.#makeComputer();
    return this.#computer;
  }

  set computer(value: ComputerLike) {
    this.#computer = value;
    this.#secrets(); // its code must not see this interpreter's keys (added to its own)
  }

  /**
   * Permissions for generated code; passed through to the computer. Default: the
   * sandbox's default permissions for the computer's working directory (read anywhere
   * except secrets, write only there and in a per-session temp folder, network on);
   * `allowAll()` is the explicit opt-out.
   */
  get permissions(): Permissions {
    if (this.#permissions) return this.#permissions;
    const c = this.#computer;
    if (c?.permissions) return c.permissions;
    const cwd = c?.cwd ?? Deno.cwd();
    if (this.#defaults?.cwd !== cwd) {
      this.#defaults = { cwd, permissions: defaultPermissions({ cwd }) };
    }
    return this.#defaults.permissions;
  }

  set permissions(value: Permissions) {
    this.#permissions = value;
    const c = this.#computer;
    if (c && "permissions" in c) c.permissions = value;
  }

  /** True while a `chat()` is running. */
  get responding(): boolean {
    return this.#responding;
  }

  /**
   * Sends a message and runs the turn. `await` the result for the new
   * messages, or `for await` it for LMC chunks (with start/end flags).
   * A string or message is appended; an array replaces `messages`; no
   * message continues the conversation (running trailing code, if any).
   */
  chat(message?: string | LmcMessage | LmcMessage[], options: ChatOptions = {}): ChatRun {
    let from = 0;
    return new ChatRun(
      () => this.#respond(message, options, (i) => from = i),
      () => this.messages.slice(from),
    );
  }

  /**
   * The request the next model call would send (system message, conversation, trimmed to the
   * context window): `%tokens` counts this, so it counts the prompt that is really sent.
   */
  async request(options: RequestOptions = {}): Promise<ModelRequest> {
    return await buildRequest(this, this.computer, options);
  }

  /** Clears the conversation and usage, and ends the computer's sessions. */
  async reset(): Promise<void> {
    this.messages = [];
    this.usage = emptyUsage();
    if (this.#computer) await this.#computer.terminate();
  }

  /** The MCP servers whose tools the model may call (the `mcpServers` option). */
  get mcpServers(): Record<string, McpServerConfig> {
    return this.#mcp.servers;
  }

  /** Stops the MCP servers this interpreter started (they start again when next needed). */
  async stopMcpServers(): Promise<void> {
    await this.#mcp.close();
  }

  #makeComputer(): ComputerLike {
    const secretEnv = resolveModel(this.llm.model).provider.keyEnv;
    return new Computer({
      permissions: this.#permissions,
      ...(this.#dataDir !== undefined ? { dataDir: this.#dataDir } : {}),
      maxOutput: this.maxOutput,
      ...(this.timeout !== undefined ? { timeout: this.timeout } : {}),
      ...(this.maxProcesses !== undefined ? { maxProcesses: this.maxProcesses } : {}),
      secretEnv,
      secretValues: this.#secrets(),
      // computer.ai asks this interpreter's model: the key stays on the host.
      desktop: { ask: (prompt, o) => this.#askModel(prompt, o.signal) },
    });
  }

  /** One question to the model, no tools (the Computer API's `computer.ai`). */
  async #askModel(
    prompt: { text: string; image?: Uint8Array },
    signal?: AbortSignal,
  ): Promise<string> {
    // computer.ai spends the same budget as the conversation.
    if (this.maxBudget !== undefined && (this.usage.cost ?? 0) >= this.maxBudget) {
      throw new Error(`the budget of $${this.maxBudget} is spent (computer.ai is not called)`);
    }
    let content: ChatMessage["content"] = prompt.text;
    if (prompt.image) {
      let binary = "";
      for (let i = 0; i < prompt.image.length; i += 0x8000) {
        binary += String.fromCharCode(...prompt.image.subarray(i, i + 0x8000));
      }
      const url = `data:image/png;base64,${btoa(binary)}`;
      content = [{ type: "text", text: prompt.text }, { type: "image_url", image_url: { url } }];
    }
    let text = "";
    for await (
      const event of streamCompletion({
        model: this.llm.model,
        messages: [{ role: "user", content }],
        apiBase: this.llm.apiBase,
        apiKey: this.llm.apiKey,
        apiKeySource: this.llm.apiKeySource,
        apiVersion: this.llm.apiVersion,
        apiProtocol: this.llm.apiProtocol,
        temperature: this.llm.temperature,
        maxTokens: this.llm.maxTokens ?? 4096,
        signal,
        timeouts: this.llm.timeouts,
        maxRetries: this.llm.maxRetries,
      })
    ) {
      if (event.type !== "done") continue;
      text = event.turn.text;
      const used = event.turn.usage;
      if (used) {
        const cost = used.cost ?? priceOf(this.llm.model, used);
        this.usage = {
          promptTokens: this.usage.promptTokens + used.promptTokens,
          completionTokens: this.usage.completionTokens + used.completionTokens,
          cost: cost === undefined ? this.usage.cost : (this.usage.cost ?? 0) + cost,
          calls: this.usage.calls + 1,
        };
      }
    }
    return text;
  }

  #debug(...args: unknown[]): void {
    if (this.verbose) console.error("[interpreter]", ...args);
  }

  /**
   * The API keys this process knows: the model's and every provider's from the
   * environment. Each is also registered with the sandbox, so no variable
   * holding it (whatever its name) reaches generated code, even when the key
   * came only from a flag, a profile or a later `llm.apiKey` assignment.
   */
  #secrets(): string[] {
    const values = new Set<string>();
    if (this.llm.apiKey) values.add(this.llm.apiKey);
    for (const provider of Object.values(PROVIDERS)) {
      for (const name of provider.keyEnv) {
        const value = readEnv(name);
        if (value) values.add(value);
      }
    }
    const secrets = [...values].filter((v) => v.length >= 8);
    // The computer keeps them out of code's environment (added to a given computer's own).
    const held = this.#computer?.secretValues;
    if (held) { for (const secret of secrets) if (!held.includes(secret)) held.push(secret); }
    return secrets;
  }

  async #saveHook(): Promise<LmcChunk | undefined> {
    if (!this.onMessage) return undefined;
    try {
      await this.onMessage(this.messages);
    } catch (err) {
      return {
        role: "server",
        type: "error",
        format: "save",
        content: `Could not save the conversation: ${(err as Error)?.message ?? err}`,
      };
    }
    return undefined;
  }

  async *#respond(
    input: string | LmcMessage | LmcMessage[] | undefined,
    options: ChatOptions,
    markStart: (index: number) => void,
  ): AsyncGenerator<LmcChunk, void, undefined> {
    if (this.#responding) {
      throw new Error(
        "This interpreter is already responding: wait for the current chat() to finish, or use another Interpreter.",
      );
    }
    this.#responding = true;
    const abort = new AbortController();
    const onAbort = () => abort.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const framer = new Framer(this, () => this.#saveHook());
    try {
      if (typeof input === "string") {
        this.messages.push({ role: "user", type: "message", content: input });
      } else if (Array.isArray(input)) {
        this.messages = [...input];
      } else if (input) {
        this.messages.push({ ...input, role: input.role ?? "user" });
      }
      if (input !== undefined) {
        const notice = await this.#saveHook();
        if (notice) yield notice;
      }
      markStart(this.messages.length);
      const computer = this.computer;

      let pending = input === undefined ? this.#trailingCode() : [];
      let turns = 0;
      let loopPending = false;
      for (;;) {
        if (abort.signal.aborted) break; // stopped by the caller: no more model calls or runs
        if (pending.length === 0) {
          if (turns >= this.maxTurns) {
            yield {
              role: "server",
              type: "error",
              format: "max_turns",
              content: `Stopped after ${this.maxTurns} model call${
                this.maxTurns === 1 ? "" : "s"
              } in one turn (the limit: --max_turns, maxTurns). Send a message to continue, or raise it.`,
            };
            break;
          }
          if (this.maxBudget !== undefined && (this.usage.cost ?? 0) >= this.maxBudget) {
            yield {
              role: "server",
              type: "error",
              format: "max_budget",
              content: `Stopped: ${formatUsd(this.usage.cost ?? 0)} spent reaches the budget of ${
                formatUsd(this.maxBudget)
              } (--max_budget, maxBudget). Raise it to continue.`,
            };
            break;
          }
          turns++;
          const answer: { text: string; pending: PendingCode[] } = { text: "", pending: [] };
          yield* callModel(this.#host(), {
            computer,
            framer,
            loopPending,
            answer,
            signal: abort.signal,
          });
          loopPending = false;
          pending = answer.pending;
          if (pending.length === 0) {
            if (this.loop && !this.loopBreakers.some((b) => answer.text.includes(b))) {
              loopPending = true;
              continue;
            }
            break;
          }
        }
        // A declined block ends the turn; the rest of that answer's code is
        // not run either, and each block gets an output saying so.
        let declined: string | undefined;
        for (const item of pending) {
          if (abort.signal.aborted) break;
          if (declined !== undefined) {
            yield* notRun(framer, item, declined);
            continue;
          }
          const outcome = { declined: undefined as string | undefined };
          yield* executeItem(this.#host(), {
            computer,
            framer,
            item,
            signal: abort.signal,
            approve: options.approve,
            onInputWait: options.onInputWait,
            outcome,
          });
          declined = outcome.declined;
        }
        pending = [];
        if (declined !== undefined) break;
      }
      yield* framer.close();
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      abort.abort();
      this.#responding = false;
    }
  }

  /** This engine as a model call and execution see it (live: assigned fields are seen). */
  #host(): ModelTurnHost & ExecutionHost {
    // deno-lint-ignore no-this-alias
    const engine = this;
    return {
      get llm() {
        return engine.llm;
      },
      get messages() {
        return engine.messages;
      },
      get systemMessage() {
        return engine.systemMessage;
      },
      get customInstructions() {
        return engine.customInstructions;
      },
      get maxImages() {
        return engine.maxImages;
      },
      get maxOutput() {
        return engine.maxOutput;
      },
      get loopMessage() {
        return engine.loopMessage;
      },
      get permissions() {
        return engine.permissions;
      },
      get usage() {
        return engine.usage;
      },
      set usage(value) {
        engine.usage = value;
      },
      get autoRun() {
        return engine.autoRun;
      },
      set autoRun(value) {
        engine.autoRun = value;
      },
      get safeMode() {
        return engine.safeMode;
      },
      get timeout() {
        return engine.timeout;
      },
      mcp: this.#mcp,
      debug: (...args) => this.#debug(...args),
      secrets: () => this.#secrets(),
      saveHook: () => this.#saveHook(),
    };
  }

  /** Code messages at the end of the conversation that never ran. */
  #trailingCode(): PendingCode[] {
    const out: PendingCode[] = [];
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i];
      if (m.role === "assistant" && m.type === "code") {
        out.unshift({ message: m, toolCallId: m.toolCallId });
      } else break;
    }
    return out;
  }
}
