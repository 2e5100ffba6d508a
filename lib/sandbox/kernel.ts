/**
 * Kernel-level confinement added to every bubblewrap session, on top of the
 * mounts `bwrap.ts` sets up:
 *
 * - A user namespace (`--unshare-user`): code never holds real root. Run as
 *   root, the code is uid/gid 65534 inside (files it creates still belong to
 *   the real user outside: the namespace maps that id to root); further user
 *   namespaces are refused (`--disable-userns`), so code cannot gain
 *   capabilities in a namespace of its own to mount a fresh /proc.
 * - `/proc` and `/sys` read-only: a process whose id is root outside may
 *   write `/proc/sys` (`kernel.core_pattern` runs a program as real root),
 *   `/proc/sysrq-trigger` and sysfs files (cgroups, memory tunables) with no
 *   capability at all, even under a write-all grant.
 * - A seccomp filter (`seccomp.ts`): no kernel keyrings, bpf, perf,
 *   userfaultfd, mounts, modules, io_uring.
 * - A Landlock abstract-unix-socket scope (`landlock.ts`), unless display
 *   access is granted: abstract sockets of the host (X11's
 *   `@/tmp/.X11-unix/X0`, D-Bus) are shared with the network namespace.
 * - No display: `DISPLAY`, `WAYLAND_DISPLAY`, `XAUTHORITY` are dropped, the
 *   X authority file and the X11 / Wayland socket paths are hidden.
 *
 * Which of these the machine supports is probed once ({@linkcode kernelSupportSync}).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { landlockLauncher, type LauncherArch } from "./landlock.ts";
import { seccompFilter } from "./seccomp.ts";
import { trustedProgram } from "./trusted.ts";
import { isAllowAll, type Permissions } from "./permissions.ts";

/** What the kernel and bubblewrap here support. */
export interface KernelSupport {
  /** `--unshare-user --disable-userns` works. */
  userns: boolean;
  /** bubblewrap loads the seccomp filter (this architecture is known). */
  seccomp: boolean;
  /** The Landlock launcher runs (Landlock ABI >= 6: the abstract-socket scope). */
  landlock: boolean;
}

/** The uid and gid code runs as when the program runs as root. */
const UNPRIVILEGED_ID = 65534;

/** The environment variables that lead programs to a display. */
const DISPLAY_ENV: readonly string[] = ["DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY"];

/** The first file descriptor the bwrap command reads a file from (the filter, the launcher). */
const FIRST_FD = 3;

function machineArch(): LauncherArch | undefined {
  const arch = Deno.build.arch as string;
  return arch === "x86_64" || arch === "aarch64" ? arch : undefined;
}

/** Options for {@linkcode kernelConfinement}. */
export interface KernelOptions {
  /** The session's private folder (host-only): the filter and launcher files go there. */
  privateDir: string;
  /** The unreadable file bound over hidden files. */
  maskFile: string;
  /** Display access granted (default false): keeps the display variables and sockets. */
  display?: boolean;
  /**
   * The X authority file the session's environment names, hidden like the one this
   * program's `XAUTHORITY` and `~/.Xauthority` name (without display access).
   */
  xauthority?: string;
  /** What to use (default: {@linkcode kernelSupportSync}). */
  support?: KernelSupport;
  /**
   * The whole host root is bound (read all): `/sys` is visible, so it is bound read-only
   * again (a write-all grant binds it writable). Default true; false under a read list,
   * where `/sys` is not shown at all.
   */
  rootBound?: boolean;
}

/** The parts {@linkcode confineCommand} puts together. */
export interface KernelPlan {
  /** Arguments to append to bubblewrap's. */
  bwrapArgs: string[];
  /** Host files bubblewrap reads through inherited descriptors, in fd order from 3. */
  files: string[];
  /** The launcher's path inside the sandbox, when Landlock is applied. */
  launcher?: string;
  /** A cgroup's `cgroup.procs` the command joins before bubblewrap starts (process_limit.ts). */
  cgroupProcs?: string;
}

/**
 * The confinement for one session: writes the filter and launcher into the
 * session's private folder (which no sandbox can see or write) and returns
 * the bubblewrap arguments that use them.
 */
