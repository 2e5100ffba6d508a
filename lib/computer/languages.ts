/**
 * The languages the computer knows, their aliases (the names models use), and
 * how to find their interpreters on this machine.
 *
 * @module
 */

import { join } from "../storage/path.ts";
import { isInside, realPathOr } from "../sandbox/paths.ts";
import { TRUSTED_PROGRAM_DIRS } from "../sandbox/trusted.ts";

/** How a language is run. */
export type LanguageKind = "python" | "shell" | "deno" | "oneshot" | "html";

/** A language the computer knows. */
export interface LanguageInfo {
  /** Canonical name (used in the tool schema and in messages). */
  name: string;
  /** Other names models use for it (lower case). */
  aliases: string[];
  /** File extension for its code. */
  extension: string;
  /** How it runs. */
  kind: LanguageKind;
  /** For one-shot languages: the program that runs a file of code. */
  program?: string;
}

/** Every language the computer knows, available here or not. */
export const LANGUAGES: readonly LanguageInfo[] = [
  { name: "python", aliases: ["py", "python3", "ipython", "py3"], extension: "py", kind: "python" },
  {
    name: "shell",
    aliases: ["sh", "bash", "zsh", "shellscript", "shell-script", "console", "terminal", "cmd"],
    extension: "sh",
    kind: "shell",
  },
  {
    name: "javascript",
    aliases: ["js", "node", "nodejs", "deno", "mjs", "cjs", "ecmascript"],
    extension: "js",
    kind: "deno",
  },
  { name: "typescript", aliases: ["ts", "mts", "cts", "deno-ts"], extension: "ts", kind: "deno" },
  { name: "html", aliases: ["htm", "xhtml"], extension: "html", kind: "html" },
  { name: "ruby", aliases: ["rb"], extension: "rb", kind: "oneshot", program: "ruby" },
  { name: "perl", aliases: ["pl"], extension: "pl", kind: "oneshot", program: "perl" },
  { name: "php", aliases: [], extension: "php", kind: "oneshot", program: "php" },
  { name: "r", aliases: ["rscript"], extension: "r", kind: "oneshot", program: "Rscript" },
  { name: "lua", aliases: [], extension: "lua", kind: "oneshot", program: "lua" },
];

/**
 * The canonical name for a language name or alias (`"py"` -> `"python"`),
 * case-insensitive; `undefined` when the computer does not know it.
 */
export function resolveLanguage(name: string): string | undefined {
  return languageInfo(name)?.name;
}

/** The description of a language by name or alias, or `undefined`. */
export function languageInfo(name: string): LanguageInfo | undefined {
  const key = String(name ?? "").trim().toLowerCase().replace(/^\./, "");
  return LANGUAGES.find((l) => l.name === key || l.aliases.includes(key));
}

/** The full path of `program` on PATH (or `program` itself if it is a path), or undefined. */
export function which(program: string): string | undefined {
  if (program.includes("/")) return isExecutable(program) ? program : undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && isExecutable(`${dir}/${program}`)) return `${dir}/${program}`;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/** Where {@linkcode findProgram} looks, and where it must not. */
export interface ProgramSearch {
  /** Folders generated code can write (the working directory, write grants, the temp folder). */
  untrusted: readonly string[];
  /** The PATH to search (default: this process's). */
  path?: string;
}

/** What {@linkcode findProgram} found. */
export interface FoundProgram {
  /** The absolute path to run, when one was found in a trusted folder. */
  path?: string;
  /** Programs of that name on PATH that were passed over: code could have replaced them. */
  skipped: string[];
}

/**
 * The first of `names` found on PATH in a folder generated code cannot write: an absolute
 * PATH entry, outside every `untrusted` folder (by real path, the program's own real path
 * too), or one of the system folders (root's). Relative entries are never used. Programs
 * passed over are listed, so the caller can say why (an activated `.venv` in the workspace).
 */
export function findProgram(names: readonly string[], search: ProgramSearch): FoundProgram {
  const untrusted = search.untrusted.map(realPathOr);
  const system = TRUSTED_PROGRAM_DIRS.map(realPathOr);
  const trusted = (path: string) => {
    const real = realPathOr(path);
    if (system.includes(real.slice(0, real.lastIndexOf("/")))) return true;
    return !untrusted.some((u) => isInside(real, u) || isInside(path, u));
  };
  const skipped: string[] = [];
  const dirs = (search.path ?? Deno.env.get("PATH") ?? "").split(":");
  for (const name of names) {
    for (const dir of dirs) {
      if (!dir.startsWith("/")) continue;
      const candidate = join(dir, name);
      if (!isExecutable(candidate)) continue;
      if (trusted(join(realPathOr(dir), name)) && trusted(candidate)) {
        return { path: candidate, skipped };
      }
      if (!skipped.includes(candidate)) skipped.push(candidate);
    }
  }
  return { skipped };
}
