/**
 * The HTTP routes: authentication, routing (404 / 405), and the handlers of
 * `/heartbeat`, `/chat`, `/history`, `/stop`, `/settings`, the WebSocket on
 * `/` and the OpenAI-compatible API.
 *
 * @module
 */

import type { LmcChunk } from "../wire/lmc.ts";
import { requestToken, tokensMatch } from "./auth.ts";
import { readJsonObject } from "./body.ts";
import { errorBody, errorResponse, HttpError, jsonResponse } from "./errors.ts";
import { MarkdownRenderer } from "./to_markdown.ts";
import {
  completionChunk,
  completionId,
  type CompletionRequest,
  modelList,
  parseCompletionRequest,
  usageObject,
} from "./openai.ts";
import { requestSessionId, type Session, sessionBusy, type SessionRegistry } from "./sessions.ts";
import { applySettings, readAllSettings, readSetting } from "./settings.ts";
import { sseData, sseResponse } from "./sse.ts";
import { completeStatus, runTurn } from "./turn.ts";
import { upgradeLmcSocket } from "./websocket.ts";

/** What the routes need from the server. */
export interface AppContext {
  /** The sessions. */
  registry: SessionRegistry;
  /** The access token. */
  token: string;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** Whether clients may switch auto_run on. */
  allowRemoteAutoRun: boolean;
  /** Milliseconds a WebSocket client has to authenticate. */
  authTimeoutMs: number;
  /** Open WebSockets (closed at shutdown). */
  sockets: Set<WebSocket>;
  /** True once shutdown has begun. */
  closing: boolean;
  /** When the server started (seconds since the epoch). */
  startedAt: number;
}

type Handler = (
  context: AppContext,
  request: Request,
  url: URL,
  param?: string,
) => Promise<Response>;

interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, {
    code: "unauthorized",
    headers: { "www-authenticate": 'Bearer realm="interpreter"' },
  });
}

function checkAuth(context: AppContext, request: Request): void {
  const given = requestToken(request.headers);
  if (given === undefined) {
    throw unauthorized(
      "Missing access token: send 'Authorization: Bearer <token>' or 'X-API-KEY: <token>' (the server printed its token at start, or uses INTERPRETER_API_KEY).",
    );
  }
  if (!tokensMatch(given, context.token)) {
    throw unauthorized(
      "Wrong access token: send the token the server printed at start (or INTERPRETER_API_KEY).",
    );
  }
}

async function sessionFor(context: AppContext, request: Request, url: URL): Promise<Session> {
  return await context.registry.get(requestSessionId(request, url));
}

async function heartbeat(): Promise<Response> {
  return await Promise.resolve(jsonResponse({ status: "alive" }));
}

async function root(context: AppContext, request: Request, url: URL): Promise<Response> {
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
    if (context.closing) {
      throw new HttpError(503, "The server is shutting down.", { code: "shutting_down" });
    }
    return upgradeLmcSocket(context, request, { sessionId: requestSessionId(request, url) });
  }
  checkAuth(context, request);
  return await Promise.resolve(jsonResponse({
    name: "interpreter",
    routes: [
      "GET /heartbeat",
      "GET /chat?message=...",
      "POST /chat",
      "GET /history",
      "DELETE /history",
      "POST /stop",
      "GET /settings",
      "GET /settings/{name}",
      "POST /settings",
      "WebSocket /",
      "POST /v1/chat/completions",
      "GET /v1/models",
    ],
    session: "X-Session-Id header or ?session= (default: 'default')",
  }));
}

