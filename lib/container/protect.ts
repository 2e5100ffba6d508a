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
 * the box with one line. A path that does not exist yet cannot be mounted over (the engine
 * would create it on the host, as root): it stays unenforced, and the start-up note says so.
 * (A link planted between this check and the engine's mount, by code of another session that
 * may write the same folder, is not caught: bubblewrap sessions pin paths, engines cannot.)
 *
 * @module
 */

import { join } from "node:path";
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
  /** Denied paths inside a mount that cannot be protected (they do not exist yet). */
  unenforced: string[];
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
  const unenforced: string[] = [];
  const mountOf = (path: string, folders: string[]) =>
    folders.filter((f) => under(path, f)).sort((a, b) => b.length - a.length)[0];
  const consider = (path: string, mode: ProtectedPath["mode"], folders: string[]) => {
    // Already a mount of its own (a write grant of a write-denied path is read-only).
    if (paths.some((q) => q.path === path) || [...mounts.rw, ...mounts.ro].includes(path)) return;
    const folder = mountOf(path, folders);
    if (!folder) return;
    const kind = inspect(path, folder);
    // A missing read denial has nothing to read; a missing write denial can be created.
    if (kind === "missing") {
      if (mode === "read-only") unenforced.push(path);
    } else paths.push({ path, mode, kind });
  };
  // Hidden first: a path denied both ways is hidden.
  for (const path of p.denyRead) consider(path, "hidden", [...mounts.rw, ...mounts.ro]);
  for (const path of p.denyWrite) consider(path, "read-only", mounts.rw);
  return { paths, unenforced: [...new Set(unenforced)] };
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
