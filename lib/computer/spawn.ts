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
import { SandboxSession } from "../sandbox/sandbox.ts";

/** How to spawn a session process. */
export interface SpawnSessionOptions {
  /** The permissions generated code runs under. */
  permissions: Permissions;
  /** The full environment of the process (already stripped of secrets). */
  env: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** The session's own scratch directory (driver, fifo, images): writable inside the sandbox. */
  dir?: string;
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
  // seam: sandbox — unless the permissions are allow-all, `cmd` runs inside the
  // OS sandbox (bubblewrap / sandbox-exec); with none available this throws
  // SandboxUnavailableError and nothing runs. Keep this the only place where
  // session processes are created.
  const sandbox = SandboxSession.openSync({
    permissions: options.permissions,
    cwd: options.cwd,
    extraWrite: options.dir ? [options.dir] : [],
  });
  let wrapped;
  try {
    wrapped = sandbox.wrap(cmd, options.env);
  } catch (error) {
    sandbox.closeSync();
    throw error;
  }
  const argv = ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh", ...wrapped.argv];
  const setsid = findSetsid();
  const full = setsid ? [setsid, ...argv] : argv;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(full[0], {
      args: full.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      clearEnv: true,
      env: wrapped.env,
      cwd: options.cwd,
    }).spawn();
  } catch (error) {
    sandbox.closeSync();
    throw error;
  }
  // The sandbox (temp directory, network proxy) lives as long as the process.
  child.status.finally(() => sandbox.closeSync());
  return child;
}
