/**
 * The folders the kernel serves (`/proc`, `/sys`, `/dev`). Every sandbox has
 * its own `/proc` and `/dev`, and `/sys` is never writable. A grant inside
 * them would bind the host's instead: a write grant on `/proc/sys` gave code
 * running as root a writable `kernel.core_pattern`, and a read grant on
 * `/proc` showed the host's processes (their command lines can hold keys). So
 * no write grant reaches any of them, and no read grant reaches `/proc` or
 * `/dev`, whatever its source (flags, profile, library); `/sys` may be read.
 *
 * @module
 */

import { isInside } from "./paths.ts";

/** Trees no write grant reaches. */
const NO_WRITE: readonly string[] = ["/proc", "/sys", "/dev"];
/** Trees no read grant reaches (the sandbox's own are always there). */
const NO_READ: readonly string[] = ["/proc", "/dev"];

/** The kernel tree that keeps a `kind` grant of `path` out, if any. */
export function kernelTree(path: string, kind: "read" | "write"): string | undefined {
  return (kind === "write" ? NO_WRITE : NO_READ).find((tree) => isInside(path, tree));
}

/** One line saying why a `kind` grant of `path` cannot be given. */
export function kernelTreeRefusal(path: string, kind: "read" | "write"): string {
  return `${path} is inside ${
    kernelTree(path, kind)
  }, which the sandbox keeps to itself (its own /proc and /dev, no writes to /sys): no grant reaches the kernel's settings, processes or devices`;
}
