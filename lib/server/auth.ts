/**
 * Access tokens: where they come from, how requests carry them, and how they
 * are compared (in constant time).
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

/** Makes a random URL-safe token with 256 bits of entropy. */
export function generateToken(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64url");
}

function digest(value: string): Uint8Array {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * True when `given` equals `expected`. Both are hashed first, so the
 * comparison takes the same time whatever the lengths and contents.
 */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries in `Authorization: Bearer …` or `X-API-KEY`, if any. */
export function requestToken(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1].trim();
  }
  const apiKey = headers.get("x-api-key");
  if (apiKey) return apiKey.trim();
  return undefined;
}

/** True when a host name or address only accepts connections from this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  if (host.startsWith("::ffff:")) return isLoopback(host.slice(7));
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
