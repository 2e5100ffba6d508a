/**
 * What the bubblewrap mounts protect by path, whether or not the path exists:
 * the bind structure that keeps files which run code on the host later (shell
 * start-up files, the workspace's `.git`, PATH folders in the home folder) and
 * the interpreter's own files read-only, keeps secrets hidden even when they
 * are created after the session started, and stops code from renaming a
 * protected path's folder away to plant a new one in its place.
 *
 * Three tools, all inside the sandbox's own mount namespace (nothing is made
 * on the host):
 *
 * - **Shadow** a folder: a tmpfs over it, every entry that exists now bound
 *   back (writable where a grant covers it), symlinks recreated, then the
 *   tmpfs made read-only. New entries cannot be made in it (a missing
 *   `~/.bashrc` stays missing), entries cannot be renamed or deleted (each is a
 *   mount point), and entries made on the host later are not seen (a secret
 *   created after the start stays out). The home folder is always shadowed,
 *   and so is the nearest existing folder (inside home) of each missing secret
 *   or start-up path. Home's hidden entries (`~/.inputrc`, `~/.vim`,
 *   `~/.config/…`: configuration, much of it run as code later) are bound back
 *   read-only even under a grant on home; only a grant naming one lifts that.
 * - **Pin** a folder: bind it onto itself, so it is a mount point that cannot
 *   be renamed (`mv .config .config_old`); every folder between a write grant
 *   and a protected path is pinned.
 * - **Protect** a path: bound read-only (done by the caller with the other
 *   `--deny-write` paths), or hidden (with the other secrets).
 *
 * @module
 */

import { dirname, join } from "node:path";
import type { Permissions } from "./permissions.ts";
import { expandPath, isInside, realPathOr } from "./paths.ts";
import { HOME_STARTUP_PATHS, unique } from "./defaults.ts";
import type { HostPaths } from "./host_paths.ts";
import { SYSTEM_READ_PATHS } from "./system_paths.ts";

/** A folder with more entries than this is not shadowed (the command line would be too long). */
const SHADOW_ENTRY_LIMIT = 4096;

/** What {@linkcode confinement} needs. */
export interface ConfineOptions {
  /** Writable bind roots, by real path (`["/"]` when every write is granted). */
  writes: readonly string[];
  /** Roots readable whole (`true` when everything is), by real path. */
  reads: readonly string[] | true;
  /** The user's home folder (default `$HOME`). */
  home?: string;
  /** The interpreter's own files ({@linkcode HostPaths}). */
  host?: HostPaths;
  /** PATH folders that exist, by real path. */
  pathDirs?: readonly string[];
}

/** The confinement of one sandbox. */
export interface Confinement {
  /** Shadows, pins and the write binds to restore under them: right after the write binds. */
  args: string[];
  /** Paths to bind read-only (existing, under a write grant), with the `--deny-write` paths. */
  readOnly: string[];
  /** Paths to hide, with the `--deny-read` paths. */
  hidden: string[];
  /** Makes the shadows read-only: the last mount arguments. */
  finish: string[];
  /** The folders shadowed (for the start-up line and tests). */
  shadowed: string[];
}

