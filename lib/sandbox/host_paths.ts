/**
 * The interpreter's own files, which generated code may never change, and the
 * files it took secrets from, which generated code may never read: they stay
 * read-only (or hidden) in every sandbox, whatever the working directory and
 * whatever `--allow-write` grants (only `-A` runs code without a sandbox).
 *
 * - Read-only: the program itself (this checkout, or the compiled binary and
 *   the deno executable), Deno's cache (`DENO_DIR`: the npm packages the host
 *   imports later, such as sucrase on the first TypeScript run) and the data
 *   folders (conversations, history, full outputs).
 * - Hidden: the config folder (profiles, keys) and every file a key was read
 *   from (`registerSecretFile`, lib/sandbox/secret_files.ts), the profile
 *   cache in the data folder (parsed profiles, keys included), and the saved
 *   conversations and input history (other conversations' words).
 *
 * Folders that do not exist yet are made (mode 700) before the sandbox starts,
 * so code cannot plant them first (a data folder that is a link, a Deno cache
 * holding a forged package, a profile that sends the keys elsewhere).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configDir, dataDir } from "../storage/paths.ts";
import { realPathOr } from "./paths.ts";
import { unique } from "./defaults.ts";
import { secretFileList, settingsFileList } from "./secret_files.ts";
import { trustedProgram } from "./trusted.ts";

/** The programs the host starts around sandboxed code. */
const HELPER_PROGRAMS = ["bwrap", "setpriv", "setsid", "sh"];

/** The paths of the interpreter's own files, for one sandbox. */
export interface HostPaths {
  /** Kept read-only inside the sandbox (bound read-only where a write grant covers them). */
  readOnly: string[];
  /** Hidden inside the sandbox (unreadable mounts). */
  hidden: string[];
  /**
   * Folders to shadow (lib/sandbox/confine.ts): the data folders, so a file the host
   * makes or replaces there later (the profile cache) is not seen by a live session.
   */
  shadow: string[];
}

/** Deno's cache folder: `DENO_DIR`, else the platform default. */
export function denoDir(): string {
  const set = Deno.env.get("DENO_DIR");
  if (set) return set;
  const home = Deno.env.get("HOME") ?? "/";
  if (Deno.build.os === "darwin") return join(home, "Library", "Caches", "deno");
  return join(Deno.env.get("XDG_CACHE_HOME") || join(home, ".cache"), "deno");
}

/** This program's own source folder (the checkout holding lib/), when it runs from files. */
function programRoot(): string | undefined {
  // A compiled binary's files are virtual (they exist only inside it): the binary itself,
  // Deno.execPath(), is what is kept read-only.
  if ((Deno.build as { standalone?: boolean }).standalone) return undefined;
  const url = new URL("../../", import.meta.url);
  if (url.protocol !== "file:") return undefined;
  const root = fileURLToPath(url).replace(/\/$/, "");
  try {
    Deno.statSync(join(root, "lib", "sandbox"));
    return root;
  } catch {
    return undefined; // a compiled binary's virtual files
  }
}

function ensureDir(path: string): void {
  try {
    Deno.mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch { /* not ours to make (read-only file system...): protected if it appears */ }
}

/**
 * The interpreter's own files for a sandbox; `hostDirs` are more folders the
 * host writes into (the computer's `outputs/` and `html/`, which may sit in a
 * data folder inside the workspace): made when missing and kept read-only.
 * Makes the folders that are missing.
 */
export function hostPaths(hostDirs: readonly string[] = []): HostPaths {
  const data = dataDir();
  const config = configDir();
  const cache = denoDir();
  for (const d of [data, ...hostDirs, config, cache]) ensureDir(d);
  const exec = Deno.execPath();
  const root = programRoot();
  // The programs the host itself starts (bubblewrap, setpriv, setsid, sh): never replaced,
  // even under a write grant above them (bare --allow-write, working directory `/`).
  const helpers = HELPER_PROGRAMS.map(trustedProgram).filter((x): x is string => !!x);
  return {
    readOnly: unique(
      [
        data,
        ...hostDirs,
        cache,
        exec,
        realPathOr(exec),
        root ?? "",
        ...helpers,
        ...helpers.map(realPathOr),
        ...settingsFileList(),
      ]
        .filter(Boolean),
    ),
    // Past conversations and typed history belong to other conversations (and, in the server,
    // other clients): code of this one never reads them.
    hidden: unique([
      config,
      join(data, "profile_cache.json"),
      join(data, "conversations"),
      join(data, "history.jsonl"),
      ...secretFileList(),
    ]),
    shadow: [realPathOr(data)],
  };
}
