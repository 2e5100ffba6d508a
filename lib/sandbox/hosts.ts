/**
 * Host allow / deny list matching for the network proxy.
 *
 * @module
 */

import type { Grant } from "./permissions.ts";

/** Splits `host:port` / `[v6]:port` into its parts (port `undefined` when absent). */
export function splitHostPort(target: string): { host: string; port?: number } {
  const v6 = target.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1].toLowerCase(), port: v6[2] ? Number(v6[2]) : undefined };
  const i = target.lastIndexOf(":");
  if (i > 0 && /^\d+$/.test(target.slice(i + 1))) {
    return { host: target.slice(0, i).toLowerCase(), port: Number(target.slice(i + 1)) };
  }
  return { host: target.toLowerCase() };
}

/** A connection target. */
export interface HostTarget {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** True when `entry` (`host`, `host:port`, `*.domain`, `*.domain:port`) covers the target. */
export function hostMatches(entry: string, target: HostTarget): boolean {
  const { host, port } = target;
  const e = splitHostPort(entry);
  if (e.port !== undefined && e.port !== port) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (e.host.startsWith("*.")) return h.endsWith(e.host.slice(1)) || h === e.host.slice(2);
  return h === e.host;
}

/** Whether a connection to the target is allowed by `rules.allow` and `rules.deny` (deny wins). */
export function hostAllowed(
  target: HostTarget,
  rules: { allow: Grant; deny?: readonly string[] },
): boolean {
  const { allow, deny = [] } = rules;
  if (deny.some((d) => hostMatches(d, target))) return false;
  if (allow === true) return true;
  if (allow === false) return false;
  return allow.some((a) => hostMatches(a, target));
}
