/**
 * Helper programs the host itself starts (bubblewrap, setpriv, setsid, sh),
 * found in the system folders only, never through PATH: PATH can hold a
 * folder the sandbox can write (an activated `.venv/bin` in the workspace),
 * and a `bwrap` planted there would run unsandboxed.
 *
 * @module
 */

import { isInside, realPathOr } from "./paths.ts";

/** The folders helper programs are taken from, in order (root-owned on every system). */
export const TRUSTED_PROGRAM_DIRS: readonly string[] = [
  "/usr/bin",
  "/bin",
  "/usr/sbin",
  "/sbin",
  "/usr/local/bin",
  "/usr/local/sbin",
  "/run/current-system/sw/bin",
];

const found = new Map<string, string | null>();

/** The absolute path of a system program, looked up once; null when missing. */
export function trustedProgram(name: string): string | null {
  const known = found.get(name);
  if (known !== undefined) return known;
  let path: string | null = null;
  for (const dir of TRUSTED_PROGRAM_DIRS) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) {
        path = `${dir}/${name}`;
        break;
      }
    } catch {
      // not here
    }
  }
  found.set(name, path);
  return path;
}

/**
 * `path` (a PATH value) without relative entries and without the folders inside `untrusted`
 * (folders generated code can write: an activated `.venv/bin` in the workspace), for programs
 * the host starts by name (the editor, MCP servers).
 */
export function pathWithout(untrusted: readonly string[], path: string): string {
  const bad = untrusted.map(realPathOr);
  return path.split(":").filter((dir) =>
    dir.startsWith("/") && !bad.some((u) => isInside(dir, u) || isInside(realPathOr(dir), u))
  ).join(":");
}

/** The first executable file `name` in the folders of `path`, or undefined. */
export function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(":")) {
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  return undefined;
}
