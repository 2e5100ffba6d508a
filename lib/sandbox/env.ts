/**
 * The environment given to generated code: never the interpreter's API keys,
 * and only the variables the permissions allow.
 *
 * @module
 */

import type { Permissions } from "./permissions.ts";
import { isSecretName } from "../wire/secrets.ts";
import { DEFAULT_SECRET_ENV } from "./defaults.ts";

/** Variables kept even under `--allow-env=<list>` / `--deny-env`, so programs can start. */
export const ESSENTIAL_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TERM",
  "TMPDIR",
  "TMP",
  "TEMP",
  "PWD",
  // The computer's token for finding a session's processes.
  "INTERPRETER_SESSION",
];

/** Options for {@linkcode sandboxEnv}. */
export interface SandboxEnvOptions {
  /** More variable names to drop (the interpreter's own key variables). */
  secretEnv?: readonly string[];
  /** Secret values (API keys): any variable containing one is dropped. */
  secretValues?: readonly string[];
  /** The per-session temp directory: TMPDIR, TMP and TEMP point at it. */
  tmpDir?: string;
}

/**
 * Filters an environment for generated code. API keys (by name, and by value
 * when `secretValues` are given) are removed whatever the permissions say;
 * the names are `secretEnv`, the provider keys and every name `isSecretName` matches.
 */
export function sandboxEnv(
  env: Record<string, string>,
  permissions: Permissions,
  options: SandboxEnvOptions = {},
): Record<string, string> {
  const denied = new Set([...DEFAULT_SECRET_ENV, ...(options.secretEnv ?? [])]);
  const values = (options.secretValues ?? []).filter((v) => v.length >= 8);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (denied.has(name) || isSecretName(name) || values.some((v) => value.includes(v))) continue;
    const essential = ESSENTIAL_ENV.includes(name);
    if (!essential) {
      if (permissions.env === false) continue;
      if (Array.isArray(permissions.env) && !permissions.env.includes(name)) continue;
      if (permissions.denyEnv.includes(name)) continue;
    }
    out[name] = value;
  }
  if (options.tmpDir) {
    out.TMPDIR = options.tmpDir;
    out.TMP = options.tmpDir;
    out.TEMP = options.tmpDir;
  }
  return out;
}
