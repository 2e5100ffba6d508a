/**
 * One chat turn of a session, as every transport runs it: it streams the
 * engine's LMC chunks, stops the turn (and its code) when the signal aborts,
 * and applies the server's approval rule when code needs approval:
 *
 * - `pause` (WebSocket): the confirmation chunk is sent and the turn pauses;
 *   the client's `go` command resumes it and the turn's approver answers the
 *   engine "run"; `stop` or a new message drops it (nothing runs).
 * - `decline` (`/chat`, `/v1/chat/completions`): the approver declines, so
 *   nothing runs; the engine records {@linkcode DECLINED_OUTPUT} as the code's
 *   output (the model sees it on its next turn) and ends the turn. Nothing
 *   ever waits for an approval that cannot come.
 *
 * @module
 */

import type { ApprovalDecision, Approver } from "../wire/approval.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import { type Session, settleWithin } from "./sessions.ts";

/** How a turn treats code that needs approval. */
export type ApprovalRule = "pause" | "decline";

/** How a turn ended. */
export type TurnOutcome = "complete" | "paused" | "declined" | "stopped" | "error";

/** What starts a turn: a new message, or the approval of a paused one. */
export type TurnInput =
  | { message: string | LmcMessage; before?: LmcMessage[] }
  | { approve: true };

/** The output the model sees for code that was not run because nobody approved it. */
export const DECLINED_OUTPUT =
  "The code was not run: it needs the user's approval (auto_run is off, or safe mode flagged it), and this request cannot ask for it.";

const ABORTED = Symbol("aborted");

function abortPromise(signal: AbortSignal): { promise: Promise<typeof ABORTED>; dispose(): void } {
  let onAbort: () => void = () => {};
  const promise = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener("abort", onAbort) };
}

/** A server-side error chunk, as in Open Interpreter. */
export function serverError(message: string): LmcChunk {
  return { role: "server", type: "error", content: message };
}

/** The chunk that ends every turn on the WebSocket and `/chat`, as in Open Interpreter. */
export function completeStatus(): LmcChunk {
  return { role: "server", type: "status", content: "complete" };
}

/**
 * Runs one turn of a session, yielding LMC chunks; returns how it ended. The
 * caller holds the session's run slot. Errors become a `server/error` chunk.
 *
 * With a store, the conversation is saved after every complete message: before
 * the turn's first chunk is passed on (the user's message), before each chunk
 * that ends a block, and when the turn is over (after the engine's stream has
 * ended), so the save of the turn's last message is written before the
 * transport sends its end of turn. An owner killed mid-turn loses at most the
 * message being written.
 */
export async function* runTurn(
  session: Session,
  input: TurnInput,
  options: { approval: ApprovalRule; signal: AbortSignal },
): AsyncGenerator<LmcChunk, TurnOutcome> {
  const interpreter = session.interpreter;
  const { signal } = options;
  let iterator: AsyncIterator<LmcChunk>;
  // The engine's stream outlives a turn when it pauses for approval, so it has
  // its own abort controller, which each turn driving it forwards its signal to.
  let engineAbort: AbortController;
  // What the engine's approver answers: set by `go` before a paused stream resumes.
  let decision: { value?: ApprovalDecision };
  if ("approve" in input) {
    const pending = session.pending;
    if (!pending) {
      yield serverError("There is no code waiting for approval: send a message first.");
      return "error";
    }
    session.pending = null;
    iterator = pending.iterator;
    engineAbort = pending.abort;
    decision = pending.decision;
    decision.value = { action: "run" };
  } else {
    await session.discardPending();
    if (input.before?.length) interpreter.messages.push(...input.before);
    engineAbort = new AbortController();
    decision = options.approval === "decline"
      ? { value: { action: "decline", reason: DECLINED_OUTPUT } }
      : {};
    const box = decision;
    // Asked by the engine once it has yielded the confirmation: with `pause`
    // only after `go` set the answer; a stream resumed any other way declines.
    const approve: Approver = () => box.value ?? { action: "decline", reason: DECLINED_OUTPUT };
    try {
      const stream = interpreter.chat(input.message, {
        stream: true,
        display: false,
        signal: engineAbort.signal,
        approve,
      });
      iterator = stream[Symbol.asyncIterator]();
    } catch (error) {
      yield serverError(describe(error));
      return "error";
    }
  }

  const forwardAbort = () => engineAbort.abort();
  if (signal.aborted) forwardAbort();
  else signal.addEventListener("abort", forwardAbort, { once: true });
  const stopCode = () => {
    try {
      interpreter.computer.stop().catch(() => {});
    } catch { /* no computer yet: nothing runs */ }
  };
  signal.addEventListener("abort", stopCode, { once: true });
  const aborted = abortPromise(signal);
  let handedOff = false;
  let finished = false;
  let first = true;
  let outcome: TurnOutcome = "complete";
  // The block (start flag) still open, so a stopped turn can close it for the client.
  let open: LmcChunk | null = null;
  try {
    for (;;) {
      const step = iterator.next();
      step.catch(() => {}); // a step abandoned on abort must not reject unhandled
      const next = await Promise.race([step, aborted.promise]);
      if (next === ABORTED) {
        if (open) {
          const { start: _start, ...block } = open;
          yield { ...block, end: true };
        }
        return "stopped";
      }
      if (next.done) {
        finished = true;
        return outcome;
      }
      const chunk = next.value;
      // The engine asks only when approval is needed (auto_run off, or safe mode flagged the code).
      if (chunk.type === "confirmation") {
        yield chunk;
        if (decision.value === undefined) {
          session.pending = { iterator, abort: engineAbort, decision };
          handedOff = true;
          return "paused";
        }
        if (decision.value.action === "decline") outcome = "declined";
        continue;
      }
      if (chunk.start) open = chunk;
      else if (chunk.end) open = null;
      if (first || chunk.end) await session.save();
      first = false;
      yield chunk;
    }
  } catch (error) {
    finished = true;
    yield serverError(describe(error));
    return "error";
  } finally {
    aborted.dispose();
    signal.removeEventListener("abort", stopCode);
    signal.removeEventListener("abort", forwardAbort);
    if (!handedOff && !finished) {
      // Stopped early (abort, or the consumer left): end the engine's stream so
      // nothing more runs, and wait (bounded) so the next turn starts clean.
      stopCode();
      await settleWithin(iterator.return?.(), 10000);
    }
    await session.save();
  }
}

/** A one-line description of an error for a client. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
