/**
 * Denials inside a mounted folder. A container mounts each granted folder whole, so a
 * `--deny-write` or `--deny-read` of a path inside it (the default `<cwd>/.git`, secrets such
 * as `~/.ssh` when the working directory is home) would not hold in the box: code could plant
 * a git hook the host runs later, or read a key. For an engine on this machine, each such
 * path that exists is mounted again over itself: read-only for a write denial; hidden for a
 * read denial (an empty engine volume mounted read-only, or `/dev/null` for a file; a tmpfs
 * would not do: podman mounts those before the folder holding them).
 *
 * The engine (root) follows links in a mount's source, so every step from the mounted folder
 * down to the path is checked first: a link there, which code could have planted, refuses
 * the box with one line. A write-denied path that does not exist yet cannot be mounted over
 * (the engine would make it on the host, as root): a missing `.git` is made here, empty (git
 * ignores it), and any other refuses the box with one line saying what to do.
 * (A link planted between this check and the engine's mount, by code of another session that
 * may write the same folder, is not caught: bubblewrap sessions pin paths, engines cannot.)
 *
 * @module
 */

import { basename, join } from "node:path";
import type { Permissions } from "../sandbox/permissions.ts";

/** A path inside a mounted folder, mounted over itself. */
export interface ProtectedPath {
  /** The host path (the same path inside the box). */
  path: string;
  /** `read-only` (a write denial) or `hidden` (a read denial). */
  mode: "read-only" | "hidden";
  /** What it is on the host. */
  kind: "dir" | "file";
}

/** What {@linkcode protectInside} found. */
export interface Protection {
  /** The paths to mount over themselves. */
  paths: ProtectedPath[];
}

/** A denial inside a mounted folder that cannot be honoured safely: the box must not start. */
export class ProtectionError extends Error {
  /** Names the path and the way out. */
  constructor(message: string) {
    super(message);
    this.name = "ProtectionError";
  }
}

function under(path: string, folder: string): boolean {
  return path !== folder && path.startsWith(folder === "/" ? "/" : `${folder}/`);
}

/**
 * What stands at `path`, checked step by step from `folder` (a mount's source): `missing`,
 * or its kind; throws {@linkcode ProtectionError} on a link at any step.
 */
function inspect(path: string, folder: string): "missing" | "dir" | "file" {
  const steps = path.slice(folder.length + 1).split("/").filter(Boolean);
  let at = folder;
  for (const [i, step] of steps.entries()) {
    at = join(at, step);
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(at);
    } catch {
      return "missing";
    }
    if (info.isSymlink) {
      throw new ProtectionError(
        `${at} is a symbolic link inside a mounted folder, so the denial of ${path} cannot be ` +
          `enforced in a container: remove the link, or grant the path (--allow-write/--allow-read)`,
      );
    }
    if (i < steps.length - 1 && !info.isDirectory) return "missing";
    if (i === steps.length - 1) return info.isDirectory ? "dir" : "file";
  }
  return "missing";
}

/**
 * Throws {@linkcode ProtectionError} when a step from a folder mounted read-write down to a
 * folder mounted inside it is a link: code of an earlier box could have renamed the real
 * one away and planted it, and the engine (root) would mount what it names.
 */
function refuseLinkedMounts(mounts: { rw: string[]; ro: string[] }): void {
  for (const inner of [...mounts.rw, ...mounts.ro]) {
    for (const outer of mounts.rw.filter((f) => under(inner, f))) {
      let at = outer;
      for (const step of inner.slice(outer.length + 1).split("/").filter(Boolean)) {
        at = join(at, step);
        let link = false;
        try {
          link = Deno.lstatSync(at).isSymlink;
        } catch {
          break; // missing: the engine refuses a bind mount of it
        }
        if (link) {
          throw new ProtectionError(
            `${at} is a symbolic link inside a mounted folder, so the grant of ${inner} cannot ` +
              `be mounted safely in a container: remove the link, or grant another path`,
          );
        }
      }
    }
  }
}

/**
 * The denied paths inside the folders mounted read-write (`rw`) and read-only (`ro`), for an
 * engine on this machine. Throws {@linkcode ProtectionError} when a link stands in the way
 * (to a denied path, or to a folder mounted inside one mounted read-write).
 */
export function protectInside(p: Permissions, mounts: { rw: string[]; ro: string[] }): Protection {
  refuseLinkedMounts(mounts);
  const paths: ProtectedPath[] = [];
  const mountOf = (path: string, folders: string[]) =>
    folders.filter((f) => under(path, f)).sort((a, b) => b.length - a.length)[0];
  const consider = (path: string, mode: ProtectedPath["mode"], folders: string[]) => {
    // Already a mount of its own (a write grant of a write-denied path is read-only).
    if (paths.some((q) => q.path === path) || [...mounts.rw, ...mounts.ro].includes(path)) return;
    const folder = mountOf(path, folders);
    if (!folder) return;
    let kind = inspect(path, folder);
    // A missing read denial has nothing to read; a missing write denial could be made by the
    // box (a `.git/config` whose fsmonitor the host's next `git status` runs, a login file).
    if (kind === "missing" && mode === "read-only") kind = makeStandIn(path, folder);
    if (kind !== "missing") paths.push({ path, mode, kind });
  };
  // Hidden first: a path denied both ways is hidden.
  for (const path of p.denyRead) consider(path, "hidden", [...mounts.rw, ...mounts.ro]);
  for (const path of p.denyWrite) consider(path, "read-only", mounts.rw);
  return { paths };
}

/**
 * A write-denied `.git` that is not there yet is made here, empty, so it can be mounted
 * read-only: git ignores an empty `.git` (no HEAD: not a repository) and `git init` fills it.
 * Any other missing write-denied path refuses the box: an empty stand-in could change what
 * runs (an empty `~/.bash_profile` hides `~/.profile`). `mkdir` makes only the last step and
 * follows no link; what stands there afterwards is checked again.
 */
function makeStandIn(path: string, folder: string): "dir" {
  if (basename(path) === ".git") {
    try {
      Deno.mkdirSync(path, { mode: 0o755 });
    } catch { /* its parent is missing, or something appeared: checked below */ }
    if (inspect(path, folder) === "dir") return "dir";
  }
  throw new ProtectionError(
    `${path} is write-denied but not there yet, inside the write grant ${folder}: code in a ` +
      `container could make it, and it would be used on this machine later. Create it, start ` +
      `in another folder, or lift the denial (--allow-write=${path})`,
  );
}

function realOrSelf(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/**
 * Throws {@linkcode ProtectionError} when the engine's socket (`socket`, on this machine) is
 * one of `sources` (host paths bound into a box) or inside one, links resolved as the engine
 * resolves them (`/var/run` is `/run`): a unix socket connects even on a read-only mount,
 * and the engine is root here.
 */
export function refuseEngineSocket(socket: string, sources: string[]): void {
  const real = realOrSelf(socket);
  for (const source of sources) {
    const folder = realOrSelf(source);
    if (real === folder || real.startsWith(folder === "/" ? "/" : `${folder}/`)) {
      throw new ProtectionError(
        `the container engine's socket ${socket} is inside ${source}, so code in the box could ` +
          `drive the engine (root on this machine): grant a folder that does not hold it`,
      );
    }
  }
}
