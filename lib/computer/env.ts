/**
 * The environment handed to generated code: the program's own environment
 * minus secrets (API keys, tokens), so code the model writes cannot read or
 * leak them.
 *
 * @module
 */

import { isSecretName, SECRET_ENV_PATTERNS } from "../wire/secrets.ts";

export { isSecretName };

/** Variable-name patterns stripped by default (`*` matches any run of characters). */
export const DEFAULT_SECRET_ENV: readonly string[] = SECRET_ENV_PATTERNS;

/**
 * The environment for a session: `base` (default: this process's environment)
 * without the variables whose names match `patterns`, plus `extra`.
 */
export function sessionEnv(
  patterns: readonly string[] = DEFAULT_SECRET_ENV,
  options: { base?: Record<string, string>; extra?: Record<string, string> } = {},
): Record<string, string> {
  const base = options.base ?? Deno.env.toObject();
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (!isSecretName(name, patterns)) env[name] = value;
  }
  return { ...env, ...options.extra };
}
