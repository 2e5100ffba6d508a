/**
 * One sandbox per live session: the per-session temp directory, the host
 * proxy when the network is limited to hosts, and the wrapping of the session
 * command in bubblewrap (Linux) or sandbox-exec (macOS). Where no OS sandbox
 * can be had and the permissions are not `-A`, opening a session fails with
 * {@linkcode SandboxUnavailableError}: nothing silently runs unconfined.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAllowAll, type Permissions } from "./permissions.ts";
import { bwrapArgs, pathDirs, programLocations } from "./bwrap.ts";
import { type ProcessLimit, processLimit, releaseProcessLimit } from "./process_limit.ts";
import { DEFAULT_MAX_PROCESSES } from "../settings/registry.ts";
import { seatbeltProfile } from "./seatbelt.ts";
import { sandboxEnv } from "./env.ts";
import { type NetDenial, type Proxy, startProxy } from "./proxy.ts";
import { isInside, realPathOr } from "./paths.ts";
import { unique } from "./defaults.ts";
import { confineCommand, dropDisplayEnv, kernelConfinement } from "./kernel.ts";
import { hostPaths } from "./host_paths.ts";
import { trustedProgram } from "./trusted.ts";
import { removeCodeTree, removeCodeTreeSync } from "./remove_tree.ts";
import { makeSessionDir, privateRoot } from "./private_root.ts";
import { sessionRunner } from "./runner.ts";

import { writeReaper } from "./reaper.ts";
import {
  type SandboxKind,
  type SandboxSupport,
  sandboxSupportSync,
  SandboxUnavailableError,
} from "./support.ts";
import { childPids } from "./code_leader.ts";

export { makeSessionDir, privateRoot, sessionRunner };
export {
  NO_SANDBOX_HELP,
  type SandboxKind,
  type SandboxSupport,
  sandboxSupport,
  sandboxSupportSync,
  SandboxUnavailableError,
} from "./support.ts";
export { childPids, codeLeader, isSandboxWrapper } from "./code_leader.ts";

/** Options for {@linkcode SandboxSession.open}. */
export interface SandboxSessionOptions {
  /** What the session's code may do. */
  permissions: Permissions;
  /** The session's working directory (default: the process cwd). */
  cwd?: string;
  /** Environment variable names to keep out of the session (the interpreter's key variables). */
  secretEnv?: readonly string[];
  /** Secret values: variables containing them are kept out. */
  secretValues?: readonly string[];
  /** Paths the session runner needs to read even under `--allow-read=<list>`. */
  extraRead?: readonly string[];
  /** Paths the session runner needs to write (its own scratch directory...). */
  extraWrite?: readonly string[];
  /** Force a kind (tests); default: what {@linkcode sandboxSupport} finds. */
  kind?: SandboxKind;
  /**
   * Display access (default false): keeps `DISPLAY`, `WAYLAND_DISPLAY`, `XAUTHORITY`,
   * the X authority file, the X11/Wayland sockets, and the host's abstract sockets.
   */
  display?: boolean;
  /** More folders the host writes into, kept read-only (the computer's `outputs/`, `html/`). */
  hostDirs?: readonly string[];
  /**
   * Bind the session's private folder read-only into the sandbox, so a socket the host serves
   * there (the Computer API channel, `--allow-display`) can be reached. The X server never is.
   */
  bindPrivateDir?: boolean;
  /** Processes one wrapped command may hold at once (default 1024; 0: no bound). */
  maxProcesses?: number;
}

/** A command ready to spawn. */
export interface WrappedCommand {
  /** The program and its arguments (the sandbox launcher first). */
  argv: string[];
  /** The full environment to give it (spawn with `clearEnv`). */
  env: Record<string, string>;
}

/** The in-sandbox proxy port (inside the session's own network namespace). */
export const RELAY_PORT = 3128;

