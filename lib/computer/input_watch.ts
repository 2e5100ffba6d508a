/**
 * Watching a run for a program that waits for input. Every {@linkcode CHECK_INTERVAL_MS} the
 * run is checked (the driver's own marker, or the kernel's view of the processes once output
 * has been quiet for a moment): someone who can answer is asked and the answer is written to
 * the program's standard input; otherwise a program still waiting after the input-wait bound
 * is stopped with a note saying how to give input in the code instead.
 *
 * @module
 */

import type { RunState } from "./session_types.ts";

/** Milliseconds between checks (and of quiet output before the processes are looked at). */
const CHECK_INTERVAL_MS = 200;

/** What the watch needs of its session. */
export interface InputWatchHost {
  /** The code's leading process, while it runs. */
  pid(): number | undefined;
  /** True when the session's processes wait on their standard input. */
  isWaitingForInput(): boolean;
  /** The code's standard input (opened before any code ran, never by path). */
  stdin: { readonly isOpen: boolean; write(text: string): Promise<boolean> };
  /** Stops the run with a reason. */
  interrupt(reason: string): void;
}

/** Checks `run` until it is done (timers go in `run.timers`, cleared when it ends). */
export function watchForInput(run: RunState, host: InputWatchHost): void {
  run.timers.push(setTimeout(() => {
    if (run.done) return;
    check(run, host);
    watchForInput(run, host);
  }, CHECK_INTERVAL_MS));
}

function check(run: RunState, host: InputWatchHost): void {
  const now = performance.now();
  if (host.pid() === undefined || run.stopReason) return;
  let waiting = run.waitingMarker;
  if (!waiting && now - run.lastOutput >= CHECK_INTERVAL_MS) {
    waiting = host.isWaitingForInput();
  }
  if (!waiting) {
    run.waitingSince = undefined;
    return;
  }
  run.waitingSince ??= now;
  // seam: input — someone can answer: ask them instead of stopping the program.
  if (run.onInputWait && host.stdin.isOpen) {
    const answeredRecently = run.answeredAt !== undefined && run.lastOutput < run.answeredAt &&
      !run.waitingMarker && now - run.answeredAt < 1000;
    if (!run.asking && !answeredRecently) askForInput(run, host);
    return;
  }
  if (now - run.waitingSince >= run.settings.inputIdleTimeout * 1000) {
    host.interrupt(
      "stopped: the program was waiting for input, and nobody can type here. " +
        "Give the input in the code instead (arguments, a here-document, a pipe, or a variable).",
    );
  }
}

/**
 * Asks `onInputWait` for a line and writes it to the program's standard input. No answer
 * (Ctrl-C, Ctrl-D) stops the run.
 */
function askForInput(run: RunState, host: InputWatchHost): void {
  run.asking = true;
  run.waitingMarker = false;
  run.onInputWait!().then(async (answer) => {
    if (run.done || run.stopReason) return;
    if (answer === undefined) {
      host.interrupt("stopped: the program was waiting for input, and none was given.");
      return;
    }
    if (!(await host.stdin.write(answer + "\n"))) {
      host.interrupt("stopped: the answer could not be passed to the program.");
      return;
    }
    run.answeredAt = performance.now();
    run.waitingSince = undefined;
  }).catch(() => {
    if (!run.done) {
      host.interrupt("stopped: the program was waiting for input, and none was given.");
    }
  }).finally(() => run.asking = false);
}
