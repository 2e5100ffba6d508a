/**
 * How a run's output reaches the caller: pieces shown as they come (the person's live copy and
 * the model's), and at the end the notes (why it stopped, how the session fared, its exit
 * status), all passed once through `finishOutput` (finish.ts) for the sandbox's notes.
 *
 * @module
 */

import type { NetDenial } from "../sandbox/proxy.ts";
import { finishOutput } from "./finish.ts";
import type { OutputPiece } from "./output.ts";
import type { RunState } from "./session_types.ts";

/** Shows pieces of a run's output as they come (and notes when output was last seen). */
export function showPieces(run: RunState, pieces: readonly OutputPiece[]): void {
  run.lastOutput = performance.now();
  for (const piece of pieces) {
    if (!piece.text) continue;
    if (!piece.recipient) run.shown += piece.text;
    run.feed.output(piece.text, piece.recipient);
  }
}

/** What {@linkcode completeRun} needs of the session. */
export interface RunEndSession {
  /** The session's language and kind. */
  spec: { language: string; persistent: boolean; interruptible: boolean };
  /** The network refusals of the run's sandbox (this session's own). */
  netDenials: NetDenial[];
}

/** Ends a run's output: its last pieces, its notes, and the end of its feed. */
export function completeRun(run: RunState, session: RunEndSession): void {
  const spec = session.spec;
  const notes: string[] = [...run.imageNotes];
  if (run.stopReason) notes.push(run.stopReason);
  if (run.exited && spec.persistent) {
    notes.push(
      `The ${spec.language} session ended` +
        (run.exited.signal ? ` (${run.exited.signal})` : ` (exit code ${run.exited.code})`) +
        "; the next run starts a new one, so its variables and state are gone.",
    );
  } else if (run.stopReason && spec.persistent && spec.interruptible) {
    notes.push(`The ${spec.language} session is still running and keeps its state.`);
  }
  if (!run.stopReason) {
    const status = spec.persistent ? run.status : run.exited?.code;
    if (spec.language === "shell" || !spec.persistent) {
      if (status !== undefined && status !== 0) notes.push(`[exit status ${status}]`);
    }
  }
  // The person's last live pieces first, then the rest of the model's text (which the person
  // watched live), then the notes, which both see.
  let modelRest = "";
  for (const piece of run.collector.end()) {
    if (piece.recipient === "user") showPieces(run, [piece]);
    else modelRest += piece.text;
  }
  const model = run.shown + modelRest;
  let tail = modelRest;
  if (notes.length) {
    const sep = model.length && !model.endsWith("\n") ? "\n" : "";
    tail += sep + notes.join("\n") + "\n";
  }
  const full = run.shown + tail;
  // seam: sandbox — the final text passes through finishOutput (see finish.ts).
  const final = finishOutput({
    language: spec.language,
    code: run.code,
    output: full,
    exitStatus: spec.persistent ? run.status : run.exited?.code,
    stopped: run.stopReason,
    permissions: run.settings.permissions,
    netDenials: session.netDenials,
  });
  if (final.startsWith(model)) {
    run.feed.output(modelRest, "assistant");
    run.feed.output(final.slice(model.length));
  } else if (final.startsWith(run.shown)) {
    run.feed.output(final.slice(run.shown.length), modelRest ? "assistant" : undefined);
  } else run.feed.output("\n" + final);
  run.feed.push({ role: "computer", type: "console", format: "active_line", content: null });
  run.feed.end();
}
