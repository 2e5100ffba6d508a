/**
 * The one start-up line that says what generated code may do.
 *
 * @module
 */

import { isAllowAll, type Permissions } from "./permissions.ts";
import { DEFAULT_SECRET_ENV } from "./defaults.ts";
import { displayPath, isInside } from "./paths.ts";
import { homeDir } from "../storage/path.ts";

/** Options for {@linkcode describePermissions}. */
export interface DescribeOptions {
  /** The working directory, shown as `.` (default: the process cwd). */
  cwd?: string;
  /** How many entries of a list to show before "+N more" (default 4). */
  maxItems?: number;
  /** Append how to change them (the CLI flags; default true). */
  hint?: boolean;
}

function list(items: string[], max: number, show: (s: string) => string = (s) => s): string {
  const shown = items.slice(0, max).map(show).join(", ");
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}

/**
 * One line such as `Permissions: read all except ~/.ssh, ~/.aws +20 more;
 * write . and session temp; net all; env all except API keys; run all`.
 */
export function describePermissions(p: Permissions, options: DescribeOptions = {}): string {
  if (isAllowAll(p)) {
    return "Permissions: everything allowed (-A): code runs unconfined, except API keys are kept out of its environment";
  }
  const cwd = options.cwd ?? Deno.cwd();
  const max = options.maxItems ?? 4;
  const path = (s: string) => displayPath(s, cwd);
  const part = (
    name: string,
    grant: Permissions["read"],
    deny: string[],
    show = (s: string) => s,
    extra = "",
  ) => {
    let text =
      (grant === true
        ? "all"
        : grant === false || grant.length === 0
        ? "none"
        : list(grant, max, show)) + extra;
    // Under a list, only denies inside it matter.
    const relevant = Array.isArray(grant)
      ? deny.filter((d) => grant.some((g) => isInside(d, g) || d === g))
      : deny;
    if (relevant.length > 0 && grant !== false) text += ` except ${list(relevant, max, show)}`;
    return `${name} ${text}`;
  };
  const writeGrant = p.write === false ? p.write : p.write === true ? true : p.write;
  const temp = p.write === true
    ? ""
    : p.write === false
    ? " (session temp only)"
    : " and session temp";
  // A home folder under a write grant is shadowed (lib/sandbox/confine.ts): say what that means.
  const home = homeDir();
  const homeNote = home !== "/" &&
      (p.write === true || (Array.isArray(p.write) && p.write.some((w) => isInside(home, w))))
    ? " (in ~ itself no new files or folders, and its dot files and folders read-only: start-up " +
      "files and configuration cannot be planted)"
    : "";
  const write = part("write", writeGrant, p.denyWrite, path, temp) + homeNote;
  const apiKeys = p.denyEnv.filter((n) => !DEFAULT_SECRET_ENV.includes(n));
  const envDeny = p.denyEnv.length > apiKeys.length ? ["API keys", ...apiKeys] : apiKeys;
  return [
    "Permissions: " + part("read", p.read, p.denyRead, path),
    write,
    part("net", p.net, p.denyNet),
    part("env", p.env, envDeny),
    part("run", p.run, p.denyRun),
    ...(p.display ? ["display (Computer API) on"] : []),
  ].join("; ") + (options.hint === false ? "" : " (change with --allow-*/--deny-*, -A for all)");
}
