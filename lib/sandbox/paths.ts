/**
 * Path helpers shared by the permission parsers and the sandbox builders:
 * `~` expansion and resolution against the working directory.
 *
 * @module
 */

// Not node:path / node:os: the permission line is drawn before the first prompt, and the
// first node: import costs ~10 ms (see lib/storage/path.ts).
import { homeDir, isAbsolute, join, resolve } from "../storage/path.ts";

/** Expands a leading `~` and makes the path absolute against `cwd`. */
export function expandPath(path: string, cwd: string): string {
  let p = path.trim();
  if (p === "~") p = homeDir();
  else if (p.startsWith("~/")) p = join(homeDir(), p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(cwd, p);
}

/** Shows a path the short way: `~/…` under the home directory, `.` for `cwd`. */
export function displayPath(path: string, cwd?: string): string {
  if (cwd && path === cwd) return ".";
  if (cwd && path.startsWith(cwd + "/")) return "./" + path.slice(cwd.length + 1);
  const home = homeDir();
  if (path === home) return "~";
  if (path.startsWith(home + "/")) return "~/" + path.slice(home.length + 1);
  return path;
}

/** True when `path` is `parent` or lies inside it. */
export function isInside(path: string, parent: string): boolean {
  if (parent === "/") return true;
  return path === parent || path.startsWith(parent.endsWith("/") ? parent : parent + "/");
}

/** Resolves symlinks when the path exists; otherwise returns it unchanged. */
export function realPathOr(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}
