/**
 * The `permissions:` section of a profile to {@linkcode Permissions}.
 *
 * ```yaml
 * permissions:
 *   allow-net: [pypi.org, github.com]   # or "pypi.org,github.com", or true / false
 *   allow-write: [~/projects/data]
 *   deny-read: [~/private]
 *   secret-paths: [~/.ssh, ~/.aws]      # replaces the default secret list
 *   allow-all: false                     # -A
 *   allow-display: true                  # the Computer API (--allow-display)
 * ```
 *
 * Keys may also be written `allow_read` / `allowRead`; `read: ...` means `allow-read: ...`.
 *
 * @module
 */

import type { Permissions } from "./permissions.ts";
import { defaultPermissions } from "./defaults.ts";
import { applyGrantRequest, type GrantRequest, PERMISSION_KINDS, splitList } from "./grants.ts";

/** Options for {@linkcode permissionsFromProfile}. */
export interface PermissionsFromProfileOptions {
  /** What the profile is merged over (default: {@linkcode defaultPermissions}). */
  base?: Permissions;
  /** Directory relative paths are resolved against (default: the process cwd). */
  cwd?: string;
  /** How the section is named in error messages (default `permissions`). */
  where?: string;
}

const KNOWN = [
  "allow-all",
  ...PERMISSION_KINDS.map((k) => `allow-${k}`),
  ...PERMISSION_KINDS.map((k) => `deny-${k}`),
  "secret-paths",
  "allow-display",
  "deny-display",
];

function canonicalKey(key: string): string {
  const kebab = key.replace(/([a-z])([A-Z])/g, "$1-$2").replace(/_/g, "-").toLowerCase();
  if (kebab === "display") return "allow-display";
  return (PERMISSION_KINDS as readonly string[]).includes(kebab) ? `allow-${kebab}` : kebab;
}

function listValue(where: string, key: string, value: unknown): boolean | string[] {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return splitList(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return splitList(value);
  const got = Array.isArray(value)
    ? "a list with non-text items"
    : value === null
    ? "nothing"
    : typeof value;
  throw new Error(`${where}.${key}: expected true, false, or a list of text (got ${got})`);
}

/**
 * Reads a profile's `permissions:` object, merged over the defaults (or
 * `options.base`). Throws a one-line error naming the key and what was
 * expected when the section is malformed.
 */
export function permissionsFromProfile(
  section: unknown,
  options: PermissionsFromProfileOptions = {},
): Permissions {
  const where = options.where ?? "permissions";
  const cwd = options.cwd ?? Deno.cwd();
  if (section === undefined || section === null) {
    return options.base ?? defaultPermissions({ cwd });
  }
  if (typeof section !== "object" || Array.isArray(section)) {
    throw new Error(
      `${where}: expected a mapping of allow-*/deny-* keys (got ${
        Array.isArray(section) ? "a list" : typeof section
      })`,
    );
  }
  const request: GrantRequest = { allow: {}, deny: {} };
  let secretPaths: string[] | undefined;
  for (const [rawKey, value] of Object.entries(section as Record<string, unknown>)) {
    const key = canonicalKey(rawKey);
    if (!KNOWN.includes(key)) {
      throw new Error(`${where}.${rawKey}: unknown key; expected one of ${KNOWN.join(", ")}`);
    }
    if (key === "allow-display" || key === "deny-display") {
      if (typeof value !== "boolean") {
        throw new Error(`${where}.${rawKey}: expected true or false (got ${typeof value})`);
      }
      if (value && (key === "deny-display" || request.display === undefined)) {
        request.display = key === "allow-display";
      } else if (!value && key === "allow-display" && request.display === undefined) {
        request.display = false;
      }
      continue;
    }
    if (key === "allow-all") {
      if (typeof value !== "boolean") {
        throw new Error(`${where}.${rawKey}: expected true or false (got ${typeof value})`);
      }
      request.allowAll = value;
      continue;
    }
    const v = listValue(where, rawKey, value);
    if (key === "secret-paths") {
      if (typeof v === "boolean") {
        throw new Error(`${where}.${rawKey}: expected a list of paths (got ${v})`);
      }
      secretPaths = v;
      continue;
    }
    const [verb, kind] = key.split("-") as ["allow" | "deny", (typeof PERMISSION_KINDS)[number]];
    if (verb === "allow") request.allow[kind] = v;
    else if (v === true) request.deny[kind] = true;
    else if (v !== false) request.deny[kind] = v;
  }
  const base = structuredClone(options.base ?? defaultPermissions({ cwd, secretPaths }));
  if (options.base && secretPaths) {
    // Replace the base's secret list with the profile's.
    const defaults = defaultPermissions({ cwd });
    const fresh = defaultPermissions({ cwd, secretPaths });
    base.denyRead = [
      ...base.denyRead.filter((d) => !defaults.denyRead.includes(d)),
      ...fresh.denyRead,
    ];
  }
  return applyGrantRequest(base, request, { cwd });
}