/** `GET /chat?message=` or `POST /chat {"message"}`: the turn's LMC chunks as SSE. */
async function chat(context: AppContext, request: Request, url: URL): Promise<Response> {
  let message: unknown;
  if (request.method === "POST") {
    message = (await readJsonObject(request, context.maxBodyBytes)).message;
  } else {
    message = url.searchParams.get("message");
  }
  if (typeof message !== "string" || message === "") {
    throw new HttpError(
      400,
      'Send the message: GET /chat?message=... or POST /chat {"message": "..."}.',
      { code: "missing_message" },
    );
  }
  const session = await sessionFor(context, request, url);
  const ticket = context.registry.beginRun(session);
  const signal = ticket.controller.signal;
  async function* events(): AsyncGenerator<string> {
    try {
      for await (
        const chunk of runTurn(session, { message: message as string }, {
          approval: "decline",
          signal,
        })
      ) {
        yield sseData(chunk);
      }
      yield sseData(completeStatus());
    } finally {
      ticket.finish();
    }
  }
  return sseResponse(events(), { onCancel: () => ticket.controller.abort() });
}

async function history(context: AppContext, request: Request, url: URL): Promise<Response> {
  const session = await sessionFor(context, request, url);
  if (request.method === "DELETE") {
    if (session.run) throw sessionBusy(session);
    await session.discardPending();
    session.interpreter.messages = [];
    await context.registry.persist(session);
  }
  return jsonResponse({ session: session.id, messages: session.interpreter.messages });
}

async function stop(context: AppContext, request: Request, url: URL): Promise<Response> {
  const session = await sessionFor(context, request, url);
  const wasRunning = session.run !== null;
  const hadPending = session.pending !== null;
  await session.stopRun();
  await session.discardPending();
  return jsonResponse({ session: session.id, stopped: wasRunning, discarded: hadPending });
}

async function settings(
  context: AppContext,
  request: Request,
  url: URL,
  name?: string,
): Promise<Response> {
  const session = await sessionFor(context, request, url);
  const interpreter = session.interpreter;
  if (request.method === "POST") {
    const body = await readJsonObject(request, context.maxBodyBytes);
    if (session.run) throw sessionBusy(session);
    const changed = applySettings(interpreter, body, {
      allowRemoteAutoRun: context.allowRemoteAutoRun,
    });
    return jsonResponse({ session: session.id, settings: changed });
  }
  if (name === undefined) return jsonResponse(readAllSettings(interpreter));
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    throw new HttpError(400, "The setting name is not valid URL encoding.", {
      code: "invalid_setting_name",
    });
  }
  return jsonResponse({ [decoded]: readSetting(interpreter, decoded) });
}

async function models(context: AppContext, request: Request, url: URL): Promise<Response> {
  const session = await sessionFor(context, request, url);
  const given = session.interpreter.llm?.model; // a library user's engine may hold anything
  const model = typeof given === "string" ? given : undefined;
  return jsonResponse(modelList(context.startedAt, model));
}

/** Runs a completion turn: the request's conversation replaces the session's. */
async function* completionTurn(
  session: Session,
  parsed: CompletionRequest,
  signal: AbortSignal,
): AsyncGenerator<LmcChunk> {
  const interpreter = session.interpreter;
  const hasInstructions = typeof interpreter.customInstructions === "string";
  const savedInstructions = interpreter.customInstructions;
  if (parsed.instructions && hasInstructions) {
    interpreter.customInstructions = savedInstructions
      ? `${savedInstructions}\n\n${parsed.instructions}`
      : parsed.instructions;
  }
  try {
    await session.discardPending(); // before replacing the conversation it belongs to
    interpreter.messages = [...parsed.history];
    const input = parsed.message ? { message: parsed.message, before: parsed.attachments } : {
      message: parsed.attachments[parsed.attachments.length - 1],
      before: parsed.attachments.slice(0, -1),
    };
    yield* runTurn(session, input, { approval: "decline", signal });
  } finally {
    if (parsed.instructions && hasInstructions) interpreter.customInstructions = savedInstructions;
  }
}

