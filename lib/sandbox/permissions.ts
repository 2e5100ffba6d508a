/**
 * The permission set that bounds what generated code may touch, modelled on
 * Deno's own flags. A field is `true` (everything), `false` (nothing) or a list
 * (only these). `deny*` lists win over `allow*`.
 *
 * @module
 */

/** A Deno-style grant: all, nothing, or a list of paths / hosts / names / programs. */
export type Grant = boolean | string[];

/** The permissions in force for one interpreter. */
export interface Permissions {
  /** Paths code may read (`--allow-read`). */
  read: Grant;
  /** Paths code may write (`--allow-write`). */
  write: Grant;
  /** Hosts code may reach (`--allow-net`). */
  net: Grant;
  /** Environment variable names code may see (`--allow-env`). */
  env: Grant;
  /** Programs code may run (`--allow-run`). */
  run: Grant;
  /** Paths code may never read (`--deny-read`), e.g. ~/.ssh. */
  denyRead: string[];
  /** Paths code may never write (`--deny-write`). */
  denyWrite: string[];
  /** Hosts code may never reach (`--deny-net`). */
  denyNet: string[];
  /** Environment variables code may never see (`--deny-env`). */
  denyEnv: string[];
  /** Programs code may never run (`--deny-run`). */
  denyRun: string[];
  /**
   * The Computer API (`--allow-display`, off by default): the session gets a channel to the
   * host's screen, mouse and keyboard API. The sandbox itself never gets the X socket.
   */
  display?: boolean;
}

/** Everything allowed, nothing denied: what `-A` / `--allow-all` means. */
export function allowAll(): Permissions {
  return {
    read: true,
    write: true,
    net: true,
    env: true,
    run: true,
    denyRead: [],
    denyWrite: [],
    denyNet: [],
    denyEnv: [],
    denyRun: [],
    display: true,
  };
}

/** True when the permissions grant everything and deny nothing, so no sandbox is needed. */
export function isAllowAll(p: Permissions): boolean {
  return p.read === true && p.write === true && p.net === true && p.env === true &&
    p.run === true && p.denyRead.length === 0 && p.denyWrite.length === 0 &&
    p.denyNet.length === 0 && p.denyEnv.length === 0 && p.denyRun.length === 0;
}
