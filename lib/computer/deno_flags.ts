/**
 * Deno permission flags for JavaScript / TypeScript sessions, built from the
 * interpreter's permissions. (The sandbox part may move or extend this.)
 *
 * @module
 */

import { type Grant, isAllowAll, type Permissions } from "../sandbox/permissions.ts";

function grantFlag(name: string, grant: Grant): string[] {
  if (grant === true) return [`--allow-${name}`];
  if (grant === false || grant.length === 0) return [];
  return [`--allow-${name}=${grant.join(",")}`];
}

function denyFlag(name: string, list: string[]): string[] {
  return list.length ? [`--deny-${name}=${list.join(",")}`] : [];
}

/**
 * The `deno run` flags that give generated code exactly `permissions`.
 * Never prompts: a denied operation fails with an error the model can read.
 */
export function denoPermissionFlags(permissions: Permissions): string[] {
  if (isAllowAll(permissions)) return ["--allow-all", "--no-prompt"];
  return [
    ...grantFlag("read", permissions.read),
    ...grantFlag("write", permissions.write),
    ...grantFlag("net", permissions.net),
    ...grantFlag("env", permissions.env),
    ...grantFlag("run", permissions.run),
    ...denyFlag("read", permissions.denyRead),
    ...denyFlag("write", permissions.denyWrite),
    ...denyFlag("net", permissions.denyNet),
    ...denyFlag("env", permissions.denyEnv),
    ...denyFlag("run", permissions.denyRun),
    "--no-prompt",
  ];
}
