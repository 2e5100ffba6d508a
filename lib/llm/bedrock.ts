/**
 * Amazon Bedrock's Converse stream API (`POST /model/{id}/converse-stream`):
 * the request built from OpenAI-style messages and tools, signed with SigV4
 * by `@smithy/signature-v4` (or sent with a Bedrock API key as a bearer
 * token), and the assembler of its events (`messageStart`,
 * `contentBlockStart/Delta/Stop`, `messageStop`, `metadata`, exceptions),
 * which arrive in AWS's binary event-stream framing (see eventstream.ts).
 * Amazon Nova writes its reasoning between `<thinking>` tags in the text:
 * that becomes reasoning, like Claude's `reasoningContent`.
 *
 * @module
 */

import { type AssembledTurn, finishedCalls, type StreamEvent, ThinkSplitter } from "./assembler.ts";
import type { TokenUsage, ToolCall } from "./assembler.ts";
import { type AwsAuth, awsAuth, type AwsKeys } from "./aws_credentials.ts";
import { LlmError } from "./errors.ts";
import { errorDetail, HttpFailure, oneLine } from "./http.ts";
import { bedrockApiBase, readEnv, type ResolvedModel } from "./providers.ts";
import type { ChatMessage } from "../wire/chat.ts";
import type { CompletionRequest, Wire } from "./wire.ts";

type Block = Record<string, unknown>;

function imageBlock(url: string): Block {
  const match = /^data:image\/(png|jpe?g|gif|webp);base64,(.*)$/s.exec(url);
  if (!match) return { text: `[image: ${url}]` };
  return {
    image: { format: match[1] === "jpg" ? "jpeg" : match[1], source: { bytes: match[2] } },
  };
}

function blocks(content: ChatMessage["content"]): Block[] {
  if (content === null) return [];
  if (typeof content === "string") return content.trim() ? [{ text: content }] : [];
  return content.flatMap((part): Block[] =>
    part.type === "image_url"
      ? [imageBlock(part.image_url.url)]
      : part.text.trim()
      ? [{ text: part.text }]
      : []
  );
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return { code: text };
  }
}

