/**
 * What a session's own runner needs to start under a program list.
 *
 * @module
 */

import { basename } from "node:path";
import { pathDirs, programLocations } from "./bwrap.ts";
import { realPathOr } from "./paths.ts";
import { unique } from "./defaults.ts";

const realInterpreters = new Map<string, string>();

/**
 * What a session's runner needs to start under a program list: the real
 * executable behind a version-manager shim (pyenv, asdf: a script that would
 * need many other programs), the interpreter of a script, and `mkfifo` for
 * the shell driver. `exec` replaces argv[0].
 */
export function sessionRunner(
  program: string,
  path?: string,
  options: { writable?: (path: string) => boolean } = {},
): { exec: string; keep: string[] } {
  const loc = programLocations(program, pathDirs(path))[0] ?? program;
  // A program code can write is never run on the host (not even to ask where it lives).
  const untrusted = [loc, realPathOr(loc)].some((x) => options.writable?.(x));
  let exec = loc;
  const keep = [loc, realPathOr(loc)];
  let head = "";
  try {
    const file = Deno.openSync(loc);
    const buf = new Uint8Array(256);
    const n = file.readSync(buf) ?? 0;
    file.close();
    head = new TextDecoder().decode(buf.subarray(0, n));
  } catch { /* unreadable: keep as is */ }
  if (head.startsWith("#!")) {
    if (/^python/.test(basename(loc)) && !untrusted) {
      let real = realInterpreters.get(loc);
      if (real === undefined) {
        try {
          const out = new Deno.Command(loc, {
            args: ["-c", "import sys; print(sys.executable)"],
            stdout: "piped",
            stderr: "null",
          }).outputSync();
          real = out.success ? new TextDecoder().decode(out.stdout).trim() : "";
        } catch {
          real = "";
        }
        realInterpreters.set(loc, real);
      }
      if (real) {
        exec = real;
        keep.push(real, realPathOr(real));
      }
    } else {
      const [interp, arg] = head.slice(2).split("\n")[0].trim().split(/\s+/);
      if (interp) keep.push(interp, realPathOr(interp));
      if (interp?.endsWith("/env") && arg) keep.push(arg);
    }
  }
  if (/^(ba|da|z|k)?sh$/.test(basename(loc))) keep.push("mkfifo");
  return { exec, keep: unique(keep) };
}
