/**
 * The few path functions the start-up path needs (`join`, `isAbsolute`,
 * `resolve`, the home folder), without `node:path` / `node:os`: the first
 * `node:` import loads Deno's Node compatibility layer, about 10 ms before the
 * first prompt could be drawn. Results match `node:path` (a test compares
 * them); Windows paths use `\` and accept `/` as well.
 *
 * @module
 */

const WINDOWS = Deno.build.os === "windows";
const SEP = WINDOWS ? "\\" : "/";

function isSep(c: string): boolean {
  return c === "/" || (WINDOWS && c === "\\");
}

/** The `C:` of a Windows path, or "". */
function drive(path: string): string {
  return WINDOWS && /^[a-zA-Z]:/.test(path) ? path.slice(0, 2) : "";
}

/** True for an absolute path (`/x`; on Windows also `C:\x` and `\\server\x`). */
export function isAbsolute(path: string): boolean {
  const rest = path.slice(drive(path).length);
  return rest.length > 0 && isSep(rest[0]);
}

/** Resolves `.` and `..` segments and repeated separators, as node's `normalize`. */
function normalize(path: string): string {
  if (path === "") return ".";
  const d = drive(path);
  const rest = path.slice(d.length);
  const absolute = rest.length > 0 && isSep(rest[0]);
  const trailing = rest.length > 0 && isSep(rest[rest.length - 1]);
  const out: string[] = [];
  for (const part of rest.split(WINDOWS ? /[\\/]/ : "/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  let body = out.join(SEP);
  if (body === "" && !absolute) body = ".";
  if (trailing && body !== "" && body !== ".") body += SEP;
  else if (trailing && body === "." && rest !== "" && !absolute) body = "." + SEP;
  return d + (absolute ? SEP : "") + body;
}

/** Joins path segments and normalizes the result (as node's `path.join`). */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join(SEP);
  return joined === "" ? "." : normalize(joined);
}

/** Makes a path absolute against the working folder (as node's `path.resolve`). */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    if (parts[i] === "") continue;
    path = path === "" ? parts[i] : `${parts[i]}${SEP}${path}`;
  }
  if (!isAbsolute(path)) path = path === "" ? Deno.cwd() : `${Deno.cwd()}${SEP}${path}`;
  const out = normalize(path);
  // resolve never keeps a trailing separator (except the root itself).
  return out.length > drive(out).length + 1 && isSep(out[out.length - 1]) ? out.slice(0, -1) : out;
}

/**
 * The user's home folder: `HOME` (on Windows `USERPROFILE`), else the
 * account's entry in /etc/passwd, as node's `os.homedir()` does.
 */
export function homeDir(): string {
  const env = Deno.env.get("HOME") ?? (WINDOWS ? Deno.env.get("USERPROFILE") : undefined);
  if (env) return env;
  const uid = Deno.uid();
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const fields = line.split(":");
      if (fields.length >= 6 && Number(fields[2]) === uid) return fields[5];
    }
  } catch { /* no passwd file */ }
  throw new NoHomeError(
    `cannot tell the home folder (HOME is unset and user ${uid} has no home in /etc/passwd): ` +
      "set HOME, or INTERPRETER_HOME to a folder for this program's files",
  );
}

/** No home folder can be found (HOME unset, no /etc/passwd entry): the message says what to set. */
export class NoHomeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NoHomeError";
  }
}