/** Builds a Converse request body from OpenAI-style messages and tools. */
function toConverseRequest(req: CompletionRequest): Record<string, unknown> {
  const system: Block[] = [];
  const messages: { role: "user" | "assistant"; content: Block[] }[] = [];
  const add = (role: "user" | "assistant", content: Block[]) => {
    if (!content.length) return;
    const last = messages[messages.length - 1];
    if (last?.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  for (const m of req.messages) {
    if (m.role === "system") system.push(...blocks(m.content));
    else if (m.role === "tool") {
      const text = typeof m.content === "string" ? m.content : blocks(m.content)
        .map((b) => String(b.text ?? "")).join("");
      add("user", [{
        toolResult: {
          toolUseId: m.tool_call_id,
          content: [{ text: text || "(no output)" }],
          status: "success",
        },
      }]);
    } else if (m.role === "assistant") {
      add("assistant", [
        ...blocks(m.content),
        ...(m.tool_calls ?? []).map((call) => ({
          toolUse: {
            toolUseId: call.id,
            name: call.function.name,
            input: parseInput(call.function.arguments),
          },
        })),
      ]);
    } else add("user", blocks(m.content));
  }
  const body: Record<string, unknown> = { messages };
  if (system.length) body.system = system;
  const inference: Record<string, number> = {};
  if (req.maxTokens) inference.maxTokens = req.maxTokens;
  if (req.temperature) inference.temperature = req.temperature;
  if (Object.keys(inference).length) body.inferenceConfig = inference;
  if (req.tools?.length) {
    body.toolConfig = {
      tools: req.tools.map((t) => ({
        toolSpec: {
          name: t.function.name,
          description: t.function.description,
          inputSchema: { json: t.function.parameters },
        },
      })),
    };
  }
  return body;
}

const STOP_REASONS: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  tool_use: "tool_calls",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

/** Assembles a Converse stream from its decoded events (`{ eventType: payload }`). */
class BedrockStreamAssembler {
  #text = "";
  #reasoning = "";
  #calls: ToolCall[] = [];
  #byBlock = new Map<number, ToolCall>();
  #finish: string | null = null;
  #usage: TokenUsage | undefined;
  #think = new ThinkSplitter("thinking");

  /** Adds one decoded event; returns what it added. */
  push(event: unknown): StreamEvent[] {
    if (!event || typeof event !== "object") return [];
    const e = event as Record<string, Block | undefined>;
    if (e.exception) throw streamException(e.exception);
    if (e.contentBlockStart) {
      const start = (e.contentBlockStart.start ?? {}) as Block;
      const use = start.toolUse as Block | undefined;
      if (!use) return [];
      const call = { id: String(use.toolUseId), name: String(use.name), arguments: "" };
      this.#calls.push(call);
      this.#byBlock.set(Number(e.contentBlockStart.contentBlockIndex), call);
      return [this.#callEvent(call)];
    }
    if (e.contentBlockDelta) {
      const delta = (e.contentBlockDelta.delta ?? {}) as Block;
      if (typeof delta.text === "string") return this.#apply(this.#think.push(delta.text));
      const use = delta.toolUse as Block | undefined;
      if (use) {
        const call = this.#byBlock.get(Number(e.contentBlockDelta.contentBlockIndex));
        if (!call) return [];
        call.arguments += String(use.input ?? "");
        return [this.#callEvent(call)];
      }
      const reasoning = delta.reasoningContent as Block | undefined;
      if (typeof reasoning?.text === "string" && reasoning.text) {
        this.#reasoning += reasoning.text;
        return [{ type: "reasoning", text: reasoning.text }];
      }
      return [];
    }
    if (e.messageStop) {
      const reason = String(e.messageStop.stopReason ?? "end_turn");
      this.#finish = STOP_REASONS[reason] ?? "stop";
      return [];
    }
    if (e.metadata) {
      const usage = e.metadata.usage as Record<string, number> | undefined;
      if (usage && typeof usage.inputTokens === "number") {
        this.#usage = {
          promptTokens: usage.inputTokens + (usage.cacheReadInputTokens ?? 0) +
            (usage.cacheWriteInputTokens ?? 0),
          completionTokens: usage.outputTokens ?? 0,
        };
      }
    }
    return [];
  }

  /** Releases text held back while looking for a `<thinking>` tag. */
  flush(): StreamEvent[] {
    return this.#apply(this.#think.flush());
  }

  /** The answer so far. */
  result(): AssembledTurn {
    return {
      text: this.#text,
      reasoning: this.#reasoning,
      toolCalls: finishedCalls(this.#calls),
      finishReason: this.#finish,
      usage: this.#usage,
    };
  }

  #apply(events: StreamEvent[]): StreamEvent[] {
    for (const e of events) {
      if (e.type === "text") this.#text += e.text;
      else if (e.type === "reasoning") this.#reasoning += e.text;
    }
    return events;
  }

  #callEvent(call: ToolCall): StreamEvent {
    return { type: "tool_call", index: this.#calls.indexOf(call), call: { ...call } };
  }
}

function streamException(exception: Block): LlmError {
  const type = String(exception.type ?? "exception");
  const said = oneLine(String(exception.message ?? ""));
  const kind = /throttl/i.test(type)
    ? "rate_limit"
    : /internal|unavailable|modelStreamError/i.test(type)
    ? "server"
    : /validation/i.test(type)
    ? "bad_request"
    : "provider";
  const fix = kind === "rate_limit"
    ? "Wait a minute and try again."
    : kind === "bad_request"
    ? "Check the model id and settings."
    : "Try again.";
  return new LlmError(
    kind,
    `Amazon Bedrock reported ${type} mid-answer${said ? `: ${said}` : ""}. ${fix}`,
  );
}

/** The one-line error for a Bedrock refusal that a retry cannot fix, or undefined. */
function refusal(
  status: number,
  headers: Headers,
  detail: string,
  ctx: { auth: AwsAuth; model: string; region: string },
): LlmError | undefined {
  const type = (headers.get("x-amzn-errortype") ?? "").split(":")[0];
  const said = detail ? ` (${oneLine(detail, 160)})` : "";
  const text = `${type} ${detail}`;
  if (/ExpiredToken|security token included in the request is expired/i.test(text)) {
    return new LlmError(
      "auth",
      `Amazon Bedrock refused the request: the AWS session token from ${ctx.auth.source} has expired (${status}). Refresh the credentials (aws sso login, or a new AWS_SESSION_TOKEN) and try again.`,
      { status },
    );
  }
  if (
    /UnrecognizedClient|InvalidSignature|security token included in the request is invalid/i.test(
      text,
    )
  ) {
    return new LlmError(
      "auth",
      `Amazon Bedrock rejected the AWS credentials from ${ctx.auth.source} (${status})${said}. Check the access key and secret, or set AWS_PROFILE.`,
      { status },
    );
  }
  if (/AccessDenied/i.test(text) || status === 403) {
    return new LlmError(
      "auth",
      `Amazon Bedrock denied access to ${ctx.model} in ${ctx.region} (${status})${said}. Enable the model in the Bedrock console for that region, or check the IAM policy.`,
      { status },
    );
  }
  if (/on-demand throughput/i.test(detail)) {
    return new LlmError(
      "bad_request",
      `Amazon Bedrock does not serve ${ctx.model} on demand in ${ctx.region}${said}. Use its inference profile id (e.g. us.${ctx.model}).`,
      { status },
    );
  }
  return undefined;
}

/** Opens a Bedrock Converse stream request: finds credentials and region, signs when sending. */
export async function bedrockWire(resolved: ResolvedModel, req: CompletionRequest): Promise<Wire> {
  const env = req.env ?? readEnv;
  const auth = await awsAuth(env, req.apiKey);
  let apiBase = resolved.apiBase;
  if (!apiBase) {
    if (!auth.region) {
      throw new LlmError(
        "bad_request",
        `No AWS region for Amazon Bedrock: set AWS_REGION (e.g. us-east-1), or region in ~/.aws/config for profile "${auth.profile}".`,
      );
    }
    apiBase = bedrockApiBase(auth.region);
  }
  const region = auth.region ?? /bedrock-runtime\.([a-z0-9-]+)\./.exec(apiBase)?.[1] ??
    "us-east-1";
  const url = new URL(`${apiBase}/model/${encodeURIComponent(resolved.model)}/converse-stream`);
  const body = JSON.stringify(toConverseRequest(req));
  const ready: ResolvedModel = { ...resolved, apiBase };
  return {
    framing: "eventstream",
    assembler: new BedrockStreamAssembler(),
    resolved: ready,
    async send(signal, firstByte) {
      let headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/vnd.amazon.eventstream",
      };
      if ("bearer" in auth.credentials) {
        headers.authorization = `Bearer ${auth.credentials.bearer}`;
      } else {
        headers = await sign(url, body, headers, { keys: auth.credentials.keys, region });
      }
      const res = await fetch(url, { method: "POST", headers, body, signal });
      if (!res.ok) {
        const detail = await errorDetail(res, firstByte);
        throw refusal(res.status, res.headers, detail, { auth, model: resolved.model, region }) ??
          new HttpFailure(res.status, res.headers, detail);
      }
      return res;
    },
  };
}

async function sign(
  url: URL,
  body: string,
  headers: Record<string, string>,
  ctx: { keys: AwsKeys; region: string },
): Promise<Record<string, string>> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
    import("npm:@smithy/signature-v4@5.7.5"),
    import("npm:@aws-crypto/sha256-js@5.2.0"),
  ]);
  const signer = new SignatureV4({
    service: "bedrock",
    region: ctx.region,
    credentials: ctx.keys,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: {},
    headers: { ...headers, host: url.host },
    body,
  });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name.toLowerCase() !== "host") out[name] = String(value);
  }
  return out;
}
