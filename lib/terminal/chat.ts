/**
 * One chat session in the terminal: sends messages to the engine, draws the
 * chunks, asks before code runs, handles Ctrl-C, magic commands and saving.
 * Used both for the interactive prompt and for one-shot requests.
 *
 * @module
 */

import type { ApprovalDecision, ApprovalRequest, Approver } from "../wire/approval.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import type { Renderer } from "./renderer.ts";
import type { AskOptions } from "./input.ts";
import { editInEditor } from "./editor.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { imagePathsIn } from "./image.ts";

/** What the terminal needs from the engine (`Interpreter` of lib/core). */
export interface EngineLike {
  /** The conversation. */
  messages: LmcMessage[];
  /** Run code without asking. */
  autoRun: boolean;
  /** Streams the answer to a message (none: continue) as LMC chunks. */
  chat(
    message: string | LmcMessage | LmcMessage[] | undefined,
    options: {
      stream: true;
      signal?: AbortSignal;
      approve?: Approver;
      onInputWait?: () => Promise<string | undefined>;
    },
  ): AsyncIterable<LmcChunk>;
}

/** How a request ended. */
export interface TurnResult {
  /** The exit status it maps to. */
  status: ExitCodeValue;
  /** A one-line reason when it did not finish normally. */
  reason?: string;
  /** True when the reason was already shown to the person. */
  reported?: boolean;
}

/** Where chunks go and how approvals are answered during a turn. */
export interface TurnIo {
  /** Draws chunks (omitted in --json mode). */
  renderer?: Renderer;
  /** Writes each chunk as one JSON line (--json mode). */
  json?: (chunk: LmcChunk) => void;
  /** Asks the person; undefined when there is no terminal (code is then declined). */
  input?: Asker;
  /** Notes to the person (stderr in --json mode). */
  note(text: string): void;
  /**
   * Shows an error the turn ended with, once (one-shot runs: one stderr line).
   * Without it the renderer draws the error.
   */
  error?(text: string): void;
  /** Called after every complete message (the conversation saver). */
  onMessages?(messages: LmcMessage[]): Promise<void>;
  /**
   * Reads a line for a program waiting for input, with its prompt (the
   * interactive chat only); undefined: nobody can answer, the wait is stopped.
   * `onInterrupt` is called on Ctrl-C (the terminal is in raw mode: a key).
   */
  readProgramInput?(prompt: string, onInterrupt?: () => void): Promise<string | undefined>;
}

/**
 * What approvals need of an input: the line editor, or the terminal behind a
 * pipe. `showCode`, when present, shows the code where the question is asked
 * (standard output may be a file the person cannot see).
 */
export type Asker = {
  ask(question: string, options?: AskOptions): Promise<string>;
  showCode?(language: string, code: string): void;
};

/**
 * Asks "Would you like to run this code? (y/n/e/a)" about `request` and
 * returns the person's decision. `e` opens the code in the editor; `a` runs
 * this and every later block.
 */
async function askApproval(
  input: Asker,
  request: ApprovalRequest,
  note: (text: string) => void,
  options: AskOptions = {},
): Promise<ApprovalDecision> {
  const { safety, language, code } = request;
  if (safety) note(`Safe mode (${safety.level}): ${safety.reasons.join("; ")}`);
  if (request.tool) return await askToolApproval(input, request, note);
  input.showCode?.(language, code);
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    options.onInterrupt?.();
  };
  for (let tries = 0; tries < 20; tries++) {
    const answer = (await input.ask("Would you like to run this code? (y/n/e/a) ", { onInterrupt }))
      .toLowerCase();
    // Ctrl-C: the turn is being stopped; nothing runs and nothing more is asked.
    if (interrupted) return { action: "decline" };
    if (answer === "y" || answer === "yes") return { action: "run" };
    if (answer === "n" || answer === "no" || answer === "") return { action: "decline" };
    if (answer === "a" || answer === "all" || answer === "always") return { action: "always" };
    if (answer === "e" || answer === "edit") {
      try {
        return { action: "edit", code: await editInEditor(code, language) };
      } catch (e) {
        note(`Could not edit the code: ${e instanceof Error ? e.message : e}`);
        continue;
      }
    }
    note("Answer y (run it), n (don't), e (edit it first) or a (run this and all later code).");
  }
  return { action: "decline" };
}

/** Asks "Would you like to run this tool? (y/n/a)" about an MCP tool call. */
async function askToolApproval(
  input: Asker,
  request: ApprovalRequest,
  note: (text: string) => void,
): Promise<ApprovalDecision> {
  input.showCode?.("json", request.code);
  for (let tries = 0; tries < 20; tries++) {
    const answer = (await input.ask("Would you like to run this tool? (y/n/a) ")).toLowerCase();
    if (answer === "y" || answer === "yes") return { action: "run" };
    if (answer === "n" || answer === "no" || answer === "") return { action: "decline" };
    if (answer === "a" || answer === "all" || answer === "always") return { action: "always" };
    note("Answer y (run it), n (don't) or a (run this and everything later).");
  }
  return { action: "decline" };
}

