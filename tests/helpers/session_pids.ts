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

function lookup(printed: number[], token: string): Map<number, number[]> {
  const found = new Map<number, number[]>(printed.map((n) => [n, []]));
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const ns = nsPidOf(pid);
    if (ns !== undefined && found.has(ns) && hasToken(pid, token)) found.get(ns)!.push(pid);
  }
  return found;
}

/**
 * The host pids of processes of the session `token` that know themselves as
 * `printed` (their innermost PID-namespace pid; the same as the host pid when
 * unsandboxed). The processes must still be running: a process caught in the
 * middle of an exec can hide its environment for a moment, so this looks again
 * (at most 2 s) before it throws, naming the pid it could not find.
 */
export async function hostPids(printed: number[], token: string): Promise<number[]> {
  const deadline = Date.now() + 2_000;
  while (true) {
    const found = lookup(printed, token);
    const missing = printed.filter((n) => found.get(n)!.length !== 1);
    if (missing.length === 0) return printed.map((n) => found.get(n)![0]);
    if (Date.now() > deadline) {
      throw new Error(
        `pid ${missing[0]} of session ${token}: ${
          found.get(missing[0])!.length
        } host processes match (expected one)`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
