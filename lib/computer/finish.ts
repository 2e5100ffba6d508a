/**
 * The last step of every run's output before it is returned or stored.
 *
 * @module
 */

import type { Permissions } from "../sandbox/permissions.ts";
import { withDenialNotes } from "../sandbox/denials.ts";
import type { NetDenial } from "../sandbox/proxy.ts";

/** What is known about a finished run. */
export interface FinishedRun {
  /** Canonical language name. */
  language: string;
  /** The code that ran. */
  code: string;
  /** The output text the model will see (already bounded, with stop notes). */
  output: string;
  /** Exit status of the run, when known. */
  exitStatus?: number;
  /** Why the run was stopped, when it was. */
  stopped?: string;
  /** The permissions the code ran under. */
  permissions: Permissions;
  /** Network accesses the sandbox of the session process that ran it refused during the run. */
  netDenials: NetDenial[];
}

/**
 * Returns the final output text of a run.
 *
 * seam: sandbox — the sandbox part hooks here to explain permission denials to
 * the model. Append to `run.output` rather than rewrite it: in streaming mode
 * the output was already shown, so only what is appended can still be yielded.
 */
export function finishOutput(run: FinishedRun): string {
  // What the sandbox denied, and the flag that would allow it.
  return withDenialNotes(run.output, {
    permissions: run.permissions,
    netDenials: run.netDenials,
    code: run.code,
  });
}
