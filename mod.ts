/**
 * `interpreter`: a language model that runs code on your computer.
 *
 * ```ts
 * import { interpreter } from "./mod.ts";
 *
 * interpreter.autoRun = true;
 * const messages = await interpreter.chat("What's 2380*3875?");
 *
 * for await (const chunk of interpreter.chat("Plot it", { stream: true })) {
 *   console.log(chunk);
 * }
 * ```
 *
 * @module
 */

import { Interpreter as Engine } from "./lib/core/interpreter.ts";
import type { ServerHandle, ServerOptions } from "./lib/server/types.ts";

/**
 * The conversation engine (`lib/core`), plus {@linkcode Interpreter.server}. The method is
 * added here, at the library's entry, so the engine itself never imports the server.
 */
export class Interpreter extends Engine {
  /**
   * Serves this interpreter over HTTP/WebSocket (`lib/server`); resolves once
   * it listens. Each client session gets a fresh Interpreter with these settings.
   */
  async server(options: ServerOptions = {}): Promise<ServerHandle> {
    // The server loads only when asked for, so it costs nothing at start-up.
    const { serveInterpreter } = await import("./lib/server/mod.ts");
    return await serveInterpreter(this, options);
  }
}

export {
  DEFAULT_LOOP_BREAKERS,
  DEFAULT_LOOP_MESSAGE,
  executeTool,
} from "./lib/core/interpreter.ts";
export { ChatRun } from "./lib/core/chat_run.ts";
export {
  type ApprovalDecision,
  type ApprovalRequest,
  type ApprovalSafety,
  type Approver,
  DECLINED_OUTPUT,
  UNAPPROVED_OUTPUT,
} from "./lib/wire/approval.ts";
export {
  DEFAULT_SYSTEM_MESSAGE,
  type MachineFacts,
  renderSystemMessage,
} from "./lib/core/system_message.ts";
export { toOpenAIMessages, type ToOpenAIOptions } from "./lib/core/to_openai.ts";
export type { ChatMessage, ChatToolCall, ContentPart, ToolSpec } from "./lib/wire/chat.ts";
export type {
  InterpreterFactory,
  InterpreterLike,
  ServerChatOptions,
  ServerComputerLike,
  ServerHandle,
  ServerLog,
  ServerOptions,
} from "./lib/server/types.ts";
export type { LmcChunk, LmcMessage, LmcRole, LmcType } from "./lib/wire/lmc.ts";
export type { McpHttpConfig, McpServerConfig, McpStdioConfig } from "./lib/mcp/config.ts";
export type {
  ChatOptions,
  InterpreterOptions,
  LlmSettings,
  MessageHook,
  SafeMode,
  UsageReport,
  UsageTotals,
} from "./lib/core/settings.ts";
export { LlmError, type LlmErrorKind } from "./lib/llm/errors.ts";
export type { LlmTimeouts } from "./lib/llm/client.ts";
export { KNOWN_MODELS, type ModelInfo, modelInfo } from "./lib/llm/models.ts";
export {
  type Protocol,
  type ProviderInfo,
  PROVIDERS,
  type ResolvedModel,
  resolveModel,
  type ResolveOptions,
} from "./lib/llm/providers.ts";
export type { ComputerLike, ComputerOptions, RunOptions } from "./lib/computer/types.ts";
export type { Grant, Permissions } from "./lib/sandbox/permissions.ts";
export {
  allowAll,
  defaultPermissions,
  describePermissions,
  permissionsFromFlags,
  permissionsFromProfile,
  type SafetyReport,
  scanCode,
} from "./lib/sandbox/mod.ts";
export type {
  DefaultPermissionsOptions,
  DescribeOptions,
  FlagValue,
  PermissionFlags,
  PermissionsFromFlagsOptions,
  PermissionsFromProfileOptions,
  SafetyFinding,
  SafetyLevel,
  ScanOptions,
} from "./lib/sandbox/mod.ts";

/**
 * A ready default instance (created lazily: no process starts until the first chat).
 * Its code runs under the default permissions, in the OS sandbox (read anywhere but
 * secrets, write only in the working directory); set `interpreter.permissions =
 * allowAll()` to run code unconfined.
 */
export const interpreter: Interpreter = new Interpreter();
