/**
 * Deno-style permission flags to {@linkcode Permissions}.
 *
 * @module
 */

import type { Permissions } from "./permissions.ts";
import { defaultPermissions } from "./defaults.ts";
import {
  applyGrantRequest,
  type GrantRequest,
  PERMISSION_KINDS,
  type PermissionKind,
  splitList,
} from "./grants.ts";

/**
 * A flag's parsed value: `true` for a bare flag (`--allow-net`), a string for
 * `--allow-net=a,b`, a list when the flag was repeated. `false` / `undefined`
 * mean the flag was not given.
 */
export type FlagValue = boolean | string | string[] | undefined;

/**
 * Parsed permission flags. Keys may be kebab-case as typed (`allow-read`,
 * `deny-net`, `allow-all`, `A`) or camelCase (`allowRead`, `denyNet`, `allowAll`).
 */
export type PermissionFlags = Record<string, FlagValue>;

/** Options for {@linkcode permissionsFromFlags}. */
export interface PermissionsFromFlagsOptions {
  /** What the flags are merged over (default: {@linkcode defaultPermissions}, e.g. a profile's). */
  base?: Permissions;
  /** Directory relative paths are resolved against (default: the process cwd). */
  cwd?: string;
}

function flag(flags: PermissionFlags, kebab: string): FlagValue {
  const camel = kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return flags[kebab] ?? flags[camel] ?? flags[kebab.replace(/-/g, "_")];
}

function listOrTrue(name: string, value: FlagValue): true | string[] | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return true;
  const items = splitList(value);
  if (items.length === 0) {
    throw new Error(`--${name} was given an empty list: write --${name} for all, or --${name}=a,b`);
  }
  return items;
}

/**
 * Turns parsed flag values into permissions merged over the defaults (or
 * `options.base`). `-A` / `--allow-all` grants everything; `--deny-*` flags
 * still apply on top of it, as in Deno. Throws a one-line error for bad values.
 *
 * @example
 * ```ts
 * const p = permissionsFromFlags({ "allow-net": "pypi.org,github.com", "deny-read": "~/secret" });
 * ```
 */
export function permissionsFromFlags(
  flags: PermissionFlags,
  options: PermissionsFromFlagsOptions = {},
): Permissions {
  const cwd = options.cwd ?? Deno.cwd();
  const request: GrantRequest = { allow: {}, deny: {} };
  const all = flag(flags, "allow-all") ?? flags["A"];
  if (all !== undefined && all !== false) {
    if (all !== true) throw new Error("-A / --allow-all takes no value: write -A");
    request.allowAll = true;
  }
  for (const verb of ["allow", "deny"]) {
    const value = flag(flags, `${verb}-display`);
    if (value === undefined || value === false) continue;
    if (value !== true) throw new Error(`--${verb}-display takes no list: write --${verb}-display`);
    // --deny-display wins over --allow-display.
    if (verb === "deny" || request.display === undefined) request.display = verb === "allow";
  }
  for (const kind of PERMISSION_KINDS as PermissionKind[]) {
    const allow = listOrTrue(`allow-${kind}`, flag(flags, `allow-${kind}`));
    if (allow !== undefined) request.allow[kind] = allow;
    const deny = listOrTrue(`deny-${kind}`, flag(flags, `deny-${kind}`));
    if (deny !== undefined) request.deny[kind] = deny;
  }
  return applyGrantRequest(options.base ?? defaultPermissions({ cwd }), request, { cwd });
}
