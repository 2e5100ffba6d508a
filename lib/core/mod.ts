/**
 * The conversation engine: `Interpreter` and the pieces it is made of
 * (LMC types, settings, the chat result, conversion to OpenAI messages,
 * context trimming, code-block and tool-argument parsing).
 *
 * @module
 */

export {
  DEFAULT_LOOP_BREAKERS,
  DEFAULT_LOOP_MESSAGE,
  executeTool,
  Interpreter,
} from "./interpreter.ts";
export { ChatRun } from "./chat_run.ts";
export type { LmcChunk, LmcMessage, LmcRole, LmcType } from "./lmc.ts";
export type {
  ChatOptions,
  InterpreterOptions,
  LlmSettings,
  MessageHook,
  SafeMode,
  UsageReport,
  UsageTotals,
} from "./settings.ts";
export {
  DEFAULT_SYSTEM_MESSAGE,
  type MachineFacts,
  renderSystemMessage,
} from "./system_message.ts";
export { toOpenAIMessages, type ToOpenAIOptions, truncateOutput } from "./to_openai.ts";
export {
  countMessageTokens,
  countTextTokens,
  loadTokenizer,
  type TokenCounter,
  trimToFit,
} from "./trim.ts";
// Types of other parts that the engine's API mentions.
export type { ComputerLike, ComputerOptions, RunOptions } from "../computer/types.ts";
export type { Grant, Permissions } from "../sandbox/permissions.ts";
export type {
  InterpreterFactory,
  InterpreterLike,
  ServerChatOptions,
  ServerComputerLike,
  ServerHandle,
  ServerLog,
  ServerOptions,
} from "../server/types.ts";
export { CodeBlockParser, type FenceEvent } from "./code_blocks.ts";
export {
  type ExecuteArgs,
  parseExecuteArgs,
  type ParseExecuteOptions,
  partialExecuteArgs,
} from "./tool_args.ts";