export function kernelConfinement(options: KernelOptions): KernelPlan {
  const support = options.support ?? kernelSupportSync();
  const arch = machineArch();
  const args: string[] = [];
  const files: string[] = [];
  // Each wrap writes its own files (exclusive create): a session may be wrapped more than once.
  const unique = crypto.randomUUID().slice(0, 8);
  if (support.userns) {
    args.push("--unshare-user", "--disable-userns");
    if (Deno.uid() === 0) {
      args.push("--uid", String(UNPRIVILEGED_ID), "--gid", String(UNPRIVILEGED_ID));
    }
  }
  // After bwrap.ts's `--proc /proc` (its arguments come first). /sys too: under a write-all
  // grant (`--bind / /`) its files (cgroups, mm tunables) are writable by their owner, root.
  args.push("--remount-ro", "/proc");
  if (options.rootBound !== false) args.push("--ro-bind-try", "/sys", "/sys");
  if (support.seccomp && arch) {
    const path = join(options.privateDir, `seccomp-${unique}.bpf`);
    Deno.writeFileSync(path, seccompFilter(arch), { createNew: true, mode: 0o400 });
    files.push(path);
    args.push("--seccomp", String(FIRST_FD + files.length - 1));
  }
  let launcher: string | undefined;
  if (support.landlock && arch && !options.display) {
    const path = join(options.privateDir, `launch-${unique}`);
    Deno.writeFileSync(path, landlockLauncher(arch), { createNew: true, mode: 0o400 });
    files.push(path);
    // Copied by bwrap into the sandbox (a host temp folder may be mounted noexec), next to
    // the private folder: inside the sandbox that is the empty folder hiding every session's.
    launcher = `${options.privateDir}.landlock-launch`;
    args.push("--perms", "0555", "--ro-bind-data", String(FIRST_FD + files.length - 1), launcher);
  }
  if (!options.display) args.push(...displayMasks(options.maskFile, options.xauthority));
  return { bwrapArgs: args, files, launcher };
}

/**
 * The full command: a shell opens `plan.files` as descriptors 3, 4... and
 * execs bubblewrap, which runs the launcher (when there is one) with
 * `command`. `command[0]` must be an absolute path when there is a launcher.
 */
export function confineCommand(
  bwrap: string[],
  command: string[],
  plan: KernelPlan,
): string[] {
  const inner = [
    ...bwrap,
    ...plan.bwrapArgs,
    "--",
    ...(plan.launcher ? [plan.launcher] : []),
    ...command,
  ];
  if (plan.files.length === 0 && !plan.cgroupProcs) return inner;
  const names = plan.files.map((_, i) => `f${i}`);
  // The shell joins the session's cgroup first: bubblewrap and all it starts are counted.
  const steps = plan.cgroupProcs ? ["cg=$1", "shift", `echo $$ > "$cg" 2>/dev/null`] : [];
  if (names.length > 0) {
    steps.push(names.map((n, i) => `${n}=$${i + 1}`).join(" "), `shift ${names.length}`);
  }
  steps.push(`exec "$@" ${names.map((n, i) => `${FIRST_FD + i}<"$${n}"`).join(" ")}`.trimEnd());
  const script = steps.join("; ");
  return [
    "/bin/sh",
    "-c",
    script,
    "sh",
    ...(plan.cgroupProcs ? [plan.cgroupProcs] : []),
    ...plan.files,
    ...inner,
  ];
}

/** Drops the display variables from `env` (in place) unless `display` is granted. */
export function dropDisplayEnv(env: Record<string, string>, display = false): void {
  if (display) return;
  for (const name of DISPLAY_ENV) delete env[name];
}

