/**
 * Deno's own permission flags for JavaScript / TypeScript sessions, so the
 * Deno runtime enforces the permissions itself and names the flag that would
 * allow a denied access.
 *
 * @module
 */

import { type Grant, isAllowAll, type Permissions } from "./permissions.ts";
import { unique } from "./defaults.ts";

/** Options for {@linkcode denoFlags}. */
export interface DenoFlagsOptions {
  /** The per-session temp directory (readable and writable). */
  tmpDir?: string;
  /** Paths the session runner itself must read (its own script...). */
  extraRead?: readonly string[];
}

function grantFlag(name: string, grant: Grant, extra: readonly string[] = []): string[] {
  if (grant === true) return [`--allow-${name}`];
  // Deno splits flag values on commas, so such paths cannot be listed.
  const items = unique([...(grant === false ? [] : grant), ...extra]).filter((s) =>
    !s.includes(",")
  );
  return items.length > 0 ? [`--allow-${name}=${items.join(",")}`] : [];
}

function denyFlag(name: string, items: string[]): string[] {
  const ok = items.filter((s) => !s.includes(","));
  return ok.length > 0 ? [`--deny-${name}=${ok.join(",")}`] : [];
}

/**
 * The `deno run` flags that enforce `p`, with `--no-prompt` so a denied
 * access fails at once with Deno's "Requires … access" error.
 */
export function denoFlags(p: Permissions, options: DenoFlagsOptions = {}): string[] {
  if (isAllowAll(p)) return ["--allow-all", "--no-prompt"];
  const tmp = options.tmpDir ? [options.tmpDir] : [];
  return [
    ...grantFlag("read", p.read, [...tmp, ...(options.extraRead ?? [])]),
    ...grantFlag("write", p.write, tmp),
    ...grantFlag("net", p.net),
    ...grantFlag("env", p.env),
    ...grantFlag("run", p.run),
    ...denyFlag("read", p.denyRead),
    ...denyFlag("write", p.denyWrite),
    ...denyFlag("net", p.denyNet),
    ...denyFlag("env", p.denyEnv),
    ...denyFlag("run", p.denyRun),
    "--no-prompt",
  ];
}