/** The lines shown for an MCP tool call or result chunk (undefined for other chunks). */
export function toolChunkLines(chunk: LmcChunk): string[] | undefined {
  if (chunk.format !== "mcp" || (chunk.type !== "tool_call" && chunk.type !== "tool_result")) {
    return undefined;
  }
  if (chunk.start || chunk.end) return [];
  const c = (chunk.content ?? {}) as Record<string, unknown>;
  if (chunk.type === "tool_call") {
    return [`⚒ ${c.server}.${c.tool} ${JSON.stringify(c.arguments ?? {})}`];
  }
  const lines = String(c.text ?? "").split("\n");
  const shown = lines.length > 20
    ? [...lines.slice(0, 20), `… (${lines.length - 20} more lines)`]
    : lines;
  return c.isError ? [`${c.server}.${c.tool} failed: ${shown[0]}`, ...shown.slice(1)] : shown;
}

/**
 * Sends `message` and draws the answer until the engine is done, the person
 * declines code, or Ctrl-C. Returns how it ended.
 */
export async function runTurn(
  engine: EngineLike,
  message: string | LmcMessage,
  io: TurnIo,
): Promise<TurnResult> {
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const aborted = new Promise<"aborted">((resolve) =>
    controller.signal.addEventListener("abort", () => resolve("aborted"), { once: true })
  );
  const renderer = io.renderer;
  let result: TurnResult = { status: ExitCode.Ok };
  await waitUntilIdle(engine, io);
  renderer?.startSpinner();
  let declined = 0;
  // Safe mode (auto) refused code: the request ends with "declined" unless something worse happened.
  let refused: TurnResult | undefined;
  const approve: Approver = async (request) => {
    const decision = await approveInTerminal(engine, request, io, onSigint);
    if (decision.action === "decline") declined++;
    return decision;
  };
  try {
    let next: LmcMessage | string | undefined = message;
    // Image files the person names in the message go to the model with it (lib/terminal/image.ts).
    if (typeof next === "string") {
      for (const path of imagePathsIn(next, { cwd: Deno.cwd() })) {
        engine.messages.push({ role: "user", type: "image", format: "path", content: path });
      }
    }
    // A decline ends the engine's turn (the code's output says it was declined);
    // the model is then asked once more so it can answer without running code.
    // Without a terminal, a second decline ends the request.
    for (;;) {
      const before = declined;
      const stream = engine.chat(next, {
        stream: true,
        signal: controller.signal,
        approve,
        // Ctrl-C at the program's prompt stops the turn, as Ctrl-C while the code runs.
        onInputWait: io.readProgramInput ? () => answerProgram(io, onSigint) : undefined,
      });
      next = undefined;
      const it = stream[Symbol.asyncIterator]();
      for (;;) {
        // Ctrl-C returns to the prompt even if the engine is slow to notice the abort.
        const step = await Promise.race([it.next(), aborted]);
        if (step === "aborted") {
          await drainBounded(it, 2_000);
          break;
        }
        if (step.done) break;
        const chunk = step.value;
        io.json?.(chunk);
        if (chunk.type === "confirmation") {
          // The engine asks `approve` next; the spinner must not draw over the question.
          renderer?.finish();
          continue;
        }
        if (chunk.type === "review" && chunk.format === "safe_mode_refused") {
          // The refusal itself shows as the run's output; the exit status says code was refused.
          const why = String(chunk.content ?? "Safe mode refused to run the code").split("\n")[0];
          refused = {
            status: ExitCode.Declined,
            reason: why.replace(/^Safe mode/, "safe mode (auto)"),
          };
          continue;
        }
        const toolLines = toolChunkLines(chunk);
        if (toolLines) {
          if (toolLines.length) renderer?.print(...toolLines);
        } else if (chunk.type === "error" && chunk.format !== "save" && chunk.format !== "mcp") {
          result = classifyError(chunk.content, chunk.format);
          if (io.error) {
            io.error(result.reason ?? "");
            result.reported = true;
          } else renderer?.chunk(chunk);
        } else renderer?.chunk(chunk);
        if (chunk.end && chunk.type === "console") renderer?.startSpinner();
        if (chunk.end) await io.onMessages?.(engine.messages);
        if (interrupted) {
          await drainBounded(it, 2_000);
          break;
        }
      }
      if (interrupted || declined === before) break;
      result = { status: ExitCode.Declined, reason: "code was not approved" };
      if (!io.input && declined > 1) break;
      renderer?.startSpinner();
    }
  } catch (e) {
    if (interrupted || controller.signal.aborted) {
      result = { status: ExitCode.Interrupted, reason: "interrupted" };
    } else {
      const text = e instanceof Error ? e.message : String(e);
      result = { ...classifyError(text), reported: true };
      renderer?.finish();
      // --json readers see the failure on stdout too, shaped like the engine's limit chunks.
      const kind = (e as { kind?: unknown } | null)?.kind;
      io.json?.(errorChunk(typeof kind === "string" ? kind : "error", result.reason ?? text));
      if (io.error) io.error(text);
      else io.note(`Error: ${text}`);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    renderer?.finish();
    renderer?.printUsage();
  }
  if (interrupted) {
    result = { status: ExitCode.Interrupted, reason: "interrupted" };
    renderer?.print(renderer.style.gray("(interrupted)"));
  } else if (refused && result.status === ExitCode.Ok) result = refused;
  await io.onMessages?.(engine.messages);
  return result;
}

/**
 * After a Ctrl-C the engine may still be winding down its model call; waits
 * for it (at most 30 s) so the next message does not collide with it.
 */
async function waitUntilIdle(engine: EngineLike, io: TurnIo): Promise<void> {
  const busy = () => (engine as { responding?: boolean }).responding === true;
  if (!busy()) return;
  io.note("Waiting for the previous answer to stop…");
  const deadline = Date.now() + 30_000;
  while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Lets the engine wind down after an abort (its closing chunks are dropped), at most `ms`. */
async function drainBounded(it: AsyncIterator<LmcChunk>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  const drain = (async () => {
    try {
      while (!(await it.next()).done) { /* drop */ }
    } catch { /* the abort surfaces as an error: expected */ }
  })();
  await Promise.race([drain, limit]);
  clearTimeout(timer);
}

/** A program waits for input: the person types the line, with the program's prompt shown. */
async function answerProgram(io: TurnIo, interrupt: () => void): Promise<string | undefined> {
  const prompt = io.renderer?.takePartialOutput() ?? "";
  const answer = await io.readProgramInput!(prompt, interrupt);
  io.renderer?.startSpinner("Running…");
  return answer;
}

/** The terminal's approver: asks the person, or declines when there is no terminal. */
async function approveInTerminal(
  engine: EngineLike,
  request: ApprovalRequest,
  io: TurnIo,
  interrupt: () => void,
): Promise<ApprovalDecision> {
  io.renderer?.finish();
  if (!io.input) {
    io.note(noTerminalNote(engine, request));
    return { action: "decline" };
  }
  // Ctrl-C at the question stops the turn like Ctrl-C anywhere else: back to the prompt,
  // nothing run, no further model request (the engine records nothing for the code).
  const decision = await askApproval(io.input, request, io.note, { onInterrupt: interrupt });
  if (decision.action === "edit") {
    if (decision.code === request.code) {
      io.note("No changes: running the code as it was.");
      return { action: "run" };
    }
    showEditedCode(io, request.language, decision.code);
  }
  if (decision.action !== "decline") io.renderer?.startSpinner("Running…");
  return decision;
}

/** Shows the code as edited (what will run), framed like the model's code. */
function showEditedCode(io: TurnIo, language: string, code: string): void {
  const r = io.renderer;
  if (!r) {
    io.note(`Running the edited code:\n${code}`);
    return;
  }
  r.print(r.style.gray("Running the edited code:"));
  r.chunk({ role: "assistant", type: "code", format: language, start: true });
  r.chunk({ role: "assistant", type: "code", format: language, content: code });
  r.chunk({ role: "assistant", type: "code", format: language, end: true });
}

/**
 * Why code was not run when nobody can be asked: under `-y` it was safe mode
 * that flagged it (so "use -y" would be wrong advice).
 */
function noTerminalNote(engine: EngineLike, request: ApprovalRequest): string {
  const safety = request.safety;
  if (safety && engine.autoRun) {
    const mode = (engine as { safeMode?: string }).safeMode ?? "ask";
    const reasons = safety.reasons.join("; ");
    return `Code not run: safe mode (${mode}) flagged it as ${safety.level}` +
      `${reasons ? ` (${reasons})` : ""}, and there is no terminal to ask you. ` +
      "Run it in a terminal to review it, or pass --safe_mode off to run flagged code unasked.";
  }
  return "Code not run: no terminal to ask for approval (use -y / --auto_run to allow it).";
}

/**
 * The LMC chunk a failure is reported as in --json mode, the shape the engine
 * uses for its limits (`format: "max_turns"`): `format` is the model layer's
 * error kind (`auth`, `rate_limit`, `missing_key`...) or `error`, `content` one line.
 */
export function errorChunk(format: string, message: string): LmcChunk {
  return { role: "server", type: "error", format, content: message.split("\n")[0] };
}

/** Maps an engine error to an exit status: budget and turn limits are 4, the rest model/API errors. */
function classifyError(content: unknown, format?: string): TurnResult {
  const text = typeof content === "string"
    ? content
    : content && typeof content === "object"
    ? String((content as Record<string, unknown>).message ?? JSON.stringify(content))
    : String(content);
  const reason = text.split("\n")[0];
  if (format === "max_turns" || format === "max_budget") return { status: ExitCode.Limit, reason };
  return { status: ExitCode.ModelError, reason };
}
