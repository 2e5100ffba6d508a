/**
 * Which process of a session is its code: the sandbox wrappers (bubblewrap,
 * the reaper, the network relay) are told apart from the program they start,
 * so an interrupt reaches the code and not the sandbox.
 *
 * @module
 */

import { REAPER_NAME } from "./reaper.ts";

/**
 * The first process under the sandbox wrappers (bubblewrap, the network
 * relay) started from `pid`: the session's own interpreter, which is the one
 * to interrupt. `pid` itself when it is not a wrapper or nothing runs yet.
 */
export function codeLeader(pid: number): number {
  let current = pid;
  for (let depth = 0; depth < 4 && isSandboxWrapper(current); depth++) {
    const kids = childPids(current);
    if (kids.length === 0) return current;
    current = kids[0];
  }
  return current;
}

/**
 * True when `pid` is sandbox machinery (bubblewrap, or the in-sandbox network
 * relay), not code: interrupting it would end the whole sandboxed session.
 */
export function isSandboxWrapper(pid: number): boolean {
  try {
    const comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
    if (comm === "bwrap" || comm === REAPER_NAME) return true;
    const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    return cmdline.includes("\0__sandbox-relay\0") || /\/sandbox\/relay\.ts\0/.test(cmdline);
  } catch {
    return false;
  }
}

/** The pids of a process's children (Linux). */
export function childPids(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
