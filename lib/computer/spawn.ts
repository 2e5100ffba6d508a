/**
 * The one place where session processes are started.
 *
 * Every process that runs generated code is spawned here, in a new session
 * (`setsid`) so it has no controlling terminal (a `sudo` / `ssh` prompt fails
 * fast instead of waiting for a password) and so the whole tree can be found
 * and stopped by session id. Standard error is merged into standard output so
 * the model sees both in the order they were written.
 *
 * @module
 */

import type { Permissions } from "../sandbox/permissions.ts";

/** How to spawn a session process. */
export interface SpawnSessionOptions {
  /** The permissions generated code runs under. */
  permissions: Permissions;
  /** The full environment of the process (already stripped of secrets). */
  env: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

let setsidPath: string | null | undefined;

function findSetsid(): string | null {
  if (setsidPath !== undefined) return setsidPath;
  setsidPath = null;
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    try {
      Deno.statSync(`${dir}/setsid`);
      setsidPath = `${dir}/setsid`;
      break;
    } catch {
      // not here
    }
  }
  return setsidPath;
}

/**
 * Spawns `cmd` as a session process with piped stdin and stdout (stderr merged
 * into stdout). The caller owns the returned child.
 */
export function spawnSession(cmd: string[], options: SpawnSessionOptions): Deno.ChildProcess {
  // seam: sandbox — when `options.permissions` is not allow-all, the sandbox
  // part wraps `cmd` in bubblewrap here (lib/sandbox). Keep this the only
  // place where session processes are created.
  const argv = ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh", ...cmd];
  const setsid = findSetsid();
  const full = setsid ? [setsid, ...argv] : argv;
  return new Deno.Command(full[0], {
    args: full.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    clearEnv: true,
    env: options.env,
    cwd: options.cwd,
  }).spawn();
}
