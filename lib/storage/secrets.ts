/**
 * Keeps API keys out of anything written to disk: the secret values known now,
 * which `redact` (lib/wire/secrets.ts) replaces by `[redacted]` before a
 * conversation or history line is saved.
 *
 * @module
 */

import { isSecretName } from "../wire/secrets.ts";

/** The secret values currently in the environment (8 characters or longer), plus `extra`. */
export function knownSecrets(extra: (string | undefined)[] = []): string[] {
  const values = new Set<string>();
  try {
    for (const [name, value] of Object.entries(Deno.env.toObject())) {
      if (isSecretName(name) && value.length >= 8) values.add(value);
    }
  } catch { /* no env permission: nothing to add */ }
  for (const v of extra) if (v && v.length >= 8) values.add(v);
  return [...values].sort((a, b) => b.length - a.length);
}
