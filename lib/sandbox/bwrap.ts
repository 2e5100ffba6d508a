/**
 * The bubblewrap command line that confines a session on Linux: a read-only
 * view of the machine, the granted paths bound writable, secrets masked with
 * unreadable mounts, fresh /proc and /dev in a new PID namespace, no network
 * namespace of its own unless the network is limited, all capabilities
 * dropped, a new session (no terminal injection), and death with its parent.
 *
 * @module
 */

import { dirname, join, relative } from "node:path";
import type { Permissions } from "./permissions.ts";
import { isInside, realPathOr } from "./paths.ts";
import { kernelTree } from "./kernel_trees.ts";
import { unique } from "./defaults.ts";
import { confinement } from "./confine.ts";
import { SYSTEM_READ_PATHS } from "./system_paths.ts";
import type { HostPaths } from "./host_paths.ts";

export { SYSTEM_READ_PATHS };

/** What {@linkcode bwrapArgs} needs besides the permissions. */
export interface BwrapPlan {
  /** The session's working directory. */
  cwd: string;
  /** The per-session temp directory (always writable). */
  tmpDir: string;
  /** An empty file with mode 000, bound over denied files and programs. */
  maskFile: string;
  /**
   * An empty folder with mode 000 in the host-only private folder: bound over socket folders
   * through links that make the mount skip a folder gone by then (see `gatedMask`).
   */
  maskDir?: string;
  /** Give the sandbox its own (empty) network namespace. */
  unshareNet: boolean;
  /** More paths to keep readable (the interpreter binary's prefix, helper scripts...). */
  extraRead?: readonly string[];
  /** More paths to make writable (the session runner's scratch directory). */
  extraWrite?: readonly string[];
  /** Directory holding the proxy socket, bound read-only. */
  socketDir?: string;
  /** The folder of every session's private folder: hidden whole (the socket dir is bound back). */
  privateRoot?: string;
  /** Programs the session itself needs even when `run` is restricted. */
  keepPrograms?: readonly string[];
  /** The PATH to resolve programs with (default: this process's PATH). */
  path?: string;
  /** Where to look for host unix sockets to hide (default {@linkcode defaultSocketRoots}). */
  socketRoots?: readonly string[];
  /** The interpreter's own files: read-only / hidden whatever the grants. */
  host?: HostPaths;
  /** The home folder to protect (default `$HOME`). */
  home?: string;
}

/** Prefix of each sandbox session's private folder (mask file, proxy socket). */
export const PRIVATE_DIR_PREFIX = "interpreter-sandbox-";

/** Places host unix sockets usually live (searched a few levels deep). */
function defaultSocketRoots(): string[] {
  const home = Deno.env.get("HOME");
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  return unique(
    ["/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm", home, runtime]
      .filter((d): d is string => !!d)
      .map(realPathOr),
  );
}

/** Directories too broad to hide whole: only the sockets in them are hidden. */
function broad(dir: string, roots: readonly string[]): boolean {
  return dir === "/" || roots.includes(dir) || dir === Deno.env.get("HOME");
}

/**
 * The host unix sockets to hide: every socket bound to a path listed in
 * /proc/net/unix (any depth), plus those found under `roots` (4 levels, at
 * most 20000 entries looked at). A directory holding sockets is hidden whole
 * (new sockets appear there later, e.g. /tmp/tmux-0), unless it is a root
 * itself or holds an `exempt` path; sockets inside an `exempt` path stay.
 */
export function socketMasks(
  roots: readonly string[],
  exempt: readonly string[],
): { path: string; isDirectory: boolean }[] {
  const masks = new Map<string, boolean>();
  let budget = 20_000;
  const walk = (dir: string, level: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      // Other sessions' private folders (their proxy socket) come and go: a mask on a path that
      // vanishes before bubblewrap mounts it would fail the start. Their proxies only offer
      // what that session's host list allows.
      if (e.name.startsWith(PRIVATE_DIR_PREFIX)) continue;
      const path = join(dir, e.name);
      if (exempt.some((x) => isInside(x, path) || isInside(path, x))) {
        if (e.isDirectory && level < 4 && !exempt.some((x) => isInside(path, x))) {
          walk(path, level + 1);
        }
        continue;
      }
      if (e.isDirectory && !e.isSymlink) {
        if (level < 4) walk(path, level + 1);
        continue;
      }
      if (e.isFile || e.isSymlink) continue;
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(path);
      } catch {
        continue;
      }
      if (!info.isSocket) continue;
      if (broad(dir, roots) || exempt.some((x) => isInside(x, dir))) masks.set(path, false);
      else masks.set(dir, true);
    }
  };
  for (const r of roots) walk(r, 1);
  // Every socket bound to a path right now, however deep (the walk above stops at 4 levels and
  // only looks under the roots; it stays for sockets made by processes in other network
  // namespaces, which this list does not show).
  for (const path of listedUnixSockets()) {
    if (path.split("/").some((part) => part.startsWith(PRIVATE_DIR_PREFIX))) continue;
    if (exempt.some((x) => isInside(path, x))) continue;
    try {
      if (!Deno.lstatSync(path).isSocket) continue;
    } catch {
      continue; // gone (or renamed) since it was bound
    }
    const dir = dirname(path);
    if (broad(dir, roots) || exempt.some((x) => isInside(x, dir))) {
      if (!masks.has(path)) masks.set(path, false);
    } else masks.set(dir, true);
  }
  // A hidden directory covers the sockets inside it.
  const dirs = [...masks].filter(([, d]) => d).map(([p]) => p);
  return [...masks]
    .filter(([p]) => !dirs.some((d) => d !== p && isInside(p, d)))
    .map(([path, isDirectory]) => ({ path, isDirectory }));
}

