/**
 * The one place where session processes are started.
 *
 * Every process that runs generated code is spawned here, in a new session
 * (`setsid`) so it has no controlling terminal (a `sudo` / `ssh` prompt fails
 * fast instead of waiting for a password) and so the whole tree can be found
 * and stopped by session id. Standard error is merged into standard output so
 * the model sees both in the order they were written. Where `setpriv`
 * (util-linux) is present the process also gets a parent-death signal
 * (SIGKILL), so it dies with this program even when this program is killed
 * without any chance to clean up (`kill -9`); bubblewrap adds
 * `--die-with-parent` on top, which ends everything inside the sandbox too.
 * Without the sandbox (`-A`), the session reaper (lib/sandbox/reaper.ts: a
 * child subreaper that starts the command) ends everything the code started,
 * even a `setsid` + `env -i` daemon, when the session ends or this program
 * goes; where it cannot run, a small watchdog ends what it can find.
 *
 * @module
 */

import { join } from "node:path";
import type { Permissions } from "../sandbox/permissions.ts";
import { SandboxSession } from "../sandbox/sandbox.ts";
import type { NetDenial } from "../sandbox/proxy.ts";
import { trustedProgram } from "../sandbox/trusted.ts";
import { CHANNEL_ENV, type ChannelHandler, listenChannel } from "../desktop/channel.ts";
import { SIGNATURES } from "../desktop/signatures.ts";

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
  /**
   * The computer's data folder: its `outputs/` (full outputs) and `html/` folders, which the
   * host writes, are read-only inside the sandbox (not the whole folder: it may be the workspace).
   */
  dataDir?: string;
  /**
   * The Computer API (`--allow-display`): served on a socket in the sandbox's private folder
   * (bound read-only into the sandbox), named to the session by `INTERPRETER_COMPUTER_SOCKET`.
   */
  channel?: ChannelHandler;
  /** Adjusts the command for the channel's socket path (the Deno session's permission flags). */
  channelArgs?: (cmd: string[], socketPath: string) => string[];
  /** Processes the session may hold at once (default 1024; 0: no bound). */
  maxProcesses?: number;
}

/** A system program (`setsid`, `setpriv`, `sh`) from the system folders, never through PATH. */
const systemProgram = trustedProgram;

/**
 * The launcher prefix of every session process: a parent-death signal (the
 * process is killed when this program dies, whatever way it dies), then a new
 * session. Each program execs the next, so the pid stays the same, and the
 * death signal survives the execs. The signal follows the spawning *thread*:
 * Deno spawns on the thread running the JavaScript (the main thread, which
 * lives as long as the program; in a Worker, the session ends with the worker).
 */
function launcherPrefix(): string[] {
  const prefix: string[] = [];
  const setpriv = Deno.build.os === "linux" ? systemProgram("setpriv") : null;
  if (setpriv) prefix.push(setpriv, "--pdeathsig", "KILL");
  // The spawned process never leads a process group, so setsid does not fork (the
  // death signal would not follow a fork).
  const setsid = systemProgram("setsid");
  if (setsid) prefix.push(setsid);
  return prefix;
}

// Waits for end of file on its stdin (this program's end, however it ends: the write end
// is close-on-exec, so only this program holds it), then kills the session's process group
// and every process carrying the session token ($2, an argument: the watchdog's own
// environment has no token, so the session's stop logic never finds it).
const WATCHDOG = `read _ || :
kill -KILL -- "-$1" 2>/dev/null
for e in /proc/[0-9]*/environ; do
  if grep -qaF "INTERPRETER_SESSION=$2" "$e" 2>/dev/null; then
    p=\${e#/proc/}; kill -KILL "\${p%/environ}" 2>/dev/null
  fi
done`;

/**
 * The watchdog of an unsandboxed session (Linux): when this program ends, it ends what
 * the code started. Killed when the session process exits (the session cleans up then).
 */
function startWatchdog(
  leader: number,
  env: Record<string, string>,
): Deno.ChildProcess | undefined {
  const token = env.INTERPRETER_SESSION;
  if (Deno.build.os !== "linux" || !token) return undefined;
  try {
    const watchdog = new Deno.Command(systemProgram("sh") ?? "/bin/sh", {
      args: ["-c", WATCHDOG, "watchdog", String(leader), token],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
      clearEnv: true,
      // Not the session's PATH: it can hold a folder code writes (a planted `grep` or `kill`).
      env: { PATH: "/usr/bin:/bin" },
    }).spawn();
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined; // no /bin/sh: the parent-death signal still ends the session itself
  }
}

/** A session process and what its sandbox saw. */
export interface SpawnedSession {
  /** The process (the caller owns it). */
  child: Deno.ChildProcess;
  /** Network accesses its sandbox's proxy refused since the last call (also after it ended). */
  takeNetDenials(): NetDenial[];
}

/**
 * Spawns `cmd` as a session process with piped stdin and stdout (stderr merged
 * into stdout). The caller owns the returned child.
 */
export function spawnSession(cmd: string[], options: SpawnSessionOptions): SpawnedSession {
  // seam: sandbox — unless the permissions are allow-all, `cmd` runs inside the
  // OS sandbox (bubblewrap / sandbox-exec); with none available this throws
  // SandboxUnavailableError and nothing runs. Keep this the only place where
  // session processes are created.
  const sandbox = SandboxSession.openSync({
    permissions: options.permissions,
    cwd: options.cwd,
    extraWrite: options.dir ? [options.dir] : [],
    hostDirs: options.dataDir
      ? [join(options.dataDir, "outputs"), join(options.dataDir, "html")]
      : [],
    bindPrivateDir: !!options.channel,
    maxProcesses: options.maxProcesses,
  });
  let wrapped;
  let channel: { close(): Promise<void> } | undefined;
  try {
    const socket = `${sandbox.privateDir}/computer.sock`;
    if (options.channel && options.channelArgs) cmd = options.channelArgs(cmd, socket);
    wrapped = sandbox.wrap(cmd, options.env);
    if (options.channel) {
      channel = listenChannel(socket, options.channel, {
        methods: new Set(Object.keys(SIGNATURES)),
        unref: true,
      });
      wrapped.env[CHANNEL_ENV] = socket;
    } else delete wrapped.env[CHANNEL_ENV];
  } catch (error) {
    channel?.close();
    sandbox.closeSync();
    throw error;
  }
  // Unconfined (-A): the session reaper ends whatever the code starts, with the session.
  const reaped = sandbox.reaped(wrapped.argv, wrapped.env);
  const argv = [systemProgram("sh") ?? "/bin/sh", "-c", 'exec "$@" 2>&1', "sh", ...reaped.argv];
  const full = [...launcherPrefix(), ...argv];
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
    channel?.close();
    sandbox.closeSync();
    throw error;
  }
  // Without the sandbox nothing ends the code's own processes if this program is killed.
  const watchdog = sandbox.kind === "none" && !reaped.reaper
    ? startWatchdog(child.pid, options.env)
    : undefined;
  // The sandbox (temp directory, network proxy) lives as long as the process.
  child.status.finally(() => {
    channel?.close();
    sandbox.closeSync();
    if (!watchdog) return;
    try {
      watchdog.kill("SIGKILL");
    } catch {
      // already gone
    }
    watchdog.stdin.close().catch(() => {});
  });
  // A live session must not keep this program running: a script that ends without
  // terminate() exits, and its sessions are ended on `unload` (see session.ts).
  child.unref();
  // The proxy's denials belong to the runs of this process (see finish.ts).
  return { child, takeNetDenials: () => sandbox.takeNetDenials() };
}
