/**
 * Builds what one model call sends: the system message (with the languages,
 * permissions and Computer API in force), the conversation as OpenAI chat
 * messages (images prepared for the model's vision), the loop message, all
 * trimmed to the context window less the answer's tokens. The engine sends it;
 * `%tokens` counts it.
 *
 * @module
 */

import type { ComputerLike } from "../computer/types.ts";
import { modelInfo } from "../llm/models.ts";
import { resolveModel } from "../llm/providers.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { ChatMessage } from "../wire/chat.ts";
import type { LmcMessage } from "../wire/lmc.ts";
import type { LlmSettings } from "./settings.ts";
import { renderSystemMessage } from "./system_message.ts";
import { toOpenAIMessages } from "./to_openai.ts";
import { trimToFit } from "./trim.ts";

/** The engine's settings a request is built from. */
export interface RequestSource {
  /** Model settings. */
  llm: LlmSettings;
  /** The conversation. */
  messages: LmcMessage[];
  /** The instructions at the top of the system message. */
  systemMessage: string;
  /** Appended to the system message. */
  customInstructions: string;
  /** Images kept in the request (the last N), undefined: the default. */
  maxImages: number | undefined;
  /** Characters of each output the model sees. */
  maxOutput: number;
  /** The message that keeps the model going in loop mode. */
  loopMessage: string;
  /** The permissions when the computer has none of its own. */
  permissions: Permissions;
}

/** Options of {@linkcode buildRequest}. */
export interface RequestOptions {
  /** Loop mode's turn: the loop message is sent after the conversation. */
  loopPending?: boolean;
}

/** One model call's request and the facts it was built on. */
export interface ModelRequest {
  /** System message and conversation, before trimming. */
  chat: ChatMessage[];
  /** What is sent: `chat` trimmed to {@linkcode ModelRequest.budget} tokens. */
  messages: ChatMessage[];
  /** Tokens the sent messages may take (context window less the answer's tokens and a margin). */
  budget: number;
  /** The model calls tools (else code comes in markdown blocks). */
  functions: boolean;
  /** The model is sent images. */
  vision: boolean;
  /** The permissions in force for the code it writes. */
  permissions: Permissions;
  /** The model's context window in tokens. */
  contextWindow: number;
  /** Tokens reserved for the answer. */
  maxTokens: number;
  /** The provider speaks Anthropic's Messages API. */
  anthropic: boolean;
}

/** Whether the model calls tools: the setting, else the model table, else not for local servers. */
export function supportsFunctions(llm: LlmSettings): boolean {
  if (llm.supportsFunctions !== undefined) return llm.supportsFunctions;
  const info = modelInfo(llm.model);
  if (info) return info.supportsFunctions;
  return !resolveModel(llm.model, { apiBase: llm.apiBase }).provider.local;
}

/** The context window and the tokens kept for the answer. */
function requestLimits(llm: LlmSettings): { contextWindow: number; maxTokens: number } {
  const info = modelInfo(llm.model);
  const contextWindow = llm.contextWindow ?? info?.contextWindow ?? 8000;
  let maxTokens = llm.maxTokens ??
    Math.min(info?.maxOutput ?? 4096, Math.floor(contextWindow * 0.2));
  if (maxTokens >= contextWindow) maxTokens = Math.floor(contextWindow * 0.2);
  return { contextWindow, maxTokens };
}

/** Builds the request of the next model call for `source` running code on `computer`. */
export async function buildRequest(
  source: RequestSource,
  computer: ComputerLike,
  options: RequestOptions = {},
): Promise<ModelRequest> {
  const { llm } = source;
  const functions = supportsFunctions(llm);
  const languages = computer.languages;
  // The permissions in force are the computer's (a computer given without any: the default).
  const permissions = computer.permissions ?? source.permissions;
  // With display access the model is shown the Computer API (lib/desktop, loaded only then).
  const computerApi = permissions.display &&
      (languages.includes("python") || languages.includes("javascript"))
    ? (await import("../desktop/signatures.ts")).describeApi()
    : undefined;
  const system = renderSystemMessage(source.systemMessage, {
    languages,
    permissions,
    ...(computer.cwd ? { cwd: computer.cwd } : {}),
    markdownCode: !functions,
    customInstructions: source.customInstructions,
    computerApi,
  });
  const vision = llm.supportsVision ?? modelInfo(llm.model)?.supportsVision ?? false;
  // Images are read, capped, limited or replaced by their OCR text (lib/desktop/vision.ts).
  const history = source.messages.some((m) => m.type === "image")
    ? await (await import("../desktop/vision.ts")).prepareImages(source.messages, {
      vision,
      keepLast: source.maxImages,
    })
    : source.messages;
  const chat: ChatMessage[] = [
    { role: "system", content: system },
    ...toOpenAIMessages(history, { vision, maxOutput: source.maxOutput }),
  ];
  if (options.loopPending) chat.push({ role: "user", content: source.loopMessage });
  const { contextWindow, maxTokens } = requestLimits(llm);
  const budget = contextWindow - maxTokens - 25;
  return {
    chat,
    messages: await trimToFit(chat, budget),
    budget,
    functions,
    vision,
    permissions,
    contextWindow,
    maxTokens,
    anthropic: resolveModel(llm.model, { apiBase: llm.apiBase }).provider.protocol === "anthropic",
  };
}
