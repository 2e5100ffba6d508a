/**
 * Host allow / deny list matching for the network proxy. Names and addresses
 * are compared both ways: every spelling of an IPv4 address (`127.1`,
 * `0x7f.1`, `2130706433`, `0177.0.0.1`) and IPv6 address (`[::ffff:7f00:1]`)
 * is brought to one form, the addresses a name resolves to are checked too,
 * and a denied loopback entry (`127.0.0.1`, `localhost`, `::1`, `0.0.0.0`)
 * denies every way to this machine (all of 127/8, `::1`, `0.0.0.0`,
 * `*.localhost` and the machine's own interface addresses).
 *
 * @module
 */

import type { Grant } from "./permissions.ts";

/** Splits `host:port` / `[v6]:port` into its parts (port `undefined` when absent). */
export function splitHostPort(target: string): { host: string; port?: number } {
  const v6 = target.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1].toLowerCase(), port: v6[2] ? Number(v6[2]) : undefined };
  if ((target.match(/:/g) ?? []).length > 1) return { host: target.toLowerCase() };
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
  /** The addresses the name resolved to (the proxy dials one of these). */
  addresses?: readonly string[];
}

/**
 * The one form of an IP address (`127.0.0.1`, `::1`; an IPv4-mapped IPv6
 * address as its IPv4 form), or undefined when `host` is a name.
 */
export function canonicalAddress(host: string): string | undefined {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (!h) return undefined;
  if (h.includes(":")) {
    let url: URL;
    try {
      url = new URL(`http://[${h}]/`);
    } catch {
      return undefined;
    }
    const v6 = url.hostname.slice(1, -1);
    const mapped = v6.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
    if (mapped) {
      const hi = parseInt(mapped[1], 16);
      const lo = parseInt(mapped[2], 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return v6;
  }
  // The WHATWG host parser reads every IPv4 spelling (decimal, hex, octal, short forms).
  if (!/^[0-9a-fx.]+$/.test(h)) return undefined;
  try {
    const parsed = new URL(`http://${h}/`).hostname;
    return /^\d+\.\d+\.\d+\.\d+$/.test(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

let ownAddresses: Set<string> | undefined;

/** This machine's own interface addresses (they reach its servers bound to 0.0.0.0). */
function machineAddresses(): Set<string> {
  if (ownAddresses) return ownAddresses;
  ownAddresses = new Set();
  try {
    for (const i of Deno.networkInterfaces()) {
      const a = canonicalAddress(i.address);
      if (a) ownAddresses.add(a);
    }
  } catch { /* no sys access: loopback ranges still apply */ }
  return ownAddresses;
}

/** True for a name or address that means this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (/^(.*\.)?localhost(\.localdomain)?$|^ip6-(localhost|loopback)$/.test(h)) return true;
  const a = canonicalAddress(h);
  if (!a) return false;
  return /^127\./.test(a) || a === "0.0.0.0" || a === "::1" || a === "::" ||
    machineAddresses().has(a);
}

/** True when `entry` (`host`, `host:port`, `*.domain`, `*.domain:port`) covers the target by name. */
export function hostMatches(entry: string, target: HostTarget): boolean {
  const { host, port } = target;
  const e = splitHostPort(entry);
  if (e.port !== undefined && e.port !== port) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (e.host.startsWith("*.")) return h.endsWith(e.host.slice(1)) || h === e.host.slice(2);
  if (h === e.host) return true;
  const ea = canonicalAddress(e.host);
  return ea !== undefined && ea === canonicalAddress(h);
}

/**
 * True when `entry` covers the target by name, by address (any spelling, any
 * address the name resolved to), or, for a deny entry meaning this machine,
 * by being this machine at all.
 */
function entryCovers(entry: string, target: HostTarget, deny: boolean): boolean {
  if (hostMatches(entry, target)) return true;
  const e = splitHostPort(entry);
  if (e.port !== undefined && e.port !== target.port) return false;
  const all = [target.host, ...(target.addresses ?? [])];
  if (deny && isLoopback(e.host) && all.some(isLoopback)) return true;
  const ea = canonicalAddress(e.host);
  return ea !== undefined && all.some((a) => canonicalAddress(a) === ea);
}

/** Whether a connection to the target is allowed by `rules.allow` and `rules.deny` (deny wins). */
export function hostAllowed(
  target: HostTarget,
  rules: { allow: Grant; deny?: readonly string[] },
): boolean {
  const { allow, deny = [] } = rules;
  if (deny.some((d) => entryCovers(d, target, true))) return false;
  if (allow === true) return true;
  if (allow === false) return false;
  return allow.some((a) => entryCovers(a, target, false));
}

/**
 * The addresses to dial, in order, for an allowed target: every resolved
 * address when the name is allowed, else those an allow entry names; empty
 * when the target is denied or nothing was resolved. The proxy dials only
 * these checked addresses, never the name again (a second lookup could answer
 * differently).
 */
export function dialAddresses(
  target: HostTarget,
  rules: { allow: Grant; deny?: readonly string[] },
): string[] {
  if (!hostAllowed(target, rules)) return [];
  const addresses = target.addresses ?? [];
  const { allow } = rules;
  if (allow === true || (Array.isArray(allow) && allow.some((a) => hostMatches(a, target)))) {
    return [...addresses];
  }
  return addresses.filter((a) =>
    Array.isArray(allow) && allow.some((e) => entryCovers(e, { ...target, host: a }, false))
  );
}
