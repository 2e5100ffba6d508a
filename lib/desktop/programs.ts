/**
 * External programs the desktop backends drive (xdotool, xclip, xwd, tesseract, chromium...):
 * each is resolved to an absolute path in a trusted system folder (owned by root, not writable by
 * group or others, so neither generated code nor the sandbox can plant one), and every call is
 * bounded by a timeout.
 *
 * @module
 */

/** Folders a desktop program may come from (never PATH: a folder code can write would do). */
export const TRUSTED_PROGRAM_DIRS: readonly string[] = [
  "/usr/bin",
  "/bin",
  "/usr/sbin",
  "/sbin",
  "/usr/local/bin",
  "/opt/homebrew/bin",
  "/usr/lib/chromium",
];

/** The default bound of one program call, in milliseconds. */
const DEFAULT_PROGRAM_TIMEOUT_MS = 10_000;

const resolved = new Map<string, string>();

function trustedEntry(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    if (!info.isFile || info.mode === null) return false;
    // Owned by root (or by the user running us when not root) and not writable by others.
    const uid = Deno.uid();
    if (info.uid !== 0 && info.uid !== uid) return false;
    return (info.mode & 0o022) === 0 && (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function trustedDir(dir: string): boolean {
  try {
    const info = Deno.statSync(dir);
    return info.isDirectory && info.uid === 0 && info.mode !== null && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `name` in a trusted folder, or null when it is not installed there.
 * Symbolic links are followed to their target, which must be trusted too.
 */
export function findProgram(
  name: string,
  dirs: readonly string[] = TRUSTED_PROGRAM_DIRS,
): string | null {
  if (name.includes("/")) throw new Error(`program names are bare names, not paths: ${name}`);
  const key = `${dirs.join(":")}\0${name}`;
  const known = resolved.get(key);
  if (known) return known;
  let found: string | null = null;
  for (const dir of dirs) {
    if (!trustedDir(dir)) continue;
    const candidate = `${dir}/${name}`;
    let real: string;
    try {
      real = Deno.realPathSync(candidate);
    } catch {
      continue;
    }
    const realDir = real.slice(0, real.lastIndexOf("/")) || "/";
    if (trustedDir(realDir) && trustedEntry(real)) {
      found = real;
      break;
    }
  }
  // Only finds are kept: a program installed later is found on the next call.
  if (found) resolved.set(key, found);
  return found;
}

/** Thrown when a program a backend needs is not installed in a trusted folder. */
export class MissingProgramError extends Error {
  /** The missing programs, by name. */
  readonly programs: string[];
  /** Creates the error with a one-line message naming what to install. */
  constructor(programs: string[], hint?: string) {
    super(
      `missing ${programs.join(", ")}${hint ? `: ${hint}` : ""}`,
    );
    this.name = "MissingProgramError";
    this.programs = programs;
  }
}

/** Options of one program call. */
export interface RunProgramOptions {
  /** Bytes written to its standard input (closed after). */
  stdin?: Uint8Array | string;
  /** Environment variables (the call gets only these, plus PATH of trusted folders). */
  env?: Record<string, string>;
  /** Wall-clock bound in ms (default {@link DEFAULT_PROGRAM_TIMEOUT_MS}). */
  timeoutMs?: number;
  /**
   * Discard stdout and stderr (for programs such as `xclip -i` that fork and keep the pipes open:
   * reading them would never end).
   */
  discardOutput?: boolean;
}

/** What a program call returned. */
export interface ProgramResult {
  /** Exit status (128 + signal when killed). */
  code: number;
  /** Standard output bytes. */
  stdout: Uint8Array;
  /** Standard error, decoded. */
  stderr: string;
}

/**
 * Runs `name` (resolved with {@link findProgram}) with `args`, bounded by a timeout.
 * Throws {@link MissingProgramError} when it is not installed, and a one-line error on timeout.
 */
export async function runProgram(
  name: string,
  args: string[],
  options: RunProgramOptions = {},
): Promise<ProgramResult> {
  const path = findProgram(name);
  if (!path) throw new MissingProgramError([name]);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROGRAM_TIMEOUT_MS;
  const env = { PATH: TRUSTED_PROGRAM_DIRS.join(":"), ...options.env };
  const child = new Deno.Command(path, {
    args,
    env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: options.discardOutput ? "null" : "piped",
    stderr: options.discardOutput ? "null" : "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    if (options.stdin !== undefined) {
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      const writer = child.stdin.getWriter();
      try {
        await writer.write(bytes);
        await writer.close();
      } catch { /* the program exited early; its status says why */ }
    }
    if (options.discardOutput) {
      const status = await child.status;
      if (timedOut) throw new Error(`${name} did not finish within ${timeoutMs} ms`);
      return { code: status.code, stdout: new Uint8Array(), stderr: "" };
    }
    const out = await child.output();
    if (timedOut) throw new Error(`${name} did not finish within ${timeoutMs} ms`);
    return {
      code: out.code,
      stdout: out.stdout,
      stderr: new TextDecoder().decode(out.stderr).trim(),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a program and throws a one-line error when it fails; returns its stdout bytes. */
export async function runChecked(
  name: string,
  args: string[],
  options: RunProgramOptions = {},
): Promise<Uint8Array> {
  const result = await runProgram(name, args, options);
  if (result.code !== 0) {
    const why = result.stderr.split("\n")[0] || `exit status ${result.code}`;
    throw new Error(`${name} failed: ${why}`);
  }
  return result.stdout;
}
