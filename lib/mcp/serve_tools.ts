/**
 * The tools `interpreter --mcp` serves: `execute`, `languages`, `reset`. Each
 * is a plain object (name, description, JSON schema, `call`), so more tools
 * (the Computer API under `--os`) are added by appending to the list that
 * {@linkcode serveTools} returns.
 *
 * @module
 */

import type { ComputerLike, RunOptions } from "../computer/types.ts";
import { redact } from "../wire/secrets.ts";
import { imageMimeType } from "../wire/lmc.ts";
import { type SafeMode, safetyDecision, scanCode } from "../sandbox/safe_mode.ts";

/** One piece of a tool result, in MCP's shape. */
export type ToolContent =
  | { type: "text"; text: string }
  | { type: "image"; data: string; mimeType: string };

/** What a served tool answers. */
export interface ToolResult {
  /** Text and images, in order. */
  content: ToolContent[];
  /** True when the call failed (the client's model reads the text). */
  isError?: boolean;
}

/** What a tool call may use besides its arguments. */
export interface ToolCallContext {
  /** Aborted when the client cancels the call (or the connection ends). */
  signal: AbortSignal;
  /** Reports progress (a no-op when the client sent no progress token). */
  progress(message: string): void;
  /**
   * Asks the person through the client (MCP elicitation). Resolves to "accept", "decline", or
   * "unsupported" when the client cannot ask.
   */
  confirm(message: string): Promise<"accept" | "decline" | "unsupported">;
}

/** A tool the MCP server offers. */
export interface ServeTool {
  /** The tool's name. */
  name: string;
  /** What it does, written for a model that has never seen it. */
  description: string;
  /** JSON schema of the arguments (an object schema). */
  inputSchema: { type: "object"; properties?: Record<string, unknown>; required?: string[] };
  /** MCP tool annotations (hints for clients). */
  annotations?: Record<string, unknown>;
  /** Runs the tool. */
  call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult>;
}

/** The engine settings the served tools follow (a subset of `Interpreter`). */
export interface ServeSession {
  /** The computer whose live sessions run the code (state persists between calls). */
  readonly computer: ComputerLike;
  /** Safe mode, exactly as in the chat. */
  safeMode: SafeMode;
  /** Wall-clock bound per run in seconds (undefined: the computer's default). */
  timeout?: number;
  /** The API keys this process knows (replaced in output). */
  secrets(): string[];
  /** One line describing the permissions code runs under (shown in the tool description). */
  permissionsLine?: string;
}

/** Builds the tool list for one session. */
export function serveTools(session: ServeSession): ServeTool[] {
  return [executeTool(session), languagesTool(session), resetTool(session)];
}

function text(value: string, isError = false): ToolResult {
  return isError ? { content: [{ type: "text", text: value }], isError } : {
    content: [{ type: "text", text: value }],
  };
}

function resolveLanguage(computer: ComputerLike, name: string): string | undefined {
  const resolver = computer.resolveLanguage;
  if (typeof resolver === "function") {
    const resolved: unknown = resolver.call(computer, name);
    return typeof resolved === "string" && computer.languages.includes(resolved)
      ? resolved
      : undefined;
  }
  return computer.languages.find((l) => l.toLowerCase() === name.toLowerCase());
}

/** Seconds between "still running" progress notifications while a run is silent. */
export const PROGRESS_HEARTBEAT_SECONDS = 5;
/** At most one output progress notification per this many milliseconds. */
const PROGRESS_THROTTLE_MS = 250;

function executeTool(session: ServeSession): ServeTool {
  const languages = session.computer.languages;
  return {
    name: "execute",
    description: [
      "Runs code on the user's computer in a live session and returns its output (standard output",
      "and errors together; plots and images come back as images). Each language has one session",
      "that persists between calls: variables, imports, functions and the working directory are",
      "kept, so build on earlier calls instead of repeating them. Python runs as a REPL (the value",
      "of a last expression is shown); shell code is sourced by bash. Long outputs are cut to their",
      "head and tail with the path of the full output. Programs that wait for input are stopped.",
      `Languages: ${languages.join(", ")} (call \`languages\` to list them).`,
      session.permissionsLine ? `Code runs under: ${session.permissionsLine}.` : "",
      "Call `reset` to start over with fresh sessions.",
    ].filter(Boolean).join(" "),
    inputSchema: {
      type: "object",
      properties: {
        language: {
          type: "string",
          description: "The language of the code, e.g. python or shell.",
          ...(languages.length ? { enum: [...languages] } : {}),
        },
        code: { type: "string", description: "The code to run." },
      },
      required: ["language", "code"],
    },
    annotations: { title: "Run code", readOnlyHint: false, destructiveHint: true },
    call: (args, context) => runExecute(session, args, context),
  };
}

