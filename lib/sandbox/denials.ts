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
import { kernelTree, kernelTreeRefusal } from "./kernel_trees.ts";
import { homeDir } from "../storage/path.ts";
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
  /**
   * The code that ran: when an error says only "Permission denied", how the
   * code uses the path (a `>` redirect, `open(…, "w")`…) tells a write from a read.
   */
  code?: string;
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

function matchesDeny(path: string, list: readonly string[]): string | undefined {
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

  fileNotes(output, context, notes);

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

/** What the failed operation on a path was, as far as the output (and the code) tell. */
type Operation = "read" | "write" | "unknown";

// Tools whose "Permission denied" can only come from reading (or listing) the path.
const READ_TOOLS =
  /^(?:cat|head|tail|less|more|grep|egrep|fgrep|rg|wc|sort|uniq|md5sum|sha\d*sum|b2sum|cksum|diff|cmp|strings|xxd|od|hexdump|base64|tac|nl|cut|ls|du|file|readlink|jq|source|\.)$/;
// Tools whose "Permission denied" comes from changing the path.
const WRITE_TOOLS = /^(?:touch|mkdir|rm|rmdir|mv|tee|ln|chmod|chown|chgrp|truncate|install|shred)$/;
const READ_WORDS =
  /cannot open .*for reading|cannot open directory|cannot read|can't open file|Can't open .*for reading|error reading|failed to read/i;
const WRITE_WORDS =
  /cannot (?:create|touch|remove|make directory|move|overwrite|write|open .*for writing)|failed to (?:create|write|remove|open .*for writing)|Can't open .*for writing|error writing/i;
// In the code, next to a path: a shell redirect, a write mode, or a call that changes files.
const WRITE_IN_CODE =
  /(?:&?>>?|>\|)\s*$|['"]\+?[<>]?>['"]\s*,\s*$|['"]\+<['"]\s*,\s*$|\bwrite|\bappend|\btouch\b|\bmkdir|\brm\b|\bmv\b|\bcp\b|\btee\b|unlink|remove|rename|truncate|chmod|chown|symlink|\bln\b/i;

// Right after the path: a write mode (`open(p, "w")`) or a changing method (`Path(p).write_text`).
const WRITE_AFTER_PATH =
  /^['"]?\s*,\s*['"][rwxabt]*[wax+]|^['"]?\)?\.\s*(?:write|unlink|mkdir|touch|rename|chmod|rmdir)/;

/** `/proc/<pid>/root/x` (and `/proc/self/root/x`) is `/x` inside the sandbox. */
function throughProc(path: string): string {
  return path.replace(/^\/proc\/(?:\d+|self|thread-self)\/root(?=\/)/, "") || "/";
}

/**
 * The absolute paths an error line is about. Source locations (bash's
 * `cell.sh: line 1:`, perl's `at code.pl line 1.`, python's `File "x.py", line 3`,
 * stack frames `x.ts:1:2`) name the interpreter's own script, not what was denied.
 */
function objectPaths(line: string): string[] {
  const paths: string[] = [];
  for (const m of line.matchAll(/(?:^|[\s'"`(:])(\/[^\s'"`:),]+)/g)) {
    const after = line.slice((m.index ?? 0) + m[0].length);
    if (/^(?::\s*line \d+|\s+line \d+|['"]?,\s*line \d+|:\d+)/.test(after)) continue;
    if (m[1].startsWith("//")) continue; // part of a file:// URL
    paths.push(m[1]);
  }
  return paths;
}

/** The operation an error line reports on `path`, from the message, the tool, then the code. */
function operationOf(line: string, path: string, code: string | undefined): Operation {
  if (READ_WORDS.test(line)) return "read";
  if (WRITE_WORDS.test(line)) return "write";
  const tool = line.match(/^([\w.+-]+):\s/)?.[1];
  if (tool && READ_TOOLS.test(tool)) return "read";
  if (tool && WRITE_TOOLS.test(tool)) return "write";
  if (!code) return "unknown";
  // The code line that names the path: a write construct before it (or a mode after it) means
  // a write; a path named with none means a read. Not named (computed): unknown.
  const names = [path, displayPath(path)];
  for (const codeLine of code.split("\n")) {
    for (const name of names) {
      const at = codeLine.indexOf(name);
      if (at < 0) continue;
      const before = codeLine.slice(0, at).replace(/['"]$/, "");
      const after = codeLine.slice(at + name.length, at + name.length + 40);
      if (WRITE_IN_CODE.test(before) || WRITE_AFTER_PATH.test(after)) {
        return "write";
      }
      // `p = "/x"` only names it; what is done with `p` is on another line: look on.
      if (/^\s*(?:(?:const|let|var|my|local|export)\s+)?\$?[\w.]+\s*:?=\s*$/.test(before)) continue;
      return "read";
    }
  }
  return "unknown";
}

/** Absolute (or `~/`) paths written in the code that lie in a denied-read (secret) path. */
function secretsNamedIn(code: string, denyRead: readonly string[]): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|[\s'"`(=,<>])((?:~(?=\/)|\/)[^\s'"`),;<>]*)/g)) {
    const path = throughProc(m[1].startsWith("~") ? homeDir() + m[1].slice(1) : m[1]);
    if (matchesDeny(path, denyRead)) found.add(path);
  }
  return [...found];
}

/** Notes for the file errors in the output (permission denied, read-only, hidden paths). */
function fileNotes(output: string, context: DenialContext, notes: Set<string>): void {
  const p = context.permissions;
  const show = (s: string) => displayPath(s);
  const writable = Array.isArray(p.write) ? p.write : [];
  const canWrite = (path: string) => p.write === true || writable.some((w) => isInside(path, w));
  const writeArea = [...writable.map(show), "the session temp directory ($TMPDIR)"].join(", ");
  const allowReadOf = (secret: string) =>
    `Only the user can allow it: --allow-read=${secret} (or dropping it from --deny-read).`;

  const secretNote = (shown: string, path: string, secret: string, op: Operation) => {
    const where = `${show(secret)} is a protected secret path (the secret list or --deny-read)`;
    if (op === "read") notes.add(`Reading ${shown} was denied: ${where}. ${allowReadOf(secret)}`);
    else if (op === "write") {
      notes.add(
        `Writing ${shown} was denied: ${where}, which code may neither read nor change. ${
          allowReadOf(secret)
        }${canWrite(path) ? "" : ` Writing there also needs --allow-write=${dirname(path)}.`}`,
      );
    } else {
      notes.add(
        `Access to ${shown} was denied: ${where}; the sandbox blocks reading and changing it (the error does not say which was tried). ${
          allowReadOf(secret)
        }`,
      );
    }
  };

  for (const line of output.split("\n")) {
    const perm = /Permission denied|Operation not permitted|EACCES|EPERM/.test(line);
    const rofs = /Read-only file system|EROFS/.test(line);
    const missing = Array.isArray(p.read) && /No such file or directory|ENOENT/.test(line);
    if (!perm && !rofs && !missing) continue;
    const paths = objectPaths(line);
    if (perm && !rofs && paths.length === 0 && context.code) {
      // perl's `open(…) or die "x: $!"` names no path. Masked secrets refuse every access, so a
      // secret the code names is the likely cause: reported as named in the code, not in the error.
      for (const named of secretsNamedIn(context.code, p.denyRead)) {
        const secret = matchesDeny(named, p.denyRead)!;
        secretNote(
          `${show(named)} (named in the code)`,
          named,
          secret,
          operationOf(line, named, context.code),
        );
      }
      continue;
    }
    if (rofs && paths.length === 0) {
      // perl's `die "...: $!"` and relative names: the kernel said "read-only", so it was a write.
      // A name counts only if it looks like a file (a dot or a slash): not perl's "denied: $!".
      const name = line.match(
        /(?:^|:\s|['"])([\w-]*[./][\w.\/-]*)['"]?:\s*Read-only file system/,
      )?.[1] ?? line.match(/Read-only file system:\s*['"]([^'"]+)['"]/)?.[1];
      notes.add(
        `Writing ${
          name ?? "a file"
        } was denied by the sandbox (read-only file system): code may only write in ${writeArea}. --allow-write=<its folder> would allow it.`,
      );
      continue;
    }
    for (const written of paths) {
      const path = throughProc(written);
      const shown = path === written ? show(path) : `${written} (that is ${show(path)})`;
      const secret = matchesDeny(path, p.denyRead);
      const program = p.denyRun.find((r) => r === path || path.endsWith("/" + r));
      if (missing && !perm && !rofs) {
        const reads = p.read as string[];
        const visible = [...reads, ...writable, ...SYSTEM_READ_PATHS];
        if (context.tmpDir) visible.push(context.tmpDir);
        if (!visible.some((r) => isInside(path, r))) {
          notes.add(
            `Reading ${shown} is not allowed: reads are limited to ${
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
        continue;
      }
      const op: Operation = rofs ? "write" : operationOf(line, written, context.code);
      if (secret) {
        secretNote(shown, path, secret, op);
        continue;
      }
      const protectedWrite = matchesDeny(path, p.denyWrite);
      if (op === "write") {
        if (protectedWrite) {
          notes.add(
            `Writing ${shown} was denied: ${
              show(protectedWrite)
            } is protected against writes (start-up files, the repository's .git, or --deny-write); only the user can lift that.`,
          );
        } else if (kernelTree(path, "write")) {
          notes.add(`Writing ${shown} was denied: ${kernelTreeRefusal(path, "write")}.`);
        } else if (!canWrite(path)) {
          notes.add(
            `Writing ${shown} was denied by the sandbox: code may only write in ${writeArea}. --allow-write=${
              dirname(path)
            } would allow it.`,
          );
        }
        continue;
      }
      const readable = p.read === true ||
        (Array.isArray(p.read) &&
          [...p.read, ...writable, ...SYSTEM_READ_PATHS].some((r) => isInside(path, r)));
      if (op === "read") {
        // Readable for the sandbox: the file's own permissions refused it, not the sandbox.
        if (!readable) {
          notes.add(
            `Reading ${shown} was denied by the sandbox: reads are limited to ${
              (p.read as string[]).map(show).join(", ") || "system files"
            }. --allow-read=${path} would allow it.`,
          );
        }
        continue;
      }
      // Unknown: say what the sandbox allows for each, without guessing which was tried.
      if (canWrite(path) && readable) continue;
      notes.add(
        `Access to ${shown} was refused (the error does not say whether it was a read or a write). ${
          readable
            ? "The sandbox allows reading it, so a failed read comes from the file's own permissions"
            : `Reading it needs --allow-read=${path}`
        }; ${
          canWrite(path)
            ? "writing it is allowed"
            : protectedWrite
            ? `writing it is not (${show(protectedWrite)} is protected against writes)`
            : `writing there is not allowed (code may only write in ${writeArea}; --allow-write=${
              dirname(path)
            } would allow it)`
        }.`,
      );
    }
  }
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
