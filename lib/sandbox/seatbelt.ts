/**
 * The macOS Seatbelt profile (for `/usr/bin/sandbox-exec -p <profile>`) that
 * enforces the permissions. Generated and unit-checked here; it cannot be run
 * on Linux, so it is not tested end to end.
 *
 * @module
 */

import type { Permissions } from "./permissions.ts";
import { realPathOr } from "./paths.ts";
import { unique } from "./defaults.ts";

/** What {@linkcode seatbeltProfile} needs besides the permissions. */
export interface SeatbeltPlan {
  /** The per-session temp directory (always writable). */
  tmpDir: string;
  /** The loopback port of the host proxy when the network is limited to hosts. */
  proxyPort?: number;
  /** The interpreter's own files: never written (lib/sandbox/host_paths.ts). */
  readOnly?: readonly string[];
  /** Never read or written (the config folder, files keys were read from). */
  hidden?: readonly string[];
  /** Every session's private root: out of reach except `own`. */
  privateRoot?: string;
  /** This session's folders in the private root (temp, scratch). */
  own?: readonly string[];
}

/** Quotes a string for the Seatbelt (Scheme-like) profile language. */
function sbString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function subpaths(paths: readonly string[]): string {
  return unique(paths.flatMap((p) => [p, realPathOr(p)])).map((p) => `(subpath ${sbString(p)})`)
    .join(" ");
}

/** The Seatbelt profile text for `p`. */
export function seatbeltProfile(p: Permissions, plan: SeatbeltPlan): string {
  const lines = [
    "(version 1)",
    "(deny default)",
    "(allow process-fork)",
    "(allow signal (target same-sandbox))",
    "(allow sysctl-read)",
    "(allow mach-lookup)",
    "(allow ipc-posix-shm)",
    "(allow file-ioctl)",
    '(allow file-write-data (literal "/dev/null") (literal "/dev/tty") (regex #"^/dev/fd/"))',
  ];
  // Reading.
  if (p.read === true) lines.push("(allow file-read*)");
  else {
    const system = [
      "/usr",
      "/bin",
      "/sbin",
      "/System",
      "/Library",
      "/private/etc",
      "/dev",
      "/opt/homebrew",
    ];
    lines.push(`(allow file-read* ${subpaths([...system, ...(p.read || []), plan.tmpDir])})`);
    lines.push("(allow file-read-metadata)");
  }
  if (p.denyRead.length > 0) lines.push(`(deny file-read* ${subpaths(p.denyRead)})`);
  // Writing.
  if (p.write === true) lines.push("(allow file-write*)");
  else lines.push(`(allow file-write* ${subpaths([...(p.write || []), plan.tmpDir])})`);
  if (p.denyWrite.length > 0 || p.denyRead.length > 0) {
    lines.push(`(deny file-write* ${subpaths([...p.denyWrite, ...p.denyRead])})`);
  }
  // The interpreter's own files and other sessions' folders (later rules win). Seatbelt matches
  // paths, so these hold whether or not the path exists yet.
  const readOnly = [...(plan.readOnly ?? []), ...(plan.hidden ?? [])];
  if (readOnly.length > 0) lines.push(`(deny file-write* ${subpaths(readOnly)})`);
  if (plan.hidden?.length) lines.push(`(deny file-read* ${subpaths(plan.hidden)})`);
  if (plan.privateRoot) {
    lines.push(`(deny file-read* file-write* ${subpaths([plan.privateRoot])})`);
    const own = [plan.tmpDir, ...(plan.own ?? [])];
    lines.push(`(allow file-read* file-write* ${subpaths(own)})`);
  }
  // Programs.
  if (p.run === true) lines.push("(allow process-exec)");
  else {
    const progs = p.run === false ? [] : p.run.filter((r) => r.startsWith("/"));
    lines.push('(allow process-exec (literal "/bin/sh") (literal "/bin/bash"))');
    if (progs.length > 0) {
      lines.push(`(allow process-exec ${progs.map((r) => `(literal ${sbString(r)})`).join(" ")})`);
    }
  }
  for (const r of p.denyRun.filter((r) => r.startsWith("/"))) {
    lines.push(`(deny process-exec (literal ${sbString(r)}))`);
  }
  // Network.
  if (p.net === true && p.denyNet.length === 0) lines.push("(allow network*)");
  else if (plan.proxyPort !== undefined) {
    lines.push(`(allow network-outbound (remote tcp "localhost:${plan.proxyPort}"))`);
  }
  lines.push("(allow network-outbound (remote unix-socket))");
  return lines.join("\n") + "\n";
}
