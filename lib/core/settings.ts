/**
 * Settings of an {@linkcode Interpreter} and of its model, and the shapes of
 * the usage it reports.
 *
 * @module
 */

import type { SafeMode } from "../settings/registry.ts";
import type { UsageReport, UsageTotals } from "../wire/usage.ts";
export type { UsageReport, UsageTotals };
import type { ComputerLike } from "../computer/types.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { LlmTimeouts } from "../llm/client.ts";
import type { Approver } from "../wire/approval.ts";
import type { ApiProtocol } from "../llm/providers.ts";
import type { LmcMessage } from "../wire/lmc.ts";
import type { McpServerConfig } from "../mcp/config.ts";

/** How code is checked before it runs: not at all, by asking, or automatically. */
export type { SafeMode };

/** Model settings (`interpreter.llm`). */
export interface LlmSettings {
  /** LiteLLM-style name: `gpt-4o`, `anthropic/claude-sonnet-4-20250514`, `ollama/qwen3`... */
  model: string;
  /** Base URL of an OpenAI-compatible endpoint (overrides the provider's). */
  apiBase?: string;
  /** The key (otherwise read from the provider's environment variable). Never stored in messages. */
  apiKey?: string;
  /** Where `apiKey` came from (`--api-key`, a profile...), named if the key is rejected. */
  apiKeySource?: string;
  /** Azure API version. */
  apiVersion?: string;
  /** OpenAI's chat completions or Responses API (default `auto`: Responses only where it must). */
  apiProtocol?: ApiProtocol;
  /** Sampling temperature (default 0: not sent). */
  temperature: number;
  /** Input context window in tokens (default: known per model, else 8000). */
  contextWindow?: number;
  /** Largest answer in tokens (default: known per model, at most a fifth of the window). */
  maxTokens?: number;
  /** Whether to use tool calling (default: known per model; local unknown models: false). */
  supportsFunctions?: boolean;
  /** Whether the model accepts images (default: known per model). */
  supportsVision?: boolean;
  /** Network wait bounds in milliseconds. */
  timeouts: LlmTimeouts;
  /** Retries of rate limits / server errors before the answer starts (default 3). */
  maxRetries: number;
}

/** Called after every complete message with the whole conversation (for saving it). */
export type MessageHook = (messages: LmcMessage[]) => void | Promise<void>;

/** Options of the {@linkcode Interpreter} constructor; every one is optional. */
export interface InterpreterOptions {
  /** The conversation to start from. */
  messages?: LmcMessage[];
  /** Replaces the default system message. */
  systemMessage?: string;
  /** Appended to the system message. */
  customInstructions?: string;
  /** Run code without asking (default false). */
  autoRun?: boolean;
  /** Characters of output per run the model sees (default 2800). */
  maxOutput?: number;
  /** Send only the last this many images to the model, older ones as a note (default: all). */
  maxImages?: number;
  /** Model settings. */
  llm?: Partial<LlmSettings>;
  /** The computer that runs code (default: a new `Computer`). */
  computer?: ComputerLike;
  /**
   * The data folder of the computer this interpreter makes (full outputs,
   * generated files). Default: the computer's, `dataDir()` of lib/storage
   * (`INTERPRETER_HOME` relocates it). Unused when `computer` is given.
   */
  dataDir?: string;
  /**
   * Permissions for generated code (passed to the computer). Default: the sandbox's
   * `defaultPermissions()` for the computer's working directory; `allowAll()` opts out.
   */
  permissions?: Permissions;
  /** MCP servers whose tools the model may call (profile `mcp_servers:`); started on first use. */
  mcpServers?: Record<string, McpServerConfig>;
  /** Safe mode (default "off"). */
  safeMode?: SafeMode;
  /** Stop once this many dollars were spent (default: no limit). */
  maxBudget?: number;
  /** Most model calls per `chat()` (default 50). */
  maxTurns?: number;
  /** Keep going until the model says one of `loopBreakers` (default false). */
  loop?: boolean;
  /** Sent to the model to keep it going in loop mode. */
  loopMessage?: string;
  /** Phrases that end loop mode. */
  loopBreakers?: string[];
  /** Wall-clock bound per code run in seconds (default: the computer's; 0 = none). */
  timeout?: number;
  /** Processes and threads one code session may hold at once (default 1024; 0 = no bound). */
  maxProcesses?: number;
  /** No network use other than the model itself. */
  offline?: boolean;
  /** Print debugging information to stderr. */
  verbose?: boolean;
  /** Called after every complete message (conversation saver). */
  onMessage?: MessageHook;
}

/** Options of `interpreter.chat()`. */
export interface ChatOptions {
  /** Stream chunks (iterate the result); otherwise await it for the new messages. Both work. */
  stream?: boolean;
  /** Render in the terminal UI (handled by the terminal; ignored by the library). */
  display?: boolean;
  /** Aborting stops the model call and any running code. */
  signal?: AbortSignal;
  /**
   * Decides about code that needs approval (auto-run off, or safe mode flagged
   * it). Without one, such code is declined: it never runs unasked.
   */
  approve?: Approver;
  /**
   * Answers a program that waits for input (the terminal asks the person);
   * without it such a wait is stopped (see `RunOptions.onInputWait`).
   */
  onInputWait?: () => Promise<string | undefined>;
}