/**
 * The absolute paths of the unix sockets bound in this network namespace, from
 * /proc/net/unix (empty when it cannot be read). Abstract sockets (`@name`)
 * and relative bind paths are left out: neither can be masked by a mount.
 */
export function listedUnixSockets(table = "/proc/net/unix"): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(table);
  } catch {
    return [];
  }
  const paths = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path: the path is everything after the 7th field.
    const m = line.match(/^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s(.+)$/);
    if (m && m[1].startsWith("/")) paths.add(m[1]);
  }
  return [...paths];
}

function exists(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/**
 * A mask for a folder that may vanish before bubblewrap mounts it (another
 * program's socket folder in /tmp): a link, in the host-only private folder,
 * whose relative target passes through that folder (`<dir>/..`) to the
 * empty mode-000 `maskDir`. While the folder exists the link leads to the mask
 * and `--ro-bind-try link dir` hides the folder; once it is gone the link
 * dangles and bubblewrap skips the mount instead of failing the start.
 */
function gatedMask(maskDir: string, dir: string): string | undefined {
  const real = realPathOr(dir);
  const here = dirname(maskDir);
  const link = join(here, `gate-${crypto.randomUUID().slice(0, 12)}`);
  const target = `${relative(here, real)}/../${relative(dirname(real), maskDir)}`;
  try {
    Deno.symlinkSync(target, link);
    return link;
  } catch {
    return undefined;
  }
}

function lexists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Every directory on PATH that exists, by real path, without duplicates. */
export function pathDirs(path = Deno.env.get("PATH") ?? ""): string[] {
  return unique(path.split(":").filter((d) => d.startsWith("/")).map(realPathOr))
    .filter((d) => exists(d)?.isDirectory);
}

/** Every file on PATH named `program` (or the path itself if it has a slash), by real path too. */
export function programLocations(program: string, dirs: readonly string[]): string[] {
  const found: string[] = [];
  const candidates = program.includes("/") ? [program] : dirs.map((d) => join(d, program));
  for (const c of candidates) {
    if (exists(c)?.isFile) found.push(c, realPathOr(c));
  }
  return unique(found);
}

const depth = (p: string) => p.split("/").length;

/** The bwrap arguments (without the command) that enforce `p` for one session. */
export function bwrapArgs(p: Permissions, plan: BwrapPlan): string[] {
  const args: string[] = [
    "--new-session",
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
  ];
  if (plan.unshareNet) args.push("--unshare-net");
  // Root keeps its capabilities inside bwrap unless told otherwise.
  args.push("--cap-drop", "ALL");

  // What is visible: read-only, unless every write is granted.
  const bind = p.write === true ? "--bind" : "--ro-bind";
  if (p.read === true) {
    args.push(bind, "/", "/");
  } else {
    const reads = [
      ...SYSTEM_READ_PATHS,
      ...(plan.extraRead ?? []),
      ...(p.read === false ? [] : p.read),
    ];
    // Merged-/usr systems have /bin, /lib64... as symlinks: recreate them (the ELF loader path).
    const links: string[] = [];
    for (const r of SYSTEM_READ_PATHS) {
      try {
        if (Deno.lstatSync(r).isSymlink) links.push("--symlink", Deno.readLinkSync(r), r);
      } catch { /* absent */ }
    }
    const granted = unique(reads.map(realPathOr)).filter((r) => !kernelTree(r, "read"));
    for (const r of granted.sort((a, b) => depth(a) - depth(b))) {
      if (exists(r)) args.push(SYSTEM_READ_PATHS.includes(r) ? "--ro-bind" : bind, r, r);
    }
    args.push(...links);
  }
  args.push("--dev", "/dev", "--proc", "/proc");

  // Writable places: the grants plus the session temp directory; never the kernel's trees
  // (a library caller's Permissions object is not checked by the flag parser).
  const writes = unique(
    [...(Array.isArray(p.write) ? p.write : []), ...(plan.extraWrite ?? []), plan.tmpDir].map(
      realPathOr,
    ),
  ).filter((w) => !kernelTree(w, "write"));
  for (const w of writes.sort((a, b) => depth(a) - depth(b))) {
    if (exists(w)) args.push("--bind", w, w);
  }
  // Protection by path (lib/sandbox/confine.ts): shadowed and pinned folders.
  const confined = confinement(p, {
    writes: p.write === true ? ["/"] : writes.filter((w) => exists(w)),
    reads: p.read === true
      ? true
      : [...(p.read === false ? [] : p.read), ...(plan.extraRead ?? [])].map(realPathOr),
    home: plan.home,
    host: plan.host,
    pathDirs: pathDirs(plan.path),
  });
  args.push(...confined.args);
  for (const d of unique([...p.denyWrite, ...confined.readOnly].map(realPathOr))) {
    if (exists(d)) args.push("--ro-bind", d, d);
  }

  // Secrets: unreadable mounts over what exists (as the path is and as it resolves).
  for (const d of unique([...p.denyRead, ...confined.hidden].flatMap((x) => [x, realPathOr(x)]))) {
    const info = exists(d);
    if (!info) continue;
    if (info.isDirectory) args.push("--perms", "0000", "--tmpfs", realPathOr(d));
    else args.push("--ro-bind", plan.maskFile, realPathOr(d));
  }

  // Programs.
  const dirs = pathDirs(plan.path);
  if (p.run !== true) {
    const allowed = unique([...(p.run === false ? [] : p.run), ...(plan.keepPrograms ?? [])]);
    const keep = allowed.flatMap((prog) => programLocations(prog, dirs));
    const hidden = dirs.filter((d) => !isInside(plan.tmpDir, d) && !isInside(plan.cwd, d));
    for (const d of hidden) args.push("--perms", "0755", "--tmpfs", d);
    for (const k of keep) {
      if (hidden.includes(dirname(k))) args.push("--ro-bind", realPathOr(k), k);
    }
    for (const d of hidden) args.push("--remount-ro", d);
  }
  for (const prog of p.denyRun) {
    for (const loc of programLocations(prog, dirs)) args.push("--ro-bind", plan.maskFile, loc);
  }

  if (plan.privateRoot && exists(plan.privateRoot)) {
    // Empty but traversable: only this session's folders are bound back inside it (its temp
    // folder and scratch folders writable, its private folder read-only), so no session sees,
    // or writes into a FIFO of, another session's folders.
    const root = realPathOr(plan.privateRoot);
    args.push("--perms", "0555", "--tmpfs", root);
    for (const w of writes) if (w !== root && isInside(w, root)) args.push("--bind", w, w);
    for (const r of (plan.extraRead ?? []).map(realPathOr)) {
      if (r !== root && isInside(r, root) && exists(r)) args.push("--ro-bind", r, r);
    }
  }
  if (plan.socketDir) args.push("--ro-bind", plan.socketDir, plan.socketDir);
  // Host unix sockets (tmux, docker, dbus, ssh-agent...) would let code act outside: hide them.
  // Found last and checked again once found: a socket folder that vanishes before bubblewrap
  // mounts over it fails the start (bubblewrap has no "mask if present"), so the window between
  // the search and the spawn is kept as short as it can be.
  const masks = socketMasks(plan.socketRoots ?? defaultSocketRoots(), [plan.cwd, plan.tmpDir]);
  for (const m of masks) {
    if (!lexists(m.path)) continue;
    const gate = m.isDirectory && plan.maskDir ? gatedMask(plan.maskDir, m.path) : undefined;
    if (gate) args.push("--ro-bind-try", gate, m.path);
    else if (m.isDirectory) args.push("--perms", "0000", "--tmpfs", m.path);
    else args.push("--ro-bind", plan.maskFile, m.path);
  }
  args.push(...confined.finish);
  // A working directory the code may not see: start in the session temp directory instead.
  const visible = p.read === true || [
    ...(p.read === false ? [] : p.read),
    ...writes,
    ...(plan.extraRead ?? []),
  ].some((r) => isInside(realPathOr(plan.cwd), realPathOr(r)));
  const hidden = p.denyRead.some((d) => isInside(realPathOr(plan.cwd), d));
  args.push("--chdir", visible && !hidden ? plan.cwd : plan.tmpDir);
  return args;
}
