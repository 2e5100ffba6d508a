/**
 * How the permission flags map to a container (the engine's create body), and what the
 * start-up note says changed in meaning. Verified confinement: no capabilities, no new
 * privileges, a read-only root, a process and memory limit, an unprivileged user, and only
 * what the grants name bound in from the host. The host's environment is never passed:
 * the container gets an explicit list.
 *
 * @module
 */

import { isSecretName } from "../wire/secrets.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import { type ProtectedPath, protectInside } from "./protect.ts";

/** Limits and identity of a session's container. */
export interface ContainerLimits {
  /** `uid:gid` the code runs as (default `1000:1000`). */
  user?: string;
  /** Bytes of memory (default 1 GiB). */
  memory?: number;
  /** Processes at most (default 256). */
  pidsLimit?: number;
}

/** What {@linkcode containerCreateBody} needs. */
export interface ContainerSpecInput {
  /** The image (built by `deno task image`). */
  image: string;
  /** The permissions in force. */
  permissions: Permissions;
  /** The working directory (bound at the same path when writes or reads of it are granted). */
  cwd: string;
  /** Extra variables given explicitly (nothing else of the host's environment is passed). */
  env?: Record<string, string>;
  /** The host's environment, read only for names `permissions.env` lists (never secrets). */
  hostEnv?: Record<string, string>;
  /** The driver's command. */
  cmd: string[];
  /** Labels (instance, session) so containers can be found and swept. */
  labels: Record<string, string>;
  /** Limits. */
  limits?: ContainerLimits;
  /** The host folder of the network proxy's socket (host lists; a local engine only). */
  proxyDir?: string;
  /**
   * True when the engine runs on this machine, so host paths can be checked: denials inside
   * mounted folders are then mounted over (protect.ts); otherwise the note lists them.
   */
  localPaths?: boolean;
}

/** Where the proxy's folder is bound inside the box. */
const PROXY_MOUNT = "/run/oi-proxy";
/** The loopback port inside the box that the driver relays to the proxy. */
const PROXY_PORT = 3128;

const BASE_ENV: Record<string, string> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/tmp",
  LANG: "C.UTF-8",
  PYTHONUNBUFFERED: "1",
  PYTHONDONTWRITEBYTECODE: "1",
  TERM: "dumb",
  // Deno (JavaScript sessions) keeps its cache in the box's /tmp, a tmpfs: the root is read-only.
  DENO_DIR: "/tmp/.deno",
  DENO_NO_UPDATE_CHECK: "1",
};

function grantPaths(grant: boolean | string[], cwd: string): string[] {
  if (grant === true) return [cwd];
  if (grant === false) return [];
  return grant.map((p) => (p === "." ? cwd : p)).filter((p) => p.startsWith("/"));
}

const RESERVED = [
  "/",
  "/tmp",
  "/run",
  "/run/oi",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/etc",
  "/var",
];

/** True when a host folder may be bound at the same path (not over the image's own folders). */
function mountable(path: string): boolean {
  const clean = path.replace(/\/+$/, "") || "/";
  if (RESERVED.includes(clean)) return false;
  return !/^\/(proc|dev|sys|run\/oi)(\/|$)/.test(clean) && !clean.split("/").includes("..");
}

/** What a session's box (container or pod) is made of, whatever runs it. */
export interface BoxSpec {
  /** A name for the box (the Engine API; default: the engine's). */
  name?: string;
  /** The image. */
  image: string;
  /** The driver's command. */
  cmd: string[];
  /** The whole environment of the box (an explicit list). */
  env: Record<string, string>;
  /** `uid:gid`. */
  user: string;
  /** Working directory inside. */
  workdir: string;
  /** Labels. */
  labels: Record<string, string>;
  /** Host folders bound read-write at the same path. */
  writes: string[];
  /** Host folders bound read-only at the same path. */
  reads: string[];
  /** Denied paths inside those folders, mounted over themselves (read-only or hidden). */
  protected: ProtectedPath[];

  /** True: the engine's default network; false: none. */
  network: boolean;
  /**
   * A host folder holding the network proxy's socket (host lists): bound read-only at
   * {@linkcode PROXY_MOUNT}; the driver relays 127.0.0.1:{@linkcode PROXY_PORT} to it.
   */
  proxyDir?: string;
  /** Processes at most. */
  pidsLimit: number;
  /** Bytes of memory. */
  memory: number;
}

