/**
 * The OpenAI-compatible endpoint: `POST /v1/chat/completions` (also
 * `/openai/chat/completions`) and `GET /v1/models`. Any OpenAI client can use
 * the interpreter as "a model that runs code".
 *
 * The request's conversation is the conversation: its messages replace the
 * session's (the client keeps the history, as with OpenAI), its system
 * messages are added to the custom instructions for that turn, and its last
 * message (which must come from the user) is answered. The session's code
 * sessions stay alive between requests, so a variable set in one request is
 * there in the next. The answer is markdown: the model's words, each piece of
 * code in a fenced block with its language, its output in an `output` block.
 * `model`, `temperature` and `max_tokens` of the request are not used: the
 * server's own model settings apply.
 *
 * @module
 */

import type { LmcMessage } from "../wire/lmc.ts";
import { HttpError } from "./errors.ts";

/** The id under which the interpreter lists itself in `/v1/models`. */
const MODEL_ID = "interpreter";

/** A parsed chat-completions request. */
export interface CompletionRequest {
  /** The model name to echo back. */
  model: string;
  /** Stream the answer as SSE chunks. */
  stream: boolean;
  /** Add a usage chunk at the end of a stream. */
  includeUsage: boolean;
  /** The earlier conversation, as LMC messages. */
  history: LmcMessage[];
  /** Images (and other parts) of the last user message, sent before its text. */
  attachments: LmcMessage[];
  /** The text of the last user message. */
  message: string;
  /** The request's system / developer messages, joined. */
  instructions: string;
}

function invalid(message: string): HttpError {
  return new HttpError(400, message, { code: "invalid_request" });
}

function imageMessage(url: string, role: "user"): LmcMessage {
  const match = /^data:image\/([a-zA-Z0-9.+-]+);base64,(.*)$/s.exec(url);
  if (!match) {
    return { role, type: "message", content: `(image at ${url})` };
  }
  return { role, type: "image", format: `base64.${match[1].toLowerCase()}`, content: match[2] };
}

/** Splits OpenAI content (a string or a list of parts) into text and image messages. */
function contentParts(
  content: unknown,
  where: string,
): { text: string; images: LmcMessage[] } {
  if (content === null || content === undefined) return { text: "", images: [] };
  if (typeof content === "string") return { text: content, images: [] };
  if (!Array.isArray(content)) {
    throw invalid(`${where}.content must be a string or a list of content parts.`);
  }
  const texts: string[] = [];
  const images: LmcMessage[] = [];
  content.forEach((part, index) => {
    if (part === null || typeof part !== "object") {
      throw invalid(`${where}.content[${index}] must be an object with a "type".`);
    }
    const p = part as Record<string, unknown>;
    if (p.type === "text" && typeof p.text === "string") texts.push(p.text);
    else if (p.type === "image_url") {
      const image = p.image_url as Record<string, unknown> | string | undefined;
      const url = typeof image === "string" ? image : image?.url;
      if (typeof url !== "string") {
        throw invalid(`${where}.content[${index}].image_url.url must be a string.`);
      }
      images.push(imageMessage(url, "user"));
    } else {
      throw invalid(
        `${where}.content[${index}] has unsupported type ${
          JSON.stringify(p.type)
        }: use "text" or "image_url".`,
      );
    }
  });
  return { text: texts.join("\n"), images };
}

/** Validates a chat-completions body and turns it into LMC. 400 with a clear message when wrong. */
export function parseCompletionRequest(body: Record<string, unknown>): CompletionRequest {
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalid('"messages" must be a non-empty list of chat messages.');
  }
  if (body.stream !== undefined && typeof body.stream !== "boolean") {
    throw invalid('"stream" must be true or false.');
  }
  if (body.model !== undefined && typeof body.model !== "string") {
    throw invalid('"model" must be a string.');
  }
  const history: LmcMessage[] = [];
  const instructions: string[] = [];
  let attachments: LmcMessage[] = [];
  let message = "";
  messages.forEach((raw, index) => {
    const where = `messages[${index}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw invalid(`${where} must be an object with "role" and "content".`);
    }
    const m = raw as Record<string, unknown>;
    const last = index === messages.length - 1;
    const { text, images } = contentParts(m.content, where);
    switch (m.role) {
      case "system":
      case "developer":
        if (last) throw invalid("The last message must come from the user.");
        if (text) instructions.push(text);
        break;
      case "user":
        if (last) {
          attachments = images;
          message = text;
        } else {
          history.push(...images);
          if (text) history.push({ role: "user", type: "message", content: text });
        }
        break;
      case "assistant":
        if (last) throw invalid("The last message must come from the user.");
        if (text) history.push({ role: "assistant", type: "message", content: text });
        break;
      case "tool":
      case "function":
        if (last) throw invalid("The last message must come from the user.");
        if (text) history.push({ role: "user", type: "message", content: `Tool output:\n${text}` });
        break;
      default:
        throw invalid(
          `${where}.role must be "system", "developer", "user", "assistant" or "tool".`,
        );
    }
  });
  if (!message && attachments.length === 0) {
    throw invalid("The last user message is empty: send some text.");
  }
  const streamOptions = body.stream_options as Record<string, unknown> | undefined;
  return {
    model: typeof body.model === "string" && body.model ? body.model : MODEL_ID,
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    history,
    attachments,
    message,
    instructions: instructions.join("\n\n"),
  };
}

/** A fresh completion id. */
export function completionId(): string {
  return `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`;
}

/** One streaming chunk (`chat.completion.chunk`). */
export function completionChunk(
  meta: { id: string; created: number; model: string },
  delta: Record<string, unknown>,
  options: { finishReason?: string } = {},
): unknown {
  return {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: options.finishReason ?? null }],
  };
}

/** The `usage` object of a response. */
export function usageObject(promptTokens: number, completionTokens: number): unknown {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** The body of `GET /v1/models`. */
export function modelList(created: number, underlying?: string): unknown {
  return {
    object: "list",
    data: [{
      id: MODEL_ID,
      object: "model",
      created,
      owned_by: "interpreter",
      ...(underlying ? { description: `runs code; answers with ${underlying}` } : {}),
    }],
  };
}
