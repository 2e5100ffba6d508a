/**
 * Helpers for tests that check processes of a code session through /proc.
 * Code inside the sandbox sees its own PID namespace, so the pids it prints
 * are not host pids: {@linkcode hostPids} translates them through
 * `/proc/<pid>/status` (`NSpid`), among the processes carrying the session's
 * `INTERPRETER_SESSION` token, so pids printed by other sandboxes (which
 * reuse the same small numbers) never match.
 *
 * @module
 */

import { allowAll } from "../../lib/sandbox/permissions.ts";
import type { ComputerOptions } from "../../lib/computer/types.ts";

/** The two ways sessions run: under the default sandbox, and unconfined (`allowAll()`). */
export const SANDBOX_MODES: { name: string; options: ComputerOptions; sandboxed: boolean }[] = [
  { name: "sandboxed (default permissions)", options: {}, sandboxed: true },
  { name: "unsandboxed (allowAll)", options: { permissions: allowAll() }, sandboxed: false },
];

/** Python code printing `TOKEN <the session token>`. */
export const PYTHON_TOKEN = "print('TOKEN', __import__('os').environ['INTERPRETER_SESSION'])";
/** Shell code printing `TOKEN <the session token>`. */
export const SHELL_TOKEN = 'echo "TOKEN $INTERPRETER_SESSION"';

/** The session token printed on a `TOKEN <token>` line, or undefined. */
export function tokenIn(text: string): string | undefined {
  return text.match(/TOKEN ([0-9a-f-]{36})/)?.[1];
}

function nsPidOf(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const ns = status.match(/^NSpid:\s+(.*)$/m)?.[1].trim().split(/\s+/).map(Number);
    return ns?.[ns.length - 1];
  } catch {
    return undefined;
  }
}

function hasToken(pid: number, token: string): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/environ`).includes(`INTERPRETER_SESSION=${token}\0`);
  } catch {
    return false;
  }
}

/**
 * The host pids of processes of the session `token` that know themselves as
 * `printed` (their innermost PID-namespace pid; the same as the host pid when
 * unsandboxed). Throws, naming it, when one is not found: the processes must
 * still be running when this is called.
 */
export function hostPids(printed: number[], token: string): number[] {
  const candidates: { pid: number; ns: number }[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const ns = nsPidOf(pid);
    if (ns !== undefined && printed.includes(ns) && hasToken(pid, token)) {
      candidates.push({ pid, ns });
    }
  }
  return printed.map((n) => {
    const matches = candidates.filter((c) => c.ns === n);
    if (matches.length !== 1) {
      throw new Error(
        `pid ${n} of session ${token}: ${matches.length} host processes match (expected one)`,
      );
    }
    return matches[0].pid;
  });
}
