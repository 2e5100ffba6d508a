/**
 * The box a container session runs in, as a function of its nonce and labels: everything
 * else (image, permissions, working directory, environment, limits, network) is fixed by
 * the computer's configuration. The same function makes a session's own box and a pool's
 * spares (pool.ts), so a spare is exactly the box the session would have made.
 *
 * @module
 */

import type { Permissions } from "../sandbox/permissions.ts";
import { hostPaths } from "../sandbox/host_paths.ts";
import type { BoxShape } from "./backend.ts";
import { boxSpec, type ContainerLimits } from "./confine.ts";
import { CONTAINER_DRIVER } from "./driver_py.ts";
import { DEFAULT_IMAGE } from "./options.ts";

/** What shapes a session's box. */
export interface SessionBoxInput {
  /** The image (default {@linkcode DEFAULT_IMAGE}). */
  image?: string;
  /** The permissions in force. */
  permissions: Permissions;
  /** The working directory. */
  cwd: string;
  /** Variables given explicitly. */
  env?: Record<string, string>;
  /** The host environment `--allow-env=<list>` picks from. */
  hostEnv: Record<string, string>;
  /** Limits. */
  limits?: ContainerLimits;
  /** The network proxy's folder (host lists; never for a pooled box). */
  proxyDir?: string;
  /**
   * The engine runs on this machine (default true), so denials inside mounted folders are
   * checked and mounted over (protect.ts); false for a remote engine or Kubernetes.
   */
  localPaths?: boolean;
  /**
   * The computer's data folder (outputs, pages, the proxy's folders). With a local engine it
   * is hidden in the box, with the program's other files (lib/sandbox/host_paths.ts): its
   * own files are read-only, the data and config folders and key files hidden.
   */
  dataDir?: string;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `p` with the interpreter's own files denied as in a bubblewrap session (whatever the
 * grants): a mounted folder holding them gets them mounted over (protect.ts). The data
 * folders are hidden whole: the host writes there (outputs, proxy sockets) and reads there
 * (profile cache, conversations), and nothing in them is the box's.
 */
function guardHostPaths(p: Permissions, data: string): Permissions {
  const host = hostPaths([data]);
  const hidden = [...host.hidden, ...host.shadow, data];
  return {
    ...p,
    denyRead: [...new Set([...p.denyRead, ...hidden])],
    denyWrite: [...new Set([...p.denyWrite, ...host.readOnly.filter(exists)])],
  };
}

/** True when the permissions limit the network to host lists (the proxy's job). */
export function needsProxy(p: Permissions): boolean {
  if (p.net === true) return p.denyNet.length > 0;
  return Array.isArray(p.net) && p.net.length > 0;
}

/** A session box's shape: its notes, and its spec for a nonce and labels. */
export interface SessionBox extends BoxShape {
  /** What the flags mean in this box (for the start-up note). */
  notes: string[];
}

/** The shape of the box for `input`. */
export function sessionBox(input: SessionBoxInput): SessionBox {
  const local = input.localPaths ?? true;
  const permissions = local && input.dataDir
    ? guardHostPaths(input.permissions, input.dataDir)
    : input.permissions;
  const make = (nonce: string, labels: Record<string, string>) =>
    boxSpec({
      proxyDir: input.proxyDir,
      image: input.image ?? DEFAULT_IMAGE,
      permissions,
      cwd: input.cwd,
      env: input.env,
      hostEnv: input.hostEnv,
      cmd: ["/usr/bin/python3", "-c", CONTAINER_DRIVER, nonce],
      labels,
      limits: input.limits,
      localPaths: local,
    });
  return { notes: make("", {}).notes, build: (nonce, labels) => make(nonce, labels).spec };
}
