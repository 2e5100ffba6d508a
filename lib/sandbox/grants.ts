/**
 * The shared core of the flag and profile parsers: a normalised description of
 * what the user asked for ({@linkcode GrantRequest}) applied over a base set
 * of permissions.
 *
 * @module
 */

import { allowAll, type Grant, type Permissions } from "./permissions.ts";
import { expandPath } from "./paths.ts";
import { unique } from "./defaults.ts";
import { splitList } from "./split_list.ts";
import { kernelTree, kernelTreeRefusal } from "./kernel_trees.ts";

export { splitList };

/** The five kinds of permission, as in Deno. */
export type PermissionKind = "read" | "write" | "net" | "env" | "run";

/** Every kind, in the order they are shown. */
export const PERMISSION_KINDS: readonly PermissionKind[] = ["read", "write", "net", "env", "run"];

/** What the user asked for: `allow` grants and `deny` lists per kind, and `-A`. */
export interface GrantRequest {
  /** `-A` / `--allow-all`. */
  allowAll?: boolean;
  /** `--allow-<kind>[=list]`: `true` for all, `false` for none, or a list. */
  allow: Partial<Record<PermissionKind, Grant>>;
  /** `--deny-<kind>[=list]`: `true` denies the whole kind. */
  deny: Partial<Record<PermissionKind, true | string[]>>;
  /** `--allow-display` (true) / `--deny-display` (false; wins). */
  display?: boolean;
}

const DENY_KEY = {
  read: "denyRead",
  write: "denyWrite",
  net: "denyNet",
  env: "denyEnv",
  run: "denyRun",
} as const;

/** Normalises the entries of one kind: absolute paths, lower-case hosts, program names. */
function normalizeEntries(
  kind: PermissionKind,
  items: string[],
  options: { cwd: string },
): string[] {
  const { cwd } = options;
  switch (kind) {
    case "read":
    case "write":
      return unique(items.map((p) => expandPath(p, cwd)));
    case "net":
      return unique(items.map((h) => normalizeHost(h)));
    case "run":
      return unique(items.map((p) => p.includes("/") ? expandPath(p, cwd) : p));
    case "env":
      return unique(items);
  }
}

/** Lower-cases a host and checks it looks like `host`, `host:port`, `*.domain` or `[v6]:port`. */
function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase().replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
  // A bare IPv6 address (`::1`): the bracketed form, so a port can never be misread.
  if (/^[0-9a-f:.]+$/.test(h) && (h.match(/:/g) ?? []).length > 1) h = `[${h}]`;
  if (!/^(\*\.)?[a-z0-9_.\-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(h)) {
    throw new Error(
      `"${host}" is not a host: use a name or address, optionally with :port (e.g. pypi.org, *.github.com, 127.0.0.1:8080)`,
    );
  }
  return h;
}

/**
 * Applies a request over `base`. A bare allow grants the whole kind; an allow
 * list replaces the base for read/net/env/run (it narrows) and adds to it for
 * write (the working directory stays writable). Allowing a path that is
 * exactly a default-denied secret (read) or protected path (write) lifts that deny. Deny lists are added and
 * always win.
 */
export function applyGrantRequest(
  base: Permissions,
  request: GrantRequest,
  options: { cwd: string },
): Permissions {
  const { cwd } = options;
  const p: Permissions = request.allowAll ? allowAll() : structuredClone(base);
  for (const kind of PERMISSION_KINDS) {
    const allow = request.allow[kind];
    if (allow === undefined) continue;
    if (typeof allow === "boolean") {
      p[kind] = allow;
      continue;
    }
    const items = normalizeEntries(kind, allow, { cwd });
    if (kind === "read" || kind === "write") {
      const kernel = items.find((item) => kernelTree(item, kind));
      if (kernel) throw new Error(`--allow-${kind}=${kernel}: ${kernelTreeRefusal(kernel, kind)}.`);
    }
    if (kind === "write" && Array.isArray(p.write)) p.write = unique([...p.write, ...items]);
    else p[kind] = items;
    if (kind === "read") p.denyRead = p.denyRead.filter((d) => !items.includes(d));
    // The opt-in for a protected path (`--allow-write=.git`, `--allow-write=~/.bashrc`).
    if (kind === "write") p.denyWrite = p.denyWrite.filter((d) => !items.includes(d));
  }
  for (const kind of PERMISSION_KINDS) {
    const deny = request.deny[kind];
    if (deny === undefined) continue;
    if (deny === true) {
      p[kind] = false;
      continue;
    }
    const key = DENY_KEY[kind];
    p[key] = unique([...p[key], ...normalizeEntries(kind, deny, { cwd })]);
  }
  if (request.display !== undefined) p.display = request.display;
  return p;
}