/** Everything one sandboxed session needs; close it when the session ends. */
export class SandboxSession {
  /** The permissions in force. */
  readonly permissions: Permissions;
  /** The sandbox in use (`none` only under `-A`). */
  readonly kind: SandboxKind;
  /** The session's working directory. */
  readonly cwd: string;
  /** The per-session temp directory (TMPDIR), always writable, removed at close. */
  readonly tmpDir: string;
  #privateDir: string;
  #proxy?: Proxy;
  #denials: NetDenial[] = [];
  #options: SandboxSessionOptions;
  /** The process bounds of the commands wrapped so far (their cgroups go at close). */
  #limits: ProcessLimit[] = [];
  /** Why the process bound does not hold for this session, when it does not. */
  processNote: string | undefined;

  private constructor(
    options: SandboxSessionOptions,
    kind: SandboxKind,
    tmpDir: string,
    privateDir: string,
  ) {
    this.permissions = options.permissions;
    this.kind = kind;
    this.cwd = realPathOr(options.cwd ?? Deno.cwd());
    this.tmpDir = tmpDir;
    this.#privateDir = privateDir;
    this.#options = options;
  }

  /**
   * Prepares a session: finds the sandbox, makes the temp directory and starts
   * the proxy when the network is limited to hosts. Throws
   * {@linkcode SandboxUnavailableError} when the permissions need a sandbox
   * this machine lacks.
   */
  static open(options: SandboxSessionOptions): Promise<SandboxSession> {
    try {
      return Promise.resolve(SandboxSession.openSync(options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** {@linkcode SandboxSession.open}, synchronously (for spawners that cannot wait). */
  static openSync(options: SandboxSessionOptions): SandboxSession {
    let kind: SandboxKind = "none";
    if (!isAllowAll(options.permissions)) {
      const found = options.kind ? { kind: options.kind } : sandboxSupportSync();
      if (found.kind === "none") {
        throw new SandboxUnavailableError((found as SandboxSupport).reason ?? "none available");
      }
      kind = found.kind;
    }
    // Both live in the private root every sandbox hides (its own are bound back): no session
    // sees another's temp files or writes into its FIFOs.
    const root = privateRoot();
    const tmpDir = realPathOr(Deno.makeTempDirSync({ dir: root, prefix: "session-" }));
    const privateDir = realPathOr(Deno.makeTempDirSync({ dir: root }));
    const session = new SandboxSession(options, kind, tmpDir, privateDir);
    live.add(session);
    closeAllOnUnload();
    const mask = join(privateDir, "denied");
    Deno.writeTextFileSync(mask, "", { createNew: true });
    Deno.chmodSync(mask, 0o000);
    Deno.mkdirSync(join(privateDir, "denied-dir"), { mode: 0o000 });
    if (kind !== "none" && session.needsProxy) {
      const onDenied = (d: NetDenial) => session.#denials.push(d);
      const p = options.permissions;
      session.#proxy = kind === "bwrap"
        ? startProxy({
          allow: p.net,
          deny: p.denyNet,
          socketPath: join(privateDir, "proxy.sock"),
          onDenied,
        })
        : startProxy({ allow: p.net, deny: p.denyNet, port: 0, onDenied });
    }
    return session;
  }

  /** The session's private folder: made by the host, read-only (or hidden) inside the sandbox. */
  get privateDir(): string {
    return this.#privateDir;
  }

  /** True when network access goes through the host proxy (host lists). */
  get needsProxy(): boolean {
    const p = this.permissions;
    return !(p.net === false || (p.net === true && p.denyNet.length === 0));
  }

  /**
   * Wraps a session command. `env` is the environment it would have had
   * (default: this process's); the result's env is filtered (no API keys,
   * TMPDIR = the session temp directory, proxy variables when needed).
   */
  wrap(argv: string[], env: Record<string, string> = Deno.env.toObject()): WrappedCommand {
    const p = this.permissions;
    const childEnv = sandboxEnv(env, p, {
      secretEnv: this.#options.secretEnv,
      secretValues: this.#options.secretValues,
      tmpDir: this.tmpDir,
    });
    if (this.kind === "none") return { argv, env: childEnv };
    dropDisplayEnv(childEnv, this.#options.display);
    // Our own deno processes (the network relay, the JavaScript session) would otherwise check
    // dl.deno.land for a new release at start (a fresh DENO_DIR each session): an access the
    // user never asked for, refused by the proxy and reported to the model as the code's.
    childEnv.DENO_NO_UPDATE_CHECK ??= "1";
    argv = withDenoTmpDir(argv, this.tmpDir);
    // Under a program list, the session's own runner must still start.
    const runner = p.run === true ? undefined : sessionRunner(argv[0], env.PATH, {
      writable: (path) =>
        p.write === true || (Array.isArray(p.write) && p.write.some((w) => isInside(path, w))),
    });
    if (runner) argv = [runner.exec, ...argv.slice(1)];
    // Caches under a read-only home would fail (or warn, like matplotlib): keep them per session.
    const writable = (path: string | undefined) =>
      !!path &&
      (p.write === true || (Array.isArray(p.write) && p.write.some((w) => isInside(path, w))));
    if (!writable(childEnv.XDG_CACHE_HOME ?? (childEnv.HOME && join(childEnv.HOME, ".cache")))) {
      childEnv.XDG_CACHE_HOME = join(this.tmpDir, ".cache");
    }
    if (!writable(childEnv.MPLCONFIGDIR ?? (childEnv.HOME && join(childEnv.HOME, ".config")))) {
      childEnv.MPLCONFIGDIR = join(this.tmpDir, ".matplotlib");
    }
    let command = argv;
    const extraRead = [
      ...(this.#options.extraRead ?? []),
      ...programPrefixes(argv[0], env.PATH),
    ];
    const extraWrite = [...(this.#options.extraWrite ?? [])];
    if (this.needsProxy) {
      const url = this.kind === "bwrap"
        ? `http://127.0.0.1:${RELAY_PORT}`
        : `http://127.0.0.1:${this.#proxy!.port}`;
      for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]) {
        childEnv[name] = url;
        childEnv[name.toLowerCase()] = url;
      }
      delete childEnv.NO_PROXY;
      delete childEnv.no_proxy;
      if (this.kind === "bwrap") {
        const relay = relayCommand(this.#proxy!.socketPath!);
        extraRead.push(...relay.read);
        command = [...relay.argv, "--", ...argv];
      }
    }
    if (this.kind === "seatbelt") {
      const writable = Array.isArray(p.write) ? { ...p, write: [...p.write, ...extraWrite] } : p;
      const profile = seatbeltProfile(
        resolvePrograms(
          Array.isArray(p.run)
            ? { ...writable, run: [...p.run, ...(runner?.keep ?? [])] }
            : p.run === false
            ? { ...writable, run: runner?.keep ?? [] }
            : writable,
          env.PATH,
        ),
        {
          tmpDir: this.tmpDir,
          proxyPort: this.#proxy?.port,
          ...hostPaths(this.#options.hostDirs),
          privateRoot: dirname(this.#privateDir),
          own: extraWrite,
        },
      );
      return { argv: ["/usr/bin/sandbox-exec", "-p", profile, ...command], env: childEnv };
    }
    const args = bwrapArgs(p, {
      cwd: this.cwd,
      tmpDir: this.tmpDir,
      maskFile: join(this.#privateDir, "denied"),
      maskDir: join(this.#privateDir, "denied-dir"),
      unshareNet: p.net !== true || p.denyNet.length > 0,
      extraRead,
      extraWrite,
      socketDir: this.#proxy || this.#options.bindPrivateDir ? this.#privateDir : undefined,
      privateRoot: dirname(this.#privateDir),
      // prlimit runs first inside (process_limit.ts): a run list must not hide it.
      keepPrograms: [...(runner?.keep ?? []), command[0], trustedProgram("prlimit") ?? ""].filter(
        Boolean,
      ),
      path: env.PATH,
      host: hostPaths(this.#options.hostDirs),
    });
    return {
      argv: this.#confine(
        [trustedProgram("bwrap") ?? "/usr/bin/bwrap", ...args],
        command,
        childEnv,
        // The X authority file the session's own environment names is hidden too.
        env.XAUTHORITY,
      ),
      env: childEnv,
    };
  }

  /** The bwrap command with the kernel-level confinement (see kernel.ts). */
  #confine(
    bwrap: string[],
    command: string[],
    env: Record<string, string>,
    xauthority?: string,
  ): string[] {
    const plan = kernelConfinement({
      privateDir: this.#privateDir,
      maskFile: join(this.#privateDir, "denied"),
      display: this.#options.display,
      ...(xauthority ? { xauthority } : {}),
      rootBound: this.permissions.read === true,
    });
    // The launcher execs without a PATH search: name the program by its path.
    if (plan.launcher && !command[0].includes("/")) {
      const found = programLocations(command[0], pathDirs(env.PATH))[0];
      if (found) command = [found, ...command.slice(1)];
    }
    const limit = processLimit(
      this.#options.maxProcesses ?? DEFAULT_MAX_PROCESSES,
      crypto.randomUUID().slice(0, 12),
    );
    this.#limits.push(limit);
    this.processNote = limit.unbounded;
    if (limit.cgroupProcs) plan.cgroupProcs = limit.cgroupProcs;
    return confineCommand(bwrap, [...limit.prefix, ...command], plan);
  }

  /**
   * For an unconfined session (`-A`): `argv` behind the session reaper
   * (reaper.ts), so nothing the code starts outlives the session, not even a
   * `setsid` + `env -i` daemon. `argv` itself when sandboxed (bubblewrap's PID
   * namespace does that) or where the reaper cannot run; `reaper` says which.
   */
  reaped(argv: string[], env: Record<string, string>): { argv: string[]; reaper: boolean } {
    if (this.kind !== "none" || argv.length === 0) return { argv, reaper: false };
    const program = argv[0].includes("/")
      ? argv[0]
      : programLocations(argv[0], pathDirs(env.PATH))[0];
    const reaper = program ? writeReaper(this.#privateDir) : undefined;
    if (!reaper) return { argv, reaper: false };
    return { argv: [reaper, program!, ...argv.slice(1)], reaper: true };
  }

  /** Network accesses refused since the last call (and forgets them). */
  takeNetDenials(): NetDenial[] {
    return this.#denials.splice(0);
  }

  /**
   * The host process-group id to signal to interrupt the sandboxed command
   * (`Deno.kill(-pgid, "SIGINT")`), given the pid of the spawned wrapper.
   * Under bubblewrap this is its namespace's init; otherwise the pid itself.
   */
  async processGroup(wrapperPid: number, timeoutMs = 5000): Promise<number> {
    if (this.kind !== "bwrap") return wrapperPid;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const kids = childPids(wrapperPid);
      if (kids.length > 0) return kids[0];
      await new Promise((r) => setTimeout(r, 10));
    }
    return wrapperPid;
  }

  /** Leaves the list of sessions to close at exit (its denials stay until taken). */
  #detach(): void {
    live.delete(this);
  }

  /** Removes the temp directory and stops the proxy. */
  async close(): Promise<void> {
    this.#detach();
    for (const limit of this.#limits.splice(0)) releaseProcessLimit(limit);
    await this.#proxy?.close();
    await removeCodeTree(this.tmpDir);
    await Deno.chmod(join(this.#privateDir, "denied"), 0o600).catch(() => {});
    await Deno.chmod(join(this.#privateDir, "denied-dir"), 0o700).catch(() => {});
    await Deno.remove(this.#privateDir, { recursive: true }).catch(() => {});
  }

  /** {@linkcode SandboxSession.close} without waiting (the proxy finishes closing in the background). */
  closeSync(): void {
    this.#detach();
    for (const limit of this.#limits.splice(0)) releaseProcessLimit(limit);
    this.#proxy?.close().catch(() => {});
    // Only the private folder (never writable by code) holds the mask: nothing in the temp
    // folder, which code writes, is chmodded or followed.
    for (const [mask, mode] of [["denied", 0o600], ["denied-dir", 0o700]] as const) {
      try {
        Deno.chmodSync(join(this.#privateDir, mask), mode);
      } catch { /* not there */ }
    }
    removeCodeTreeSync(this.tmpDir);
    try {
      Deno.removeSync(this.#privateDir, { recursive: true });
    } catch { /* gone */ }
  }
}

/** Sessions not closed yet, closed when the program exits (their folders are removed). */
const live = new Set<SandboxSession>();
let unloadHooked = false;

/** A program that ends without closing its sessions still removes their folders. */
function closeAllOnUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const session of [...live]) session.closeSync();
  });
}

/**
 * For a `deno run` command, grants the session temp directory in its
 * `--allow-read` / `--allow-write` lists (Deno enforces its own flags, and
 * the temp directory is only known once the session exists).
 */
export function withDenoTmpDir(argv: string[], tmpDir: string): string[] {
  const runAt = argv.indexOf("run");
  if (runAt < 0 || !/^deno(\.exe)?$/.test(basename(argv[0] ?? ""))) return argv;
  const end = argv.findIndex((a, i) => i > runAt && !a.startsWith("-"));
  const flags = argv.slice(runAt + 1, end < 0 ? argv.length : end);
  if (flags.some((f) => f === "-A" || f === "--allow-all")) return argv;
  const out = [...argv];
  for (const kind of ["read", "write"]) {
    const at = flags.findIndex((f) => f === `--allow-${kind}` || f.startsWith(`--allow-${kind}=`));
    if (at < 0) out.splice(runAt + 1, 0, `--allow-${kind}=${tmpDir}`);
    else if (flags[at].includes("=")) {
      const i = out.indexOf(flags[at]);
      out[i] = `${flags[at]},${tmpDir}`;
    }
  }
  return out;
}

function resolvePrograms(p: Permissions, path?: string): Permissions {
  const dirs = pathDirs(path);
  const resolve = (names: string[]) => unique(names.flatMap((n) => programLocations(n, dirs)));
  return {
    ...p,
    run: Array.isArray(p.run) ? resolve(p.run) : p.run,
    denyRun: resolve(p.denyRun),
  };
}

/**
 * Where a program lives outside the system directories (pyenv, nvm, deno...):
 * its real directory and that directory's parent, so it can start under
 * `--allow-read=<list>`.
 */
function programPrefixes(program: string | undefined, path?: string): string[] {
  if (!program) return [];
  const loc = programLocations(program, pathDirs(path))[0];
  if (!loc) return [];
  const real = realPathOr(loc);
  return unique([dirname(loc), dirname(dirname(real))]);
}

function relayCommand(socketPath: string): { argv: string[]; read: string[] } {
  const exec = Deno.execPath();
  const args = [socketPath, String(RELAY_PORT)];
  if (/^deno(\.exe)?$/.test(basename(exec))) {
    const script = fileURLToPath(new URL("./relay.ts", import.meta.url));
    return {
      argv: [
        exec,
        "run",
        "--quiet",
        "--no-config",
        "--no-lock",
        `--allow-net=127.0.0.1:${RELAY_PORT},unix:${socketPath}`,
        `--allow-read=${socketPath}`,
        `--allow-write=${socketPath}`,
        "--allow-env",
        "--allow-run",
        script,
        ...args,
      ],
      read: [script, dirname(realPathOr(exec))],
    };
  }
  // The compiled binary: main.ts hands `__sandbox-relay` to runRelay().
  return { argv: [exec, "__sandbox-relay", ...args], read: [dirname(realPathOr(exec))] };
}
