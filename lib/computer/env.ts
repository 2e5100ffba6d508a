/**
 * The environment handed to generated code: the program's own environment
 * minus secrets (API keys, tokens), so code the model writes cannot read or
 * leak them.
 *
 * @module
 */

/** Variable-name patterns stripped by default (`*` matches any run of characters). */
export const DEFAULT_SECRET_ENV: readonly string[] = [
  "*_API_KEY",
  "*_TOKEN",
  "*_SECRET*",
  "INTERPRETER_API_KEY",
];

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "i");
}

/** True when `name` matches one of the secret patterns. */
export function isSecretName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => patternToRegExp(p).test(name));
}

/**
 * The environment for a session: `base` (default: this process's environment)
 * without the variables whose names match `patterns`, plus `extra`.
 */
export function sessionEnv(
  patterns: readonly string[] = DEFAULT_SECRET_ENV,
  options: { base?: Record<string, string>; extra?: Record<string, string> } = {},
): Record<string, string> {
  const regexps = patterns.map(patternToRegExp);
  const base = options.base ?? Deno.env.toObject();
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (!regexps.some((r) => r.test(name))) env[name] = value;
  }
  return { ...env, ...options.extra };
}
