/**
 * The box a container session runs in, as a function of its nonce and labels: everything
 * else (image, permissions, working directory, environment, limits, network) is fixed by
 * the computer's configuration. The same function makes a session's own box and a pool's
 * spares (pool.ts), so a spare is exactly the box the session would have made.
 *
 * @module
 */

import type { Permissions } from "../sandbox/permissions.ts";
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
  const make = (nonce: string, labels: Record<string, string>) =>
    boxSpec({
      proxyDir: input.proxyDir,
      image: input.image ?? DEFAULT_IMAGE,
      permissions: input.permissions,
      cwd: input.cwd,
      env: input.env,
      hostEnv: input.hostEnv,
      cmd: ["/usr/bin/python3", "-c", CONTAINER_DRIVER, nonce],
      labels,
      limits: input.limits,
      localPaths: input.localPaths ?? true,
    });
  return { notes: make("", {}).notes, build: (nonce, labels) => make(nonce, labels).spec };
}
