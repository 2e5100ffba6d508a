/**
 * The private root: one folder per user (`$TMPDIR/interpreter-sandbox-<uid>`)
 * holding every session's private folder (mask file, proxy socket), temp
 * folder and scratch folders. Every sandbox hides it whole and binds back only
 * its own session's folders, so no session sees another's.
 *
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";
import { PRIVATE_DIR_PREFIX } from "./bwrap.ts";
import { realPathOr } from "./paths.ts";

/**
 * The folder holding every session's private folder (mask file, proxy
 * socket). It stays in place, so each sandbox can hide it whole: no session
 * reaches another session's proxy.
 */
export function privateRoot(): string {
  const root = join(realPathOr(tmpdir()), `${PRIVATE_DIR_PREFIX}${Deno.uid() ?? "user"}`);
  try {
    Deno.mkdirSync(root, { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  // Someone else's folder (or a link) in a shared /tmp would let them swap our mask file.
  const info = Deno.lstatSync(root);
  const uid = Deno.uid();
  if (!info.isDirectory || (uid !== null && info.uid !== uid) || ((info.mode ?? 0) & 0o022)) {
    throw new Error(
      `${root} is not a private folder of this user (a link, another owner, or writable by others): remove it, or set TMPDIR to a private folder`,
    );
  }
  return root;
}

/**
 * Makes a session's scratch folder (driver files, the shell's stdin FIFO) in
 * the private root, which every sandbox hides: only the session that gets it
 * as `extraWrite` sees it.
 */
export function makeSessionDir(prefix: string): string {
  return realPathOr(Deno.makeTempDirSync({ dir: privateRoot(), prefix }));
}
