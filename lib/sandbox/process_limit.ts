/**
 * A bound on the processes (and threads) one sandboxed session may hold at once, so a fork
 * bomb stalls inside its session instead of taking the machine.
 *
 * - Run by a user other than root: `prlimit --nproc` inside the session's user namespace.
 *   Since Linux 5.14 the count is kept per user namespace, so the bound covers the session's
 *   own processes only (never the person's other programs), and code cannot raise it: it
 *   holds no capability outside its namespace.
 * - Run as root: the kernel does not apply RLIMIT_NPROC to processes that are root outside,
 *   so the session goes into a cgroup of its own with `pids.max`, created by the host and
 *   removed when the session closes: under this program's own group in v1's `pids` hierarchy,
 *   or, on cgroup v2, only when this program sits at the root of its cgroup namespace (a group
 *   made beside a service's own would leave the service's limits). Where none can be made (a
 *   read-only cgroupfs, a v2 service), {@linkcode ProcessLimit.unbounded} says so, and so does
 *   the chat's start-up note.
 *
 * @module
 */

import { join } from "node:path";
import { trustedProgram } from "./trusted.ts";

/** How a session's processes are bounded. */
export interface ProcessLimit {
  /** Arguments that run the session's command under the bound (`prlimit --nproc=N:N --`). */
  prefix: string[];
  /** A cgroup whose `cgroup.procs` the session's first process joins (root only). */
  cgroupProcs?: string;
  /** The cgroup folder to remove when the session closes. */
  cgroupDir?: string;
  /** Why the bound does not hold here, when it does not. */
  unbounded?: string;
}

/** The cgroup v1 `pids` hierarchy and the v2 unified one, where this program makes its groups. */
const V1_PIDS = "/sys/fs/cgroup/pids";
const V2_ROOT = "/sys/fs/cgroup";
/** The prefix of every group this program makes (old ones are removed when empty). */
const GROUP_PREFIX = "interpreter-session-";

/** The bound for one session of at most `max` processes (0: none). */
export function processLimit(max: number, unique: string): ProcessLimit {
  removePending();
  if (!(max > 0)) return { prefix: [] };
  const prlimit = trustedProgram("prlimit");
  const prefix = prlimit ? [prlimit, `--nproc=${max}:${max}`, "--"] : [];
  if (Deno.uid() !== 0) {
    return prlimit ? { prefix } : { prefix, unbounded: "prlimit (util-linux) is missing" };
  }
  const parent = cgroupParent();
  if (!parent) {
    return {
      prefix,
      unbounded:
        "run as root, it needs a writable pids cgroup it may make groups in (cgroup v2: only " +
        "at the root of this program's cgroup namespace)",
    };
  }
  const dir = join(parent, `${GROUP_PREFIX}${unique}`);
  try {
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(join(dir, "pids.max"), String(max));
  } catch (error) {
    try {
      Deno.removeSync(dir);
    } catch { /* not made */ }
    return { prefix, unbounded: `its cgroup could not be made (${(error as Error).message})` };
  }
  return { prefix, cgroupProcs: join(dir, "cgroup.procs"), cgroupDir: dir };
}

/**
 * One line for the start-up note when sessions' processes cannot be bounded here (run as
 * root with no writable pids cgroup, or without prlimit); undefined when they are. Run as
 * root it makes and removes one empty group to find out.
 */
export function processLimitNote(max: number): string | undefined {
  if (!(max > 0) || Deno.build.os !== "linux") return undefined;
  const probe = processLimit(max, `probe-${crypto.randomUUID().slice(0, 8)}`);
  releaseProcessLimit(probe); // empty: removed at once
  return probe.unbounded
    ? `sessions' processes are not bounded here (${probe.unbounded}): a fork bomb can slow this machine`
    : undefined;
}

/** Session groups that still held dying processes when their session closed. */
const pending = new Set<string>();

/**
 * Removes a session's cgroup once its session has ended. Processes the kernel is still
 * ending may hold it for a moment: then it is removed when the next session starts, or by a
 * later run's sweep (never by waiting here: a close must not stall the program).
 */
export function releaseProcessLimit(limit: ProcessLimit): void {
  if (limit.cgroupDir) pending.add(limit.cgroupDir);
  removePending();
  if (pending.size > 0 && !unloadHooked) {
    unloadHooked = true;
    globalThis.addEventListener("unload", removePending); // the last chance in this run
  }
}

let unloadHooked = false;

/** Removes the closed sessions' groups that are empty now. */
function removePending(): void {
  for (const dir of pending) {
    try {
      Deno.removeSync(dir);
      pending.delete(dir);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) pending.delete(dir);
    }
  }
}

let swept = false;

/**
 * This program's own group in v1's `pids` hierarchy (where its session groups go, so a
 * bound an administrator set on it, such as a service's `TasksMax`, still holds for code):
 * the `pids` line of /proc/self/cgroup, when that folder lists this process; else the
 * hierarchy's root (a cgroup namespace's view that does not match the mount).
 */
function ownV1Group(): string {
  try {
    const line = Deno.readTextFileSync("/proc/self/cgroup").split("\n")
      .find((l) => /^\d+:pids:/.test(l));
    const relative = line?.split(":").slice(2).join(":") ?? "/";
    if (relative === "/" || relative.split("/").includes("..")) return V1_PIDS;
    const group = join(V1_PIDS, relative);
    const procs = Deno.readTextFileSync(join(group, "cgroup.procs")).split("\n");
    return procs.includes(String(Deno.pid)) ? group : V1_PIDS;
  } catch {
    return V1_PIDS;
  }
}

/**
 * Where root makes session groups: v2 when its root delegates `pids` (at the root: a group
 * holding this process cannot hold groups with controllers), else this program's own group
 * in v1's `pids` hierarchy; undefined when neither is writable. Empty groups left by an earlier run (killed
 * before it could remove them) are removed the first time.
 */
/** This program's group in the unified hierarchy (`0::/path` of /proc/self/cgroup). */
function ownV2Group(): string | undefined {
  const line = Deno.readTextFileSync("/proc/self/cgroup").split("\n").find((l) =>
    l.startsWith("0::")
  );
  return line?.slice(3);
}

function cgroupParent(): string | undefined {
  let parent: string | undefined;
  try {
    const controllers = Deno.readTextFileSync(join(V2_ROOT, "cgroup.subtree_control"));
    // Only when this program itself is at the root of what it sees (a container's own cgroup
    // namespace, a plain root login): a group made there takes nothing out of a limit set on
    // this program. Run in a group of its own (a systemd service), a session group would have
    // to be a sibling outside the service's memory.max and TasksMax: none is made then, and the
    // start-up note says the bound does not hold.
    if (/\bpids\b/.test(controllers) && ownV2Group() === "/") parent = V2_ROOT;
  } catch { /* not v2 */ }
  if (!parent) {
    try {
      if (Deno.statSync(join(V1_PIDS, "cgroup.procs")).isFile) parent = ownV1Group();
    } catch { /* no v1 pids hierarchy */ }
  }
  if (parent && !swept) {
    swept = true;
    try {
      for (const entry of Deno.readDirSync(parent)) {
        if (!entry.isDirectory || !entry.name.startsWith(GROUP_PREFIX)) continue;
        const path = join(parent, entry.name);
        // A group made a moment ago may not hold its session's first process yet.
        const made = Deno.statSync(path).mtime?.getTime() ?? Date.now();
        if (Date.now() - made < 60_000) continue;
        try {
          Deno.removeSync(path); // refused while it holds processes
        } catch { /* in use */ }
      }
    } catch { /* unreadable */ }
  }
  return parent;
}
