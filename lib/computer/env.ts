/**
 * The environment handed to generated code: the program's own environment
 * minus secrets (API keys, tokens), so code the model writes cannot read or
 * leak them.
 *
 * @module
 */

import { isSecretName, SECRET_ENV_PATTERNS } from "../wire/secrets.ts";

export { isSecretName, SECRET_ENV_PATTERNS };

/** Options of {@linkcode sessionEnv}. */
export interface SessionEnvOptions {
  /** The environment to filter (default: this process's). */
  base?: Record<string, string>;
  /** Variables added after filtering. */
  extra?: Record<string, string>;
  /** Secret values (API keys, 8 characters or more): a variable holding one is dropped. */
  secretValues?: readonly string[];
}

/**
 * The environment for a session: `base` (default: this process's environment)
 * without the variables whose names match `patterns` or whose value holds one
 * of `secretValues`, plus `extra`.
 */
export function sessionEnv(
  patterns: readonly string[] = SECRET_ENV_PATTERNS,
  options: SessionEnvOptions = {},
): Record<string, string> {
  const base = options.base ?? Deno.env.toObject();
  const values = (options.secretValues ?? []).filter((v) => v.length >= 8);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (isSecretName(name, patterns) || values.some((v) => value.includes(v))) continue;
    env[name] = value;
  }
  return { ...env, ...options.extra };
}
