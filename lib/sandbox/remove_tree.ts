/**
 * Removing a folder generated code could write (a session's temp or scratch
 * folder). Deno's recursive remove walks by recursion: a tree nested 70,000
 * levels deep overflowed this program's stack and aborted it. The system `rm
 * -rf` walks by descriptor with a bounded stack and follows no link; it runs
 * once the session's processes are gone, so nothing changes the folder
 * meanwhile.
 *
 * @module
 */

import { trustedProgram } from "./trusted.ts";

/** How long {@linkcode removeCodeTree} waits for `rm` (a huge tree keeps being removed after). */
const REMOVE_WAIT_MS = 10_000;

function exists(dir: string): boolean {
  try {
    Deno.lstatSync(dir);
    return true;
  } catch {
    return false;
  }
}

function startRm(dir: string): Deno.ChildProcess | undefined {
  const rm = trustedProgram("rm");
  if (!rm) return undefined; // no rm: the folder stays (never Deno's recursion on it)
  try {
    const child = new Deno.Command(rm, {
      args: ["-rf", "--one-file-system", "--", dir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      clearEnv: true,
    }).spawn();
    child.unref();
    return child;
  } catch {
    return undefined;
  }
}

/** Removes `dir` with the system `rm -rf`, waiting at most {@linkcode REMOVE_WAIT_MS}. */
export async function removeCodeTree(dir: string): Promise<void> {
  if (!exists(dir)) return;
  const child = startRm(dir);
  if (!child) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    child.status,
    new Promise((resolve) => timer = setTimeout(resolve, REMOVE_WAIT_MS)),
  ]);
  clearTimeout(timer);
}

/** Starts removing `dir` with the system `rm -rf` and returns (for synchronous clean-up). */
export function removeCodeTreeSync(dir: string): void {
  if (exists(dir)) startRm(dir);
}
