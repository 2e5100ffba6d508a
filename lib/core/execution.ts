/**
 * Executing what a model call queued: safe mode's scan, the approval protocol
 * (an approver decides; without one, code is declined), then the run on the
 * computer with its output framed, stored and scrubbed of known keys.
 *
 * @module
 */

import type { ComputerLike, RunOptions } from "../computer/types.ts";
import { safetyDecision, scanCode } from "../sandbox/safe_mode.ts";
import {
  type ApprovalDecision,
  type ApprovalRequest,
  checkDecision,
  DECLINED_OUTPUT,
  UNAPPROVED_OUTPUT,
} from "../wire/approval.ts";
import type { ConfirmationContent, LmcChunk, LmcMessage } from "../wire/lmc.ts";
import { redact } from "../wire/secrets.ts";
import type { Framer } from "./framer.ts";
import type { McpTools } from "./mcp_tools.ts";
import { NOT_CODE, type PendingCode, resolveLanguage } from "./model_turn.ts";
import type { ChatOptions, SafeMode } from "./settings.ts";

/** What execution reads from and writes to the engine. */
export interface ExecutionHost {
  /** The conversation. */
  readonly messages: LmcMessage[];
  /** Runs code without asking (an "always" decision sets it). */
  autoRun: boolean;
  /** How code is scanned before it runs. */
  readonly safeMode: SafeMode;
  /** Characters of output the model sees per run. */
  readonly maxOutput: number;
  /** Seconds per run (undefined: the computer's default). */
  readonly timeout: number | undefined;
  /** The MCP servers' tools. */
  readonly mcp: McpTools;
  /** The API keys to scrub from output (also handed to the computer). */
  secrets(): string[];
  /** Calls the save hook after a stored message; a notice chunk when it failed. */
  saveHook(): Promise<LmcChunk | undefined>;
}

/** One item's execution. */
export interface ExecuteOptions {
  /** The machine the code runs on. */
  computer: ComputerLike;
  /** Frames and stores the chunks. */
  framer: Framer;
  /** What the model call queued. */
  item: PendingCode;
  /** Stops the turn. */
  signal: AbortSignal;
  /** Decides about code that needs approval. */
  approve?: ChatOptions["approve"];
  /** Answers a program waiting for input. */
  onInputWait?: ChatOptions["onInputWait"];
  /** Set to the output recorded when the code was declined. */
  outcome: { declined: string | undefined };
}

/** Records `reason` as the output of code that is not run. */
export async function* notRun(
  framer: Framer,
  item: PendingCode,
  reason: string,
): AsyncGenerator<LmcChunk, void, undefined> {
  const toolCallId = item.toolCallId;
  yield* framer.chunk({
    role: "computer",
    type: "console",
    format: "output",
    content: reason,
    toolCallId,
  });
  yield* framer.close();
}

/**
 * Asks `approve` about `message` (racing the turn's abort). Without an
 * approver the code is declined. Undefined when the turn was stopped.
 */