async function completions(context: AppContext, request: Request, url: URL): Promise<Response> {
  const body = await readJsonObject(request, context.maxBodyBytes);
  const parsed = parseCompletionRequest(body);
  const session = await sessionFor(context, request, url);
  const ticket = context.registry.beginRun(session);
  const signal = ticket.controller.signal;
  const meta = { id: completionId(), created: Math.floor(Date.now() / 1000), model: parsed.model };
  const renderer = new MarkdownRenderer();

  if (!parsed.stream) {
    try {
      for await (const chunk of completionTurn(session, parsed, signal)) renderer.push(chunk);
      renderer.finish();
    } finally {
      ticket.finish();
    }
    if (renderer.onlyErrors) {
      return jsonResponse(
        errorBody(502, { code: "turn_failed", message: renderer.errors.join(" ") }),
        {
          status: 502,
        },
      );
    }
    const { promptTokens, completionTokens } = renderer.usage;
    return jsonResponse({
      id: meta.id,
      object: "chat.completion",
      created: meta.created,
      model: meta.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: renderer.text.trimEnd(), refusal: null },
        logprobs: null,
        finish_reason: "stop",
      }],
      usage: usageObject(promptTokens, completionTokens),
    });
  }

  async function* events(): AsyncGenerator<string> {
    try {
      yield sseData(completionChunk(meta, { role: "assistant", content: "" }));
      for await (const chunk of completionTurn(session, parsed, signal)) {
        const { content, reasoning } = renderer.push(chunk);
        if (reasoning) yield sseData(completionChunk(meta, { reasoning_content: reasoning }));
        if (content) yield sseData(completionChunk(meta, { content }));
      }
      const tail = renderer.finish();
      if (tail) yield sseData(completionChunk(meta, { content: tail }));
      if (renderer.onlyErrors) {
        // OpenAI's way to fail a stream: an error event (clients raise it).
        yield sseData(errorBody(502, { code: "turn_failed", message: renderer.errors.join(" ") }));
        return;
      }
      yield sseData(completionChunk(meta, {}, { finishReason: "stop" }));
      if (parsed.includeUsage) {
        const { promptTokens, completionTokens } = renderer.usage;
        yield sseData({
          id: meta.id,
          object: "chat.completion.chunk",
          created: meta.created,
          model: meta.model,
          choices: [],
          usage: usageObject(promptTokens, completionTokens),
        });
      }
      yield "data: [DONE]\n\n";
    } finally {
      ticket.finish();
    }
  }
  return sseResponse(events(), { onCancel: () => ticket.controller.abort() });
}

const ROUTES: Route[] = [
  { pattern: /^\/$/, methods: { GET: root } },
  { pattern: /^\/heartbeat$/, methods: { GET: heartbeat } },
  { pattern: /^\/chat$/, methods: { GET: chat, POST: chat } },
  { pattern: /^\/history$/, methods: { GET: history, DELETE: history } },
  { pattern: /^\/stop$/, methods: { POST: stop } },
  { pattern: /^\/settings$/, methods: { GET: settings, POST: settings } },
  { pattern: /^\/settings\/(.+)$/, methods: { GET: settings } },
  { pattern: /^\/(?:v1|openai)\/chat\/completions$/, methods: { POST: completions } },
  { pattern: /^\/(?:v1|openai)\/models$/, methods: { GET: models } },
];

/** Open routes (no token needed). The WebSocket checks its token itself. */
const OPEN = new Set<Handler>([heartbeat, root]);

/** Makes the request handler of the server. */
export function createHandler(context: AppContext): (request: Request) => Promise<Response> {
  return async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
      const route = ROUTES.find((candidate) => candidate.pattern.test(path));
      if (!route) {
        checkAuth(context, request); // do not reveal which routes exist without a token
        throw new HttpError(404, `No route ${path}: see GET / for the routes.`, {
          code: "not_found",
        });
      }
      const method = request.method === "HEAD" ? "GET" : request.method;
      const handler = route.methods[method];
      if (!handler || !OPEN.has(handler)) checkAuth(context, request);
      if (!handler) {
        const allow = Object.keys(route.methods).join(", ");
        throw new HttpError(405, `${request.method} is not allowed on ${path}: use ${allow}.`, {
          code: "method_not_allowed",
          headers: { allow },
        });
      }
      if (context.closing && handler !== heartbeat) {
        throw new HttpError(503, "The server is shutting down: try again later.", {
          code: "shutting_down",
        });
      }
      const param = route.pattern.exec(path)?.[1];
      return await handler(context, request, url, param);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
