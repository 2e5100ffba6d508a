/**
 * A closed terminal (SIGHUP: tmux window closed, ssh dropped) or a kill
 * (SIGTERM) ends the CLI the way Ctrl-C then exit would: the cleanup runs
 * (code sessions ended with their process trees, session folders removed,
 * the conversation saved), then the program exits with its own status.
 *
 * @module
 */

import { ExitCode } from "./exit_codes.ts";

/** The signals handled, with the status the program exits with after each. */
const STATUS = { SIGHUP: ExitCode.Hangup, SIGTERM: ExitCode.Terminated } as const;

/** How long the cleanup may take before the program exits anyway. */
const CLEANUP_BOUND_MS = 10_000;

/** What {@link exitOnTerminatingSignals} returns: stop listening, or end now. */
export interface SignalGuard {
  /**
   * Stops listening (once a signal came or {@link SignalGuard.end} was called,
   * never resolves: the program is exiting).
   */
  (): Promise<void>;
  /** Ends the program as a signal would: the cleanup (bounded), then exit with `status`. */
  end(status: number): void;
}

/**
 * Until the returned function is called, SIGHUP and SIGTERM run `cleanup`
 * (at most 10 s, errors ignored: the terminal may be gone) and exit with 129
 * or 143. A second signal during the cleanup is ignored. Once a signal came,
 * the returned function never resolves (the handler exits the program), so the
 * normal end cannot exit with another status first; otherwise it stops listening.
 * Its `end(status)` does the same for other reasons (standard output closed).
 */
export function exitOnTerminatingSignals(cleanup: () => Promise<void>): SignalGuard {
  let ending = false;
  const end = (status: number): void => {
    if (ending) return;
    ending = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLEANUP_BOUND_MS);
    });
    Promise.race([cleanup().catch(() => {}), bound]).finally(() => {
      clearTimeout(timer);
      Deno.exit(status);
    });
  };
  const listeners = Deno.build.os === "windows"
    ? []
    : Object.entries(STATUS).map(([signal, status]) => {
      const listener = () => end(status);
      Deno.addSignalListener(signal as Deno.Signal, listener);
      return [signal as Deno.Signal, listener] as const;
    });
  const stop = (): Promise<void> => {
    // Listeners stay while ending: removing them would let a second SIGHUP kill the cleanup.
    if (ending) return new Promise<void>(() => {});
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    return Promise.resolve();
  };
  return Object.assign(stop, { end });
}