function exists(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Masks over what leads to a display: the X authority files, the X11 socket
 * folder, and Wayland sockets in the runtime folder.
 */
function displayMasks(maskFile: string, xauthority?: string): string[] {
  const args: string[] = [];
  const home = Deno.env.get("HOME");
  const files = [home && join(home, ".Xauthority"), Deno.env.get("XAUTHORITY"), xauthority];
  for (const f of new Set(files)) {
    if (f && f.startsWith("/") && exists(f)?.isFile) args.push("--ro-bind", maskFile, f);
  }
  if (exists("/tmp/.X11-unix")?.isDirectory) {
    args.push("--perms", "0000", "--tmpfs", "/tmp/.X11-unix");
  }
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime?.startsWith("/")) {
    try {
      for (const e of Deno.readDirSync(runtime)) {
        if (!e.name.startsWith("wayland-") || e.name.endsWith(".lock")) continue;
        const path = join(runtime, e.name);
        if (exists(path)?.isSocket) args.push("--ro-bind", maskFile, path);
      }
    } catch { /* no runtime folder */ }
  }
  return args;
}

let support: KernelSupport | undefined;

/** Runs one probe command; true when it exits 0. */
function probe(bwrap: string, plan: KernelPlan): boolean {
  const base = [
    bwrap,
    "--ro-bind",
    "/",
    "/",
    "--unshare-pid",
    "--cap-drop",
    "ALL",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--perms",
    "0555",
    "--tmpfs",
    plan.launcher ? dirname(plan.launcher) : "/tmp",
  ];
  const argv = confineCommand(base, ["/bin/sh", "-c", ":"], plan);
  try {
    return new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Finds (once, synchronously) which kernel confinement works here with
 * `bwrap` (the program path). One bubblewrap run when everything works; a
 * few more, one feature each, when not.
 */
export function kernelSupportSync(
  bwrap = trustedProgram("bwrap") ?? "/usr/bin/bwrap",
): KernelSupport {
  if (support) return support;
  const dir = Deno.makeTempDirSync({ prefix: "interpreter-kernel-probe-" });
  try {
    const mask = join(dir, "mask");
    Deno.writeTextFileSync(mask, "");
    let n = 0;
    const attempt = (s: KernelSupport) => {
      const privateDir = join(dir, String(n++));
      Deno.mkdirSync(privateDir);
      return probe(bwrap, kernelConfinement({ privateDir, maskFile: mask, support: s }));
    };
    const all = { userns: true, seccomp: !!machineArch(), landlock: !!machineArch() };
    if (attempt(all)) support = all;
    else {
      const none = { userns: false, seccomp: false, landlock: false };
      support = {
        userns: attempt({ ...none, userns: true }),
        seccomp: all.seccomp && attempt({ ...none, seccomp: true }),
        landlock: all.landlock && attempt({ ...none, landlock: true }),
      };
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  return support;
}

/**
 * The start-up note for what stays open because the kernel lacks a feature
 * (undefined when nothing does). `netShared`: the session shares the host's
 * network namespace (where abstract sockets live).
 */
export function kernelNote(
  netShared: boolean,
  s: KernelSupport = kernelSupportSync(),
): string | undefined {
  const gaps: string[] = [];
  if (netShared && !s.landlock) {
    gaps.push(
      "abstract unix sockets of the host (an X server's, D-Bus) stay reachable: no Landlock abstract-socket scope (Linux 6.12+)",
    );
  }
  if (!s.seccomp) {
    gaps.push("kernel keyrings stay readable: bubblewrap cannot load a seccomp filter here");
  }
  if (!s.userns) gaps.push("no user namespace: code keeps this program's user id");
  return gaps.length ? `Sandbox: ${gaps.join("; ")}.` : undefined;
}

/**
 * The start-up line about what the kernel leaves open for sessions under
 * `p`, without starting anything: the probe's answer when it already ran,
 * otherwise the kernel version (Landlock's abstract-socket scope needs Linux
 * 6.12) and, where readable, the list of active security modules.
 */
export function kernelStartupNote(p: Permissions): string | undefined {
  if (Deno.build.os !== "linux" || isAllowAll(p)) return undefined;
  const netShared = p.net === true && p.denyNet.length === 0;
  if (support) return kernelNote(netShared, support);
  const [major, minor] = Deno.osRelease().split(/[.-]/).map(Number);
  let landlock = major > 6 || (major === 6 && minor >= 12);
  try {
    landlock &&= Deno.readTextFileSync("/sys/kernel/security/lsm").includes("landlock");
  } catch { /* securityfs not mounted: the version decides */ }
  return kernelNote(netShared, { userns: true, seccomp: true, landlock });
}
