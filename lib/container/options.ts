/**
 * What a container computer is configured with: its engine or backend, image,
 * permissions, limits and the labels every session container carries.
 *
 * @module
 */

import type { EngineAddress } from "./engine.ts";
import type { SessionBackend, SparePool } from "./backend.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { ContainerLimits } from "./confine.ts";

/** The image `deno task image` builds. */
export const DEFAULT_IMAGE = "interpreter-session:2";
/** Label every session container carries (value: the owning instance). */
export const INSTANCE_LABEL = "io.interpreter.instance";
/** Label naming the server session (or `cli`). */
export const SESSION_LABEL = "io.interpreter.session";
/**
 * Label a pre-started (spare) box carries instead of {@linkcode SESSION_LABEL} (value: the
 * pool's owner, `host@pidns/pid`; see pool.ts).
 */
export const POOL_LABEL = "io.interpreter.pool";

/** Options of `ContainerComputer` (computer.ts). */
export interface ContainerComputerOptions {
  /**
   * Where boxes run: an engine address (`unix:///run/podman/podman.sock`, `tcp://host:2376`,
   * or a parsed one), or a backend (Kubernetes: k8s.ts). Unset with `pool`: the pool's.
   */
  engine?: string | EngineAddress | SessionBackend;
  /**
   * Pre-started boxes to take one from (pool.ts): the computer then uses the pool's backend
   * (the pool's owner closes it). Boxes that need the network proxy (host lists) never
   * come from a pool.
   */
  pool?: SparePool;
  /** The image (default {@linkcode DEFAULT_IMAGE}). */
  image?: string;
  /** Permissions, mapped to container options (default: the sandbox's defaults for `cwd`). */
  permissions?: Permissions;
  /** Working directory (bound into the container when granted). */
  cwd?: string;
  /** Variables given to the container explicitly (nothing else of the host's is passed). */
  env?: Record<string, string>;
  /**
   * The host environment that `--allow-env=<list>` picks named variables from (default: this
   * process's); nothing else of it reaches the container.
   */
  hostEnv?: Record<string, string>;
  /** Default bound per run in seconds (default 120; 0 = none). */
  timeout?: number;
  /** Characters of output the model sees per run (default 2800). */
  maxOutput?: number;
  /** Where full outputs are kept (default: the program's data folder). */
  dataDir?: string;
  /** This server instance (a label on the container; default `cli`). */
  instance?: string;
  /** The server session this computer belongs to (a label; default `cli`). */
  session?: string;
  /** An existing container to reattach to (its driver and state are kept). */
  container?: string;
  /** Called with the container's id once it runs (the store records it). */
  onContainer?: (id: string) => void | Promise<void>;
  /** Limits of the container. */
  limits?: ContainerLimits;
}
