/**
 * Finding and signalling the processes of a session through /proc (Linux),
 * and telling whether one of them is blocked reading input nobody will give.
 *
 * @module
 */

import { isSandboxWrapper } from "../sandbox/sandbox.ts";

/** One process as seen in /proc/<pid>/stat. */
interface ProcStat {
  pid: number;
  ppid: number;
  sid: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name is in parentheses and may itself contain spaces or ")".
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // rest[0] = state, [1] = ppid, [2] = pgrp, [3] = session
    if (rest[0] === "Z" || rest[0] === "X") return undefined;
    return { pid, ppid: Number(rest[1]), sid: Number(rest[3]) };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  const pids: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const n = Number(entry.name);
      if (Number.isInteger(n) && n > 0) pids.push(n);
    }
  } catch {
    // no /proc (not Linux): nothing to find
  }
  return pids;
}

function hasToken(pid: number, token: string): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/environ`).includes(`INTERPRETER_SESSION=${token}\0`);
  } catch {
    return false;
  }
}

/**
 * The live processes that belong to the session led by `leader`: those in its
 * session, their descendants, and (when `token` is given) any process that
 * carries the session's `INTERPRETER_SESSION` token in its environment, which
 * catches daemons that escaped with their own `setsid`.
 */
export function sessionProcesses(leader: number, token?: string): number[] {
  const stats = allPids().map(readStat).filter((s): s is ProcStat => s !== undefined);
  const found = new Set<number>();
  for (const s of stats) if (s.sid === leader || s.pid === leader) found.add(s.pid);
  // descendants that changed session
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of stats) {
      if (!found.has(s.pid) && found.has(s.ppid)) {
        found.add(s.pid);
        grew = true;
      }
    }
  }
  if (token) {
    const self = Deno.pid;
    for (const s of stats) {
      if (!found.has(s.pid) && s.pid !== self && hasToken(s.pid, token)) found.add(s.pid);
    }
  }
  // seam: sandbox — bubblewrap and the network relay are not code: signalling
  // them would end the sandboxed session (killing the code ends them anyway).
  return [...found].filter((pid) => !isSandboxWrapper(pid));
}

/** Sends `signal` to each pid, ignoring processes that are already gone. */
export function signalAll(pids: number[], signal: Deno.Signal): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

// read-like system calls by architecture: read, readv, pread64, preadv
const READ_CALLS: Record<string, number[]> = {
  x86_64: [0, 19, 17, 295],
  aarch64: [63, 65, 67, 69],
};

function linkOf(path: string): string | undefined {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * True when one of `pids` (any thread) is blocked in a read of `stdinLink`
 * (the session's standard input, which nobody writes to during a run) or of
 * a terminal.
 */
export function waitingForInput(pids: number[], stdinLink: string | undefined): boolean {
  const calls = READ_CALLS[Deno.build.arch] ?? [];
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let fields: string[];
      try {
        fields = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/syscall`).trim().split(" ");
      } catch {
        continue;
      }
      if (!calls.includes(Number(fields[0]))) continue;
      const fd = parseInt(fields[1], 16);
      const link = linkOf(`/proc/${pid}/fd/${fd}`);
      if (link === undefined) continue;
      if (
        (stdinLink && (link === stdinLink || link === `${stdinLink} (deleted)`)) ||
        link.startsWith("/dev/pts/") || link === "/dev/tty"
      ) {
        return true;
      }
    }
  }
  return false;
}

/** The target of /proc/<pid>/fd/0, used to recognise reads of the session's stdin. */
export function stdinLinkOf(pid: number): string | undefined {
  return linkOf(`/proc/${pid}/fd/0`);
}