function lstat(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The nearest folder of `path` (itself excluded) that exists, by real path. */
function nearestExisting(path: string): string {
  let dir = dirname(path);
  while (dir !== "/" && !exists(dir)) dir = dirname(dir);
  return realPathOr(dir);
}

/**
 * The first 4 KiB of a regular file, or undefined. Code may have planted it:
 * never a FIFO or device (a read would block), never more than a few KiB.
 */
function readSmallFile(path: string): string | undefined {
  if (!lstat(path)?.isFile) return undefined;
  try {
    const file = Deno.openSync(path);
    try {
      const buf = new Uint8Array(4096);
      const n = file.readSync(buf) ?? 0;
      return new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The workspace repositories' `.git` of each write grant (a folder, or a file
 * naming the real one with `gitdir:`, and that one's `commondir`), unless the
 * grant list names that `.git` itself (the opt-in: `--allow-write=.git`).
 */
export function gitDirs(grants: readonly string[]): string[] {
  const out: string[] = [];
  const granted = new Set(grants.flatMap((g) => [g, realPathOr(g)]));
  for (const grant of grants) {
    const dotGit = join(grant, ".git");
    if (granted.has(dotGit) || granted.has(realPathOr(dotGit))) continue;
    const info = lstat(dotGit);
    if (!info) continue;
    out.push(dotGit, realPathOr(dotGit));
    if (!info.isFile) continue;
    const gitdir = readSmallFile(dotGit)?.match(/^gitdir:\s*(.+?)\s*$/m)?.[1];
    if (!gitdir) continue;
    const real = expandPath(gitdir, grant);
    out.push(real, realPathOr(real));
    const common = readSmallFile(join(real, "commondir"))?.trim();
    if (common) out.push(realPathOr(expandPath(common, real)));
  }
  return unique(out);
}

/** The confinement for one sandbox (see the module documentation). */
export function confinement(p: Permissions, options: ConfineOptions): Confinement {
  const writes = options.writes;
  const inWrites = (x: string) => writes.some((w) => isInside(x, w));
  const visible = (x: string) =>
    options.reads === true || options.reads.some((r) => isInside(x, r)) || inWrites(x);
  const rawHome = options.home ?? Deno.env.get("HOME");
  const home = rawHome && rawHome !== "/" ? realPathOr(rawHome) : undefined;
  const homeWritable = !!home && inWrites(home);
  const grants = Array.isArray(p.write) ? p.write : [];
  const granted = new Set(grants.flatMap((g) => [g, realPathOr(g)]));

  // Paths kept read-only: the interpreter's own files, the workspaces' repositories, and the
  // PATH folders inside a writable home (a program planted there runs at the user's next command).
  const pathInHome = homeWritable
    ? (options.pathDirs ?? []).filter((d) => isInside(d, home!) && !granted.has(d))
    : [];
  // System folders stay read-only under a grant above them (the working directory `/`), unless
  // a grant names them or a folder inside them.
  const system = grants.length === 0
    ? []
    : SYSTEM_READ_PATHS.map(realPathOr).filter((s) => !grants.some((g) => isInside(g, s)));
  const readOnly = unique(
    [...(options.host?.readOnly ?? []), ...gitDirs(grants), ...pathInHome, ...system].map(
      realPathOr,
    ),
  ).filter((x) => inWrites(x) && lstat(x) !== null);
  const hidden = unique((options.host?.hidden ?? []).flatMap((x) => [x, realPathOr(x)]));

  // Folders to shadow.
  const shadows = new Set<string>();
  const shadowable = (dir: string) => {
    const info = lstat(dir);
    return !!info?.isDirectory && visible(dir) && !!home && isInside(dir, home);
  };
  if (home && shadowable(home)) shadows.add(home);
  const startup = home
    ? new Set(HOME_STARTUP_PATHS.map((s) => expandPath(s, home)))
    : new Set<string>();
  const missingStartup = p.denyWrite.filter((d) => startup.has(d) && !exists(d));
  for (const m of missingStartup) {
    const dir = nearestExisting(m);
    if (inWrites(dir) && shadowable(dir)) shadows.add(dir);
  }
  for (const m of [...p.denyRead, ...hidden].filter((x) => !exists(x))) {
    const dir = nearestExisting(m);
    if (shadowable(dir)) shadows.add(dir);
  }
  for (const d of options.host?.shadow ?? []) {
    if (lstat(d)?.isDirectory && visible(d)) shadows.add(d);
  }
  // Each shadow's entries, read once (a folder that cannot be listed, or is too big, is not shadowed).
  const entries = new Map<string, Deno.DirEntry[]>();
  for (const s of [...shadows]) {
    const list: Deno.DirEntry[] = [];
    try {
      for (const e of Deno.readDirSync(s)) {
        list.push(e);
        if (list.length > SHADOW_ENTRY_LIMIT) break;
      }
    } catch {
      shadows.delete(s);
      continue;
    }
    if (list.length > SHADOW_ENTRY_LIMIT) shadows.delete(s);
    else entries.set(s, list);
  }

  // Home's hidden entries are configuration (`~/.inputrc`, `~/.vim`, `~/.ipython`, `~/.npmrc`,
  // `~/.config/*`: many run code on the host later); a grant on home does not cover them,
  // only a grant that names one (or a folder inside it).
  const isConfig = (path: string) =>
    !!home && isInside(path, home) && path !== home &&
    path.slice(home.length + 1).startsWith(".") &&
    !grants.some((g) => isInside(realPathOr(g), path));
  const writable = (path: string) => inWrites(path) && !isConfig(path);
  // A hidden entry that is a link (`~/.inputrc -> dotfiles/inputrc`): what it leads to is
  // configuration too, kept read-only wherever it is.
  for (const [dir, list] of entries) {
    for (const e of list) {
      const child = join(dir, e.name);
      if (!e.isSymlink || !isConfig(child)) continue;
      const target = realPathOr(child);
      if (target !== child && inWrites(target) && lstat(target)) readOnly.push(target);
    }
  }

  // Folders to pin: between the write root and each protected path or shadow.
  const pins = new Set<string>();
  const protectedInWrites = [
    ...readOnly,
    ...p.denyWrite.map(realPathOr).filter((d) => exists(d) && inWrites(d)),
    ...hidden.filter((h) => exists(h) && inWrites(h)),
    ...[...shadows].filter(inWrites),
  ];
  for (const target of protectedInWrites) {
    const root = writes.filter((w) => isInside(target, w)).sort((a, b) => b.length - a.length)[0];
    for (let a = dirname(target); a !== root && isInside(a, root) && a !== "/"; a = dirname(a)) {
      if (!shadows.has(a)) pins.add(a);
    }
  }

  const args: string[] = [];
  const depth = (x: string) => x.split("/").length;
  const restructured = [...new Set([...shadows, ...pins])].sort((a, b) => depth(a) - depth(b));
  for (const dir of restructured) {
    if (!shadows.has(dir)) {
      // A pin keeps the folder's own mode (a pinned `~/.cache` stays read-only).
      args.push(writable(dir) ? "--bind" : "--ro-bind", dir, dir);
      continue;
    }
    const mode = (lstat(dir)?.mode ?? 0o755) & 0o7777;
    args.push("--perms", mode.toString(8).padStart(4, "0"), "--tmpfs", dir);
    for (const entry of entries.get(dir) ?? []) {
      const child = join(dir, entry.name);
      if (entry.isSymlink) {
        try {
          args.push("--symlink", Deno.readLinkSync(child), child);
        } catch { /* gone */ }
        continue;
      }
      args.push(writable(child) ? "--bind-try" : "--ro-bind-try", child, child);
    }
  }
  // Write binds deeper inside a restructured folder were covered: bind them again.
  for (const w of [...writes].sort((a, b) => depth(a) - depth(b))) {
    if (restructured.some((d) => d !== w && isInside(w, d))) args.push("--bind", w, w);
  }
  const finish = [...shadows].flatMap((s) => ["--remount-ro", s]);
  return { args, readOnly, hidden, finish, shadowed: [...shadows] };
}
