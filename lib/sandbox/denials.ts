/**
 * Tells the model what the sandbox denied and which flag would allow it, by
 * reading the errors in a run's output (and the proxy's own record of refused
 * hosts). The computer calls {@linkcode withDenialNotes} when it finishes the
 * output of a run.
 *
 * @module
 */

import { isAllowAll, type Permissions } from "./permissions.ts";
import type { NetDenial } from "./proxy.ts";
import { displayPath, isInside } from "./paths.ts";
import { dirname } from "node:path";
import { SYSTEM_READ_PATHS } from "./bwrap.ts";

/** What {@linkcode denialNotes} needs to know about the run. */
export interface DenialContext {
  /** The permissions the run had. */
  permissions: Permissions;
  /** The working directory (informational: notes show full paths, "." means little to a model). */
  cwd?: string;
  /** The per-session temp directory (always writable). */
  tmpDir?: string;
  /** Hosts the proxy refused during the run ({@linkcode SandboxSession.takeNetDenials}). */
  netDenials?: NetDenial[];
}

const NET_ERRORS =
  /Network is unreachable|Temporary failure in name resolution|Name or service not known|Could not resolve (?:host|proxy)|getaddrinfo|nodename nor servname|ENETUNREACH|EAI_AGAIN|No address associated with hostname|failed to lookup address|dns error/i;

const DENO_KIND: Record<string, string> = {
  read: "Reading",
  write: "Writing",
  net: "Reaching",
  env: "Reading the environment variable",
  run: "Running",
  sys: "Reading system information",
  ffi: "Loading native code",
  import: "Importing",
};

function matchesDeny(path: string, list: string[]): string | undefined {
  return list.find((d) => isInside(path, d));
}

/**
 * One sentence per thing the sandbox denied in this output, each naming the
 * flag that would allow it. Empty when nothing was denied (or under `-A`).
 */
export function denialNotes(output: string, context: DenialContext): string[] {
  const p = context.permissions;
  if (isAllowAll(p)) return [];
  const notes = new Set<string>();
  // Absolute paths (only ~ shortened): the model may not know which folder "." is.
  const show = (s: string) => displayPath(s);

  // Deno's own permission errors (JavaScript / TypeScript sessions).
  for (const m of output.matchAll(/Requires (\w+) access to "([^"]+)"/g)) {
    const [, kind, what] = m;
    const denied = kind === "read"
      ? matchesDeny(what, p.denyRead)
      : kind === "write"
      ? matchesDeny(what, p.denyWrite)
      : undefined;
    const value = kind === "net" ? what.replace(/^unix:/, "") : what;
    notes.add(
      denied
        ? `${DENO_KIND[kind] ?? kind} ${show(what)} was denied: ${
          show(denied)
        } is protected (--deny-${kind} or the secret list); only the user can lift that, e.g. with --allow-${kind}=${denied}.`
        : `${DENO_KIND[kind] ?? kind} ${
          kind === "read" || kind === "write" ? show(what) : what
        } was denied by the sandbox; --allow-${kind}=${value} would allow it.`,
    );
  }

  for (const line of output.split("\n")) {
    const perm = /Permission denied|Operation not permitted|EACCES|EPERM/.test(line);
    const rofs = /Read-only file system|EROFS/.test(line);
    const missing = Array.isArray(p.read) && /No such file or directory|ENOENT/.test(line);
    if (!perm && !rofs && !missing) continue;
    const paths = [...line.matchAll(/(?:^|[\s'"`(:])(\/[^\s'"`:),]+)/g)].map((m) => m[1]);
    for (const path of paths) {
      const secret = matchesDeny(path, p.denyRead);
      const program = p.denyRun.find((r) => r === path || path.endsWith("/" + r));
      if (missing && !perm && !rofs) {
        const reads = p.read as string[];
        const visible = [
          ...reads,
          ...(Array.isArray(p.write) ? p.write : []),
          ...SYSTEM_READ_PATHS,
        ];
        if (context.tmpDir) visible.push(context.tmpDir);
        if (!visible.some((r) => isInside(path, r))) {
          notes.add(
            `Reading ${show(path)} is not allowed: reads are limited to ${
              reads.map(show).join(", ") || "system files"
            } (it looks missing from inside the sandbox). --allow-read=${path} would allow it.`,
          );
        }
        continue;
      }
      if (program) {
        notes.add(
          `Running ${program} was denied (--deny-run=${program}); only the user can allow it, by dropping that deny.`,
        );
      } else if (secret) {
        notes.add(
          `${
            show(path)
          } is a protected path (secrets: --deny-read); the code may not read or change it. The user can allow it with --allow-read=${secret}.`,
        );
      } else if (rofs || perm) {
        const writable = Array.isArray(p.write) ? p.write : [];
        if (p.write === true || writable.some((w) => isInside(path, w))) continue;
        const where = [...writable.map(show), "the session temp directory ($TMPDIR)"].join(", ");
        notes.add(
          `Writing ${
            show(path)
          } was denied by the sandbox: code may only write in ${where}. --allow-write=${
            dirname(path)
          } would allow it.`,
        );
      }
    }
  }

  if (Array.isArray(p.run) || p.run === false) {
    const missing = [
      ...output.matchAll(/(?:^|\n)(?:\S+: )?(?:line \d+: )?([\w.+-]+): (?:command )?not found/g),
      // python's subprocess (its traceback names _execute_child), Deno.Command
      ...(output.includes("_execute_child")
        ? output.matchAll(/No such file or directory: '([\w.+-]+)'/g)
        : []),
      ...output.matchAll(/Failed to spawn '([\w.+-]+)'/g),
    ];
    for (const m of missing) {
      const name = m[1];
      if (Array.isArray(p.run) && p.run.includes(name)) continue;
      notes.add(
        `Running ${name} is not allowed (programs are limited to ${
          p.run === false ? "none" : p.run.join(", ")
        }); --allow-run=${name} would allow it.`,
      );
    }
  }

  for (const d of context.netDenials ?? []) {
    notes.add(
      `Network access to ${d.target} was denied by the sandbox (network is limited to ${
        describeNet(p)
      }); ${d.flag} would allow it.`,
    );
  }
  if (NET_ERRORS.test(output) || /Connection refused|ECONNREFUSED/.test(output) && p.net !== true) {
    if (p.net === false) {
      notes.add(
        "Network access is denied in this session; --allow-net would allow it (or --allow-net=<host> for one host).",
      );
    } else if (p.net !== true && (context.netDenials ?? []).length === 0) {
      notes.add(
        `The network is limited to ${
          describeNet(p)
        } and only reachable through the HTTP(S) proxy set in HTTP_PROXY/HTTPS_PROXY; use a client that honours it. Other hosts need --allow-net=<host>.`,
      );
    }
  }
  return [...notes];
}

function describeNet(p: Permissions): string {
  if (p.net === true) return `all hosts except ${p.denyNet.join(", ")}`;
  if (p.net === false || p.net.length === 0) return "no hosts";
  return p.net.join(", ");
}

/** The output with a `[sandbox]` paragraph appended when something was denied. */
export function withDenialNotes(output: string, context: DenialContext): string {
  const notes = denialNotes(output, context);
  if (notes.length === 0) return output;
  const sep = output.length === 0 || output.endsWith("\n") ? "" : "\n";
  return `${output}${sep}[sandbox] ${notes.join("\n[sandbox] ")}\n`;
}