/** The box for these permissions, and the notes on what the flags mean in a container. */
export function boxSpec(input: ContainerSpecInput): { spec: BoxSpec; notes: string[] } {
  const p = input.permissions;
  const notes: string[] = [];
  // A grant at or inside a denied path keeps the denial, as in a bubblewrap session (which
  // mounts the denial over it): a write-denied one is mounted read-only, a read-denied one
  // not at all.
  const within = (path: string, denied: string[]) =>
    denied.some((d) => path === d || path.startsWith(d === "/" ? "/" : `${d}/`));
  const granted = grantPaths(p.write, input.cwd).filter((w) => !within(w, p.denyRead));
  const writes = granted.filter((w) => !within(w, p.denyWrite));
  const demoted = p.read === false ? [] : granted.filter((w) => within(w, p.denyWrite));
  const reads = [...new Set([...grantPaths(p.read, input.cwd), ...demoted])].filter((r) =>
    !writes.includes(r) && !within(r, p.denyRead)
  );
  const skipped = [...writes, ...reads].filter((path) => !mountable(path));
  if (skipped.length) notes.push(`not mounted (system or session folders): ${skipped.join(", ")}`);
  const rw = writes.filter(mountable);
  const ro = reads.filter(mountable);
  // A folder is mounted whole: a denial inside it is mounted over (a local engine), or said.
  const under = (path: string, folders: string[]) =>
    folders.some((f) => path === f || path.startsWith(`${f}/`));
  const protection = input.localPaths ? protectInside(p, { rw, ro }) : undefined;
  const unenforced = protection ? [] : [
    ...new Set([
      ...p.denyWrite.filter((d) => under(d, rw)),
      ...p.denyRead.filter((d) => under(d, [...rw, ...ro])),
    ]),
  ];
  if (unenforced.length) {
    notes.push(
      `not enforced in a container on a remote engine (inside a mounted folder): ` +
        `--deny-write/--deny-read of ${unenforced.join(", ")}`,
    );
  }
  if (p.write === true) notes.push("write: only the working directory is mounted, read-write");
  if (p.read === true) notes.push("read: only what is mounted (the image and granted folders)");
  const fullNet = p.net === true && p.denyNet.length === 0;
  const listed = !fullNet && p.net !== false && (p.net === true || p.net.length > 0);
  if (listed && !input.proxyDir) {
    notes.push("network: host lists need a local engine (the proxy socket), so the network is off");
  } else if (listed) {
    notes.push(
      "network: only the listed hosts, through HTTP_PROXY/HTTPS_PROXY inside the container",
    );
  }
  const env: Record<string, string> = { ...BASE_ENV };
  if (Array.isArray(p.env) && input.hostEnv) {
    for (const name of p.env) {
      const value = input.hostEnv[name];
      if (value !== undefined && !isSecretName(name) && !p.denyEnv.includes(name)) {
        env[name] = value;
      }
    }
  }
  if (p.env === true) {
    notes.push("env: the host's environment is not passed, only an explicit list");
  }
  Object.assign(env, input.env ?? {});
  if (listed && input.proxyDir) {
    const proxy = `http://127.0.0.1:${PROXY_PORT}`;
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]) {
      env[name] = env[name.toLowerCase()] = proxy;
    }
    env.OI_PROXY_PORT = String(PROXY_PORT);
  }
  const limits = input.limits ?? {};
  return {
    spec: {
      image: input.image,
      cmd: input.cmd,
      env,
      user: limits.user ?? "1000:1000",
      workdir: [...rw, ...ro].includes(input.cwd) ? input.cwd : "/tmp",
      labels: input.labels,
      writes: rw,
      reads: ro,
      protected: protection?.paths ?? [],

      network: fullNet,
      proxyDir: listed ? input.proxyDir : undefined,
      pidsLimit: limits.pidsLimit ?? 256,
      memory: limits.memory ?? 1024 * 1024 * 1024,
    },
    notes,
  };
}

function bind(source: string, target: string, readOnly: boolean): Record<string, unknown> {
  return { Type: "bind", Source: source, Target: target, ReadOnly: readOnly };
}

/**
 * The engine volume that hides denied folders: made empty by the engine on first use, only
 * ever mounted read-only and without copying anything into it, so it stays empty. It is
 * named in `Binds` with `nocopy`: podman 4.3 ignores `NoCopy` in `Mounts` and would fill a
 * new volume with the image's files at its first mount point.
 */
const EMPTY_VOLUME = "interpreter-empty";

/** True when a hidden folder is named in `Binds` (its syntax cannot hold `:` or `,`). */
function hiddenByBind(p: ProtectedPath): boolean {
  return p.mode === "hidden" && p.kind === "dir" && !/[:,]/.test(p.path);
}

/**
 * A denied path mounted over itself: read-only, or hidden behind `/dev/null` (a file) or the
 * empty volume (a folder).
 */
function protectMount(p: ProtectedPath): Record<string, unknown> {
  if (p.mode === "read-only") return bind(p.path, p.path, true);
  if (p.kind === "file") return bind("/dev/null", p.path, true);
  return {
    Type: "volume",
    Source: EMPTY_VOLUME,
    Target: p.path,
    ReadOnly: true,
    VolumeOptions: { NoCopy: true },
  };
}

/**
 * The Engine API create body of a box (Docker and podman). `networkMode` is the mode of a
 * box with the network on (`bridge`, or podman's `slirp4netns`: a network namespace of the
 * box's own either way, never the host's); a box without the network gets `none`.
 */
export function engineCreateBody(
  spec: BoxSpec,
  networkMode: "bridge" | "slirp4netns" = "bridge",
): Record<string, unknown> {
  return {
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    User: spec.user,
    WorkingDir: spec.workdir,
    Labels: spec.labels,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false,
    NetworkDisabled: !spec.network,
    HostConfig: {
      NetworkMode: spec.network ? networkMode : "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      PidsLimit: spec.pidsLimit,
      Memory: spec.memory,
      // Mounts, not Binds: for a Binds source that does not exist, Docker and podman create
      // the folder on the engine's machine, owned by root; a bind mount is refused instead.
      Mounts: [
        ...spec.writes.map((w) => bind(w, w, false)),
        ...spec.reads.map((r) => bind(r, r, true)),
        // After the folders holding them (the engine mounts parents first).
        ...spec.protected.filter((p) => !hiddenByBind(p)).map(protectMount),
        ...(spec.proxyDir ? [bind(spec.proxyDir, PROXY_MOUNT, true)] : []),
      ],
      // Engines order every mount by its target, Binds and Mounts alike (parents first).
      Binds: spec.protected.filter(hiddenByBind).map((p) => `${EMPTY_VOLUME}:${p.path}:ro,nocopy`),
      Tmpfs: { "/tmp": "rw,size=512m,mode=1777", "/run/oi": "rw,size=64m,mode=1777" },
      AutoRemove: false,
      // No engine log: Docker's json-file (podman's k8s-file) would keep every session's output
      // on the engine's disk, unbounded; the host reads it through the attach only.
      LogConfig: { Type: "none", Config: {} },
    },
  };
}
