/**
 * Deno permission flags for JavaScript / TypeScript sessions, built from the
 * interpreter's permissions. (The sandbox part may move or extend this.)
 *
 * @module
 */

import type { Permissions } from "../sandbox/permissions.ts";
import { denoFlags } from "../sandbox/deno_flags.ts";

/**
 * The `deno run` flags that give generated code exactly `permissions`.
 * Never prompts: a denied operation fails with an error the model can read.
 */
export function denoPermissionFlags(permissions: Permissions): string[] {
  // seam: sandbox — the flags come from lib/sandbox; the session's temp
  // directory is added to them when the sandbox wraps the command.
  return denoFlags(permissions);
}
