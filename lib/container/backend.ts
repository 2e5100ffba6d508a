/**
 * The seam between `ContainerComputer` and what runs its box: a container engine (Docker
 * or podman, engine_backend.ts) or Kubernetes (a pod per session, k8s.ts). A backend
 * launches a box running the driver, streams the box's standard output, opens an input
 * into the driver's pipe, interrupts, inspects (for reattaching) and removes.
 *
 * @module
 */

import type { BoxSpec } from "./confine.ts";

/** A byte stream out of a box (its standard output, stderr merged inside). */
export interface BoxOutput {
  /** The bytes, as they come (views: copy to keep). */
  chunks: AsyncIterable<Uint8Array>;
  /** Stops reading. */
  close(): void;
}

/** A byte stream into the driver's command pipe. */
export interface BoxInput {
  /** Writes bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes it (the driver and its state stay). */
  close(): void;
}

/** What a backend knows of an existing box. */
export interface BoxInfo {
  /** True while the driver runs. */
  running: boolean;
  /** The driver's command line. */
  cmd: string[];
  /** The box's labels. */
  labels: Record<string, string>;
  /** The box's name, when the backend has names the host can set (the Engine API). */
  name?: string;
}

/** A box found by label (stale spares, see pool.ts). */
export interface ListedBox {
  /** Its id. */
  id: string;
  /** Its name (without the Engine API's leading slash). */
  name: string;
  /** Its labels. */
  labels: Record<string, string>;
}

/** A box just launched. */
export interface LaunchedBox {
  /** Its id (container id, pod name). */
  id: string;
  /** Its output, already attached (else call `attach`). */
  output?: BoxOutput;
  /** An input into the driver's pipe, already open (else call `openInput`). */
  input?: BoxInput;
}

/** What runs session boxes. */
export interface SessionBackend {
  /** `docker` (the Engine API, podman included) or `kubernetes`. */
  readonly kind: string;
  /** Start-up notes particular to this backend. */
  readonly notes: string[];
  /** True when boxes run on this machine (host folders, such as the proxy's, can be bound). */
  readonly localHost: boolean;
  /**
   * Creates and starts a box; resolves once it runs, to its id and, when the backend can
   * give them in the same step (the Engine API's attach with stdin), its output and input.
   */
  launch(spec: BoxSpec): Promise<LaunchedBox>;
  /** Streams the box's output from now on. */
  attach(id: string): Promise<BoxOutput>;
  /** Opens an input into the driver's pipe (`/run/oi/in`). */
  openInput(id: string): Promise<BoxInput>;
  /** Sends SIGINT to the driver (PID 1 of the box). */
  interrupt(id: string): Promise<void>;
  /** What the box is, or null when it does not exist. */
  inspect(id: string): Promise<BoxInfo | null>;
  /** Removes the box and everything in it. */
  remove(id: string): Promise<void>;
  /**
   * Renames the box (host-written, through the engine; the box cannot change it): how a
   * pre-started box is claimed for a session (pool.ts). Backends without it get no pool.
   */
  claim?(id: string, name: string): Promise<void>;
  /** Boxes carrying the label `key` (any value). */
  list?(key: string): Promise<ListedBox[]>;
  /** Releases connections. */
  close(): void;
}

/** A box's shape: its spec for a nonce and labels (session_box.ts). */
export interface BoxShape {
  /** The spec of a box running the driver with `nonce`, carrying `labels`. */
  build(nonce: string, labels: Record<string, string>): BoxSpec;
}

/** A pre-started box taken for a session (pool.ts). */
export interface TakenBox {
  /** The box's id. */
  id: string;
  /** The driver's nonce (made on the host when the box was created). */
  nonce: string;
  /** The box's output, from where the pool stopped reading. */
  output: BoxOutput;
  /** The driver's input. */
  input: BoxInput;
  /** Settles once the box is claimed for the session (rejects when it could not be). */
  claimed: Promise<void>;
}

/** Where a computer takes pre-started boxes from (pool.ts's `BoxPool`). */
export interface SparePool {
  /** The backend the boxes run on (the computer uses it too). */
  readonly backend: SessionBackend;
  /** A ready box of `shape` claimed for `session`, or undefined (the computer makes its own). */
  take(shape: BoxShape, session: string): TakenBox | undefined;
}
