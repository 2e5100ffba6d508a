/**
 * One chat session in the terminal: sends messages to the engine, draws the
 * chunks, asks before code runs, handles Ctrl-C, magic commands and saving.
 * Used both for the interactive prompt and for one-shot requests.
 *
 * @module
 */

import type { LmcChunk, LmcMessage } from "../core/lmc.ts";
import type { Renderer } from "./renderer.ts";
import type { LineInput } from "./input.ts";
import { editInEditor } from "./editor.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";

/** What the terminal needs from the engine (`Interpreter` of lib/core). */
export interface EngineLike {
  /** The conversation. */
  messages: LmcMessage[];
  /** Run code without asking. */
  autoRun: boolean;
  /** Streams the answer to a message as LMC chunks. */
  chat(
    message: string | LmcMessage | LmcMessage[],
    options: { stream: true; signal?: AbortSignal },
  ): AsyncIterable<LmcChunk>;
}

/** The person's answer to "Would you like to run this code?". */
export type Approval =
  | { kind: "run" }
  | { kind: "decline" }
  | { kind: "edit"; code: string }
  | { kind: "always" };

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
  /** Called after every complete message (the conversation saver). */
  onMessages?(messages: LmcMessage[]): Promise<void>;
}

/**
 * What approvals need of an input: the line editor, or the terminal behind a
 * pipe. `showCode`, when present, shows the code where the question is asked
 * (standard output may be a file the person cannot see).
 */
export type Asker = Pick<LineInput, "ask"> & { showCode?(language: string, code: string): void };

/** The text the model gets when code was not approved. */
export const DECLINED_MESSAGE = "I have declined to run this code.";

/**
 * Asks "Would you like to run this code? (y/n/e/a)" and returns the answer.
 * `e` opens the code in the editor; `a` runs this and every later block.
 */
export async function askApproval(
  input: Asker,
  confirmation: LmcChunk,
  note: (text: string) => void,
): Promise<Approval> {
  const content = (confirmation.content ?? {}) as Record<string, unknown>;
  const safety = content.safety as Record<string, unknown> | string | undefined;
  if (safety) {
    const reasons = typeof safety === "string"
      ? [safety]
      : Array.isArray(safety.reasons)
      ? safety.reasons.map(String)
      : [String(safety.reason ?? safety.message ?? JSON.stringify(safety))];
    const level = typeof safety === "object" && safety.level ? ` (${safety.level})` : "";
    note(`Safe mode${level}: ${reasons.join("; ")}`);
  }
  const language = String(content.format ?? content.language ?? "text");
  const code = String(content.content ?? content.code ?? "");
  input.showCode?.(language, code);
  for (let tries = 0; tries < 20; tries++) {
    const answer = (await input.ask("Would you like to run this code? (y/n/e/a) ")).toLowerCase();
    if (answer === "y" || answer === "yes") return { kind: "run" };
    if (answer === "n" || answer === "no" || answer === "") return { kind: "decline" };
    if (answer === "a" || answer === "all" || answer === "always") return { kind: "always" };
    if (answer === "e" || answer === "edit") {
      try {
        return { kind: "edit", code: await editInEditor(code, language) };
      } catch (e) {
        note(`Could not edit the code: ${e instanceof Error ? e.message : e}`);
        continue;
      }
    }
    note("Answer y (run it), n (don't), e (edit it first) or a (run this and all later code).");
  }
  return { kind: "decline" };
}

/** Replaces the code of the last code message (after `e`). */
export function replaceLastCode(messages: LmcMessage[], code: string): void {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].type === "code" && messages[i].role === "assistant") {
      // In place: the engine runs the message object it holds.
      messages[i].content = code;
      return;
    }
  }
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
  try {
    let pending: LmcMessage | string | undefined = message;
    let declines = 0;
    // A decline ends the generator; the model is then told with one more call.
    while (pending !== undefined) {
      const next: LmcMessage | string = pending;
      pending = undefined;
      const stream = engine.chat(next, { stream: true, signal: controller.signal });
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
          // Ctrl-C while asking on /dev/tty (cooked mode) arrives as SIGINT: stop waiting.
          const approval = await Promise.race([approve(engine, chunk, io), aborted]);
          if (approval === "aborted") {
            renderer?.print(""); // the line after "^C"
            // End the engine's turn here: pulling more chunks would run the code.
            await it.return?.();
            break;
          }
          if (approval === "decline") {
            result = { status: ExitCode.Declined, reason: "code was not approved" };
            declines++;
            // Tell the model, so it can answer without running code. Without a
            // terminal, a second request for code ends the turn.
            if (io.input || declines === 1) {
              pending = { role: "user", type: "message", content: DECLINED_MESSAGE };
            }
            await it.return?.();
            break;
          }
          renderer?.startSpinner("Running…");
          continue;
        }
        renderer?.chunk(chunk);
        if (chunk.type === "error" && chunk.format !== "save") {
          result = classifyError(chunk.content, chunk.format);
        }
        if (chunk.end && chunk.type === "console") renderer?.startSpinner();
        if (chunk.end) await io.onMessages?.(engine.messages);
        if (interrupted) {
          await drainBounded(it, 2_000);
          break;
        }
      }
      if (interrupted) break;
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
      io.note(`Error: ${text}`);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    renderer?.finish();
    renderer?.printUsage();
  }
  if (interrupted) {
    result = { status: ExitCode.Interrupted, reason: "interrupted" };
    renderer?.print(renderer.style.gray("(interrupted)"));
  }
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

async function approve(
  engine: EngineLike,
  chunk: LmcChunk,
  io: TurnIo,
): Promise<"run" | "decline"> {
  io.renderer?.finish();
  if (!io.input) {
    io.note("Code not run: no terminal to ask for approval (use -y / --auto_run to allow it).");
    return "decline";
  }
  const answer = await askApproval(io.input, chunk, io.note);
  switch (answer.kind) {
    case "run":
      return "run";
    case "always":
      engine.autoRun = true;
      return "run";
    case "edit":
      replaceLastCode(engine.messages, answer.code);
      io.renderer?.print(io.renderer.style.gray("Running the edited code."));
      return "run";
    case "decline":
      return "decline";
  }
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
export function classifyError(content: unknown, format?: string): TurnResult {
  const text = typeof content === "string"
    ? content
    : content && typeof content === "object"
    ? String((content as Record<string, unknown>).message ?? JSON.stringify(content))
    : String(content);
  const reason = text.split("\n")[0];
  if (format === "max_turns" || format === "max_budget") return { status: ExitCode.Limit, reason };
  return { status: ExitCode.ModelError, reason };
}