async function decide(
  request: ApprovalRequest,
  options: { signal: AbortSignal; approve?: ChatOptions["approve"] },
): Promise<ApprovalDecision | undefined> {
  const { signal, approve } = options;
  if (!approve) return { action: "decline", reason: UNAPPROVED_OUTPUT };
  let onAbort = () => {};
  const stopped = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    if (signal.aborted) return undefined;
    const decision = await Promise.race([
      Promise.resolve(approve(request, { signal })).then(checkDecision),
      stopped,
    ]);
    return signal.aborted ? undefined : decision;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Runs one queued item: an unparseable call's error, an MCP tool call, or code (safe mode's
 * scan, the approval, then the computer's stream, with known keys redacted from the output).
 */
export async function* executeItem(
  host: ExecutionHost,
  options: ExecuteOptions,
): AsyncGenerator<LmcChunk, void, undefined> {
  const { computer, framer, item, signal } = options;
  const toolCallId = item.toolCallId;
  const output = (content: string) =>
    framer.chunk({ role: "computer", type: "console", format: "output", content, toolCallId });
  if (item.error) {
    yield* output(item.error);
    yield* framer.close();
    return;
  }
  if (item.mcp && toolCallId) {
    yield* host.mcp.run(item.mcp, toolCallId, {
      autoRun: host.autoRun,
      signal,
      secrets: host.secrets(),
      chunk: (c) => framer.chunk(c),
      close: () => framer.close(),
      decide: (request) => decide(request, options),
      stored: item.message,
      always: () => host.autoRun = true,
      notRun: (reason) => {
        options.outcome.declined = reason;
        return notRun(framer, item, reason);
      },
    });
    return;
  }

  const message = item.message;
  // seam: safe mode — scan before asking; flagged code is asked about even under autoRun.
  const safety = host.safeMode === "off" ? undefined : scanCode(
    String(message.format ?? ""),
    String(message.content ?? ""),
    { cwd: computer.cwd },
  );
  const decision = safety ? safetyDecision(host.safeMode, safety) : undefined;
  if (decision?.action === "refuse") {
    // Ephemeral, never stored: tells a display that safe mode refused (the CLI exits 3).
    yield* framer.close();
    yield {
      role: "computer",
      type: "review",
      format: "safe_mode_refused",
      content: decision.message,
    };
    yield* output(decision.message ?? "Safe mode refused to run this code.");
    yield* framer.close();
    return;
  }
  if (!host.autoRun || decision?.action === "ask") {
    yield* framer.close();
    const content: ConfirmationContent = {
      type: "code",
      format: message.format,
      content: typeof message.content === "string" ? message.content : undefined,
    };
    if (safety) {
      content.safety = {
        level: safety.level,
        reasons: safety.reasons.length > 0
          ? safety.reasons
          : [`No issues were found in this ${message.format ?? ""} code.`],
      };
    }
    const confirmation: LmcChunk = {
      role: "computer",
      type: "confirmation",
      format: "execution",
      content,
    };
    // Shown for display (and Open Interpreter clients); the decision comes from the approver.
    yield confirmation;
    if (signal.aborted) return;
    const request: ApprovalRequest = {
      id: toolCallId ?? `code-${host.messages.indexOf(message)}`,
      language: String(message.format ?? ""),
      code: String(message.content ?? ""),
    };
    if (content.safety) request.safety = content.safety;
    const decision = await decide(request, options);
    // Stopped while the person was being asked: the code must not run.
    if (!decision || signal.aborted) return;
    if (decision.action === "decline") {
      options.outcome.declined = decision.reason ?? DECLINED_OUTPUT;
      yield* notRun(framer, item, options.outcome.declined);
      return;
    }
    if (decision.action === "always") host.autoRun = true;
    if (decision.action === "edit") {
      // The stored message holds what really ran, so the model sees the edit.
      message.content = decision.code;
    }
  }
  // seam: safe mode (auto) — code is about to run here.

  const code = String(message.content ?? "");
  const requested = String(message.format ?? "");
  if (NOT_CODE.has(requested.toLowerCase())) {
    yield* output(`Not run: \`${requested}\` is text, not code.`);
    yield* framer.close();
    return;
  }
  const language = resolveLanguage(computer, requested);
  if (!language) {
    yield* output(
      `\`${requested}\` is not a language this machine can run. Use one of: ${
        computer.languages.join(", ")
      }.`,
    );
    yield* framer.close();
    return;
  }
  if (!code.trim()) {
    yield* output(
      "Code block was empty. Please try again, be sure to write code before executing.",
    );
    yield* framer.close();
    return;
  }

  if (typeof computer.maxOutput === "number") computer.maxOutput = host.maxOutput;
  const runOptions: RunOptions = { signal };
  if (options.onInputWait) runOptions.onInputWait = options.onInputWait;
  if (host.timeout !== undefined) runOptions.timeout = host.timeout;
  let finished = false;
  let produced = false;
  // Known API keys are replaced in output, so they never reach the model or a saved conversation.
  const secrets = host.secrets();
  const firstOutput = host.messages.length;
  try {
    for await (const chunk of computer.stream(language, code, runOptions)) {
      if (chunk.start || chunk.end) continue;
      // The chunk's type and content (typed together); text content redacted.
      const { start: _s, end: _e, role: _r, format: _f, recipient: _p, toolCallId: _t, ...body } =
        chunk;
      if (typeof body.content === "string") body.content = redact(body.content, secrets);
      const out: LmcChunk = { role: "computer", ...body };
      if (chunk.format !== undefined) out.format = chunk.format;
      if (chunk.recipient) out.recipient = chunk.recipient;
      if (toolCallId) out.toolCallId = toolCallId;
      if (
        out.type === "console" && out.format === "output" && out.content &&
        out.recipient !== "user"
      ) produced = true;
      yield* framer.chunk(out);
    }
    finished = true;
  } catch (err) {
    finished = true;
    if (signal.aborted) return;
    produced = true;
    yield* output(`Error while running the code: ${(err as Error)?.message ?? err}`);
  } finally {
    if (!finished) await computer.stop().catch(() => {});
  }
  yield* framer.close();
  // A key split across two output chunks is only whole in the stored message: redact it there.
  for (const m of host.messages.slice(firstOutput)) {
    if (m.role === "computer" && typeof m.content === "string") {
      m.content = redact(m.content, secrets);
    }
  }
  if (!produced) {
    // An empty output tells the model the code ran and printed nothing.
    const message: LmcMessage = {
      role: "computer",
      type: "console",
      format: "output",
      content: "",
    };
    if (toolCallId) message.toolCallId = toolCallId;
    host.messages.push(message);
    const notice = await host.saveHook();
    if (notice) yield notice;
  }
}