async function runExecute(
  session: ServeSession,
  args: Record<string, unknown>,
  context: ToolCallContext,
): Promise<ToolResult> {
  const computer = session.computer;
  if (typeof args.language !== "string" || typeof args.code !== "string") {
    return text(
      "execute needs two text arguments: language (e.g. python) and code.",
      true,
    );
  }
  const language = resolveLanguage(computer, args.language);
  if (!language) {
    return text(
      `\`${args.language}\` is not a language this machine can run. Use one of: ${
        computer.languages.join(", ")
      }.`,
      true,
    );
  }
  const code = args.code;
  if (!code.trim()) return text("The code was empty: send the code to run.", true);

  // Safe mode, as in the chat: `auto` refuses unsafe code; flagged code is asked about
  // (through the client when it can ask, else refused with the reasons).
  if (session.safeMode !== "off") {
    const cwd = computer.cwd;
    const report = scanCode(language, code, cwd ? { cwd } : {});
    const decision = safetyDecision(session.safeMode, report);
    if (decision.action === "refuse") {
      return text(decision.message ?? "Safe mode refused to run this code.", true);
    }
    if (decision.action === "ask") {
      const reasons = report.reasons.join("; ");
      const answer = await context.confirm(
        `Safe mode flagged this ${language} code (${report.level}): ${reasons}. Run it anyway?\n\n${code}`,
      );
      if (answer === "unsupported") {
        return text(
          `Not run: safe mode flagged this code (${reasons}) and this MCP client cannot ask the person to confirm it. Find a safer way, or ask the user to run it themselves.`,
          true,
        );
      }
      if (answer !== "accept") {
        return text("Not run: the user declined this code after safe mode flagged it.", true);
      }
    }
  }

  const options: RunOptions = { signal: context.signal };
  if (session.timeout !== undefined) options.timeout = session.timeout;
  const secrets = session.secrets();
  let output = "";
  const images: ToolContent[] = [];
  let lastProgress = 0;
  let lastLine = "";
  const started = Date.now();
  const heartbeat = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    context.progress(`running for ${seconds}s${lastLine ? `: ${lastLine}` : ""}`);
  }, PROGRESS_HEARTBEAT_SECONDS * 1000);
  try {
    for await (const chunk of computer.stream(language, code, options)) {
      if (chunk.start || chunk.end) continue;
      if (chunk.type === "console" && chunk.format === "output") {
        const piece = typeof chunk.content === "string" ? chunk.content : "";
        if (chunk.recipient !== "user") output += piece;
        if (chunk.recipient !== "assistant" && piece.trim()) {
          const lines = redact(piece, secrets).split(/[\r\n]+/).filter((l) => l.trim());
          lastLine = (lines.at(-1) ?? lastLine).slice(0, 200);
          if (Date.now() - lastProgress >= PROGRESS_THROTTLE_MS) {
            lastProgress = Date.now();
            context.progress(lastLine);
          }
        }
      } else if (chunk.type === "image" && typeof chunk.content === "string") {
        const format = String(chunk.format ?? "base64.png");
        if (format.startsWith("base64")) {
          images.push({ type: "image", data: chunk.content, mimeType: imageMimeType(format) });
        } else {
          output += `\n[image: ${chunk.content}]\n`;
        }
      }
    }
  } finally {
    clearInterval(heartbeat);
  }
  if (context.signal.aborted) return text("Cancelled: the run was stopped.", true);
  const shown = redact(output, secrets);
  return {
    content: [{ type: "text", text: shown.trim() ? shown : "(no output)" }, ...images],
  };
}

function languagesTool(session: ServeSession): ServeTool {
  return {
    name: "languages",
    description: "Lists the languages `execute` can run on this computer (one live session each).",
    inputSchema: { type: "object", properties: {} },
    annotations: { title: "List languages", readOnlyHint: true },
    call: () => Promise.resolve(text(session.computer.languages.join("\n"))),
  };
}

function resetTool(session: ServeSession): ServeTool {
  return {
    name: "reset",
    description:
      "Ends every live session (and every process code started): variables, imports and the working directory are forgotten. The next `execute` starts fresh.",
    inputSchema: { type: "object", properties: {} },
    annotations: { title: "Reset sessions", destructiveHint: true, idempotentHint: true },
    call: async () => {
      await session.computer.terminate();
      return text("Every session was ended; the next execute starts fresh.");
    },
  };
}
