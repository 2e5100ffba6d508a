/**
 * The pattern rules of safe mode: shell commands (applied to shell code and to
 * command strings of every language), Python and JavaScript rules, credential
 * paths and recursive deletes. They read text that the language analysers
 * have already normalised (quotes, variables, escapes and names resolved).
 *
 * @module
 */

import { resolve } from "node:path";
import { isInside } from "../paths.ts";
import { homeDir } from "../../storage/path.ts";
import { type Finding, type FindingLevel, HOLE, type TextView } from "./types.ts";

const DISK = String
  .raw`/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d+n\d+|mmcblk\d+|disk\d+|md\d+|dm-\d+|mapper/)`;
const CREDENTIALS =
  /(\.ssh(?![\w-])|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws\/credentials|\.netrc\b|\.gnupg\b|\/etc\/shadow\b|\.git-credentials\b|\.docker\/config\.json|\.kube\/config|Login Data\b|cookies\.sqlite|\/Cookies\b|key4\.db|logins\.json|Keychains\/|\.password-store)/;

interface Rule {
  level: FindingLevel;
  test: RegExp;
  reason: string;
}

/** Shell rules, applied to shell code and to command strings inside other languages. */
const SHELL_RULES: Rule[] = [
  {
    level: "unsafe",
    test:
      /\b(?:curl|wget|fetch)\b[^|;&\n]{0,1000}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\b(?:curl|wget)\b[^|;&\n]{0,1000}\|\s*(?:sudo\s+)?(?:python3?|perl|ruby|node)\b/,
    reason: "pipes a download straight into a shell (curl … | sh)",
  },
  {
    level: "unsafe",
    test: /\b(?:ba|z)?sh\s+(?:-c\s+)?["']?(?:<\(|\$\()\s*(?:curl|wget)\b/,
    reason: 'runs a downloaded script without showing it (sh -c "$(curl …)")',
  },
  {
    level: "unsafe",
    test: /\bmkfs(?:\.\w+)?\b|\bmke2fs\b|\bwipefs\b/,
    reason: "formats a disk (mkfs/wipefs)",
  },
  {
    level: "unsafe",
    test: new RegExp(String.raw`\bdd\b[^\n]{0,1000}\bof=${DISK}`),
    reason: "writes to a raw disk device with dd",
  },
  {
    level: "unsafe",
    test: new RegExp(String.raw`>\s*${DISK}`),
    reason: "overwrites a raw disk device",
  },
  {
    level: "unsafe",
    test: /\b(?:fdisk|sfdisk|parted|sgdisk|gdisk)\b/,
    reason: "changes disk partitions",
  },
  {
    level: "unsafe",
    test: /(?<![\w:])(\w{1,64}|:)\s*\(\)\s*\{[^}]{0,1000}\1\s*\|\s*\1\s*&[^}]{0,1000}\}\s*;?\s*\1/,
    reason: "is a fork bomb",
  },
  {
    level: "unsafe",
    test: /(?:^|[;&|(]\s*|\bthen\s+|\bdo\s+)(?:sudo|doas|pkexec)\b|\bsu\s+(?:-|root\b|-c\b)/m,
    reason: "runs with root rights (sudo/su)",
  },
  {
    level: "unsafe",
    test:
      /\bchmod\s+(?:-\w*R\w*\s+|--recursive\s+)\S*\s+(?:\/|~|\$HOME)(?:\s|$|\/\s|\/\*)|\bchmod\s+(?:-\w+\s+)*0?777\s+(?:\/|~|\$HOME)(?:\s|$)/,
    reason: "changes permissions of the whole system or home (chmod -R … /)",
  },
  {
    level: "unsafe",
    test: /\bchown\s+(?:-\w*R\w*\s+|--recursive\s+)\S+\s+(?:\/|~|\$HOME)(?:\s|$)/,
    reason: "changes the owner of the whole system or home (chown -R … /)",
  },
  {
    level: "unsafe",
    test:
      /\bhistory\s+-[cw]\b|(?:rm|shred|truncate)\b[^\n]{0,1000}\.(?:bash|zsh|python|node_repl|psql|mysql)_?history|>\s*~?\S*\.(?:bash|zsh)_history|\bunset\s+HISTFILE\b|HISTSIZE=0|\bexport\s+HISTFILE=\/dev\/null/,
    reason: "wipes the shell history",
  },
  { level: "unsafe", test: /\bshred\b/, reason: "destroys files beyond recovery (shred)" },
  {
    level: "unsafe",
    test: /\bfind\s+(?:\/|~|\$HOME)\S*\s[^\n]{0,1000}(?:-delete\b|-exec\s+rm\b)/,
    reason: "deletes files across the system or home with find",
  },
  {
    level: "unsafe",
    test:
      /\b(?:shutdown|reboot|poweroff|halt)\b(?:\s|$)|\binit\s+[06]\b|\bsystemctl\s+(?:poweroff|reboot|halt)\b/,
    reason: "shuts down or reboots the machine",
  },
  {
    level: "unsafe",
    test: /\bkill\s+-(?:9|KILL)\s+-1\b|\bkillall5?\b|\bpkill\s+-9\s+-u\b/,
    reason: "kills every process",
  },
  { level: "unsafe", test: /\bcrontab\s+-r\b/, reason: "deletes the crontab" },
  {
    level: "warning",
    test: /\bgit\s+push\b[^\n]{0,1000}(?:--force\b|-f\b)/,
    reason: "force-pushes (rewrites shared history)",
  },
  {
    level: "warning",
    test: /\bgit\s+(?:reset\s+--hard|clean\s+-\w*f)/,
    reason: "throws away uncommitted work (git reset --hard / git clean -f)",
  },
  {
    level: "warning",
    test: /\biptables\s+-F\b|\bufw\s+disable\b|\bsetenforce\s+0\b/,
    reason: "turns off a firewall or security policy",
  },
  {
    level: "warning",
    test: /(?:^|\s)>>?\s*\/etc\//m,
    reason: "writes into /etc (system configuration)",
  },
  {
    level: "warning",
    test:
      /\b(?:printenv|env)\s*(?:$|\||>)|\becho\s+[^\n]{0,1000}\$\{?\w*(?:API_KEY|TOKEN|SECRET|PASSWORD)\w*\}?/m,
    reason: "prints the environment or secret variables",
  },
];

/** Python rules (besides the shell rules run on its strings). */
const PYTHON_RULES: Rule[] = [
  {
    level: "unsafe",
    test:
      /while\s+True\s*:\s*(?:\n\s+)?[^\n]{0,1000}\bos\.fork\(\)|for\s+[^\n]{1,1000}:\s*(?:\n\s+)?[^\n]{0,1000}\bos\.fork\(\)[^\n]{0,1000}\n?[^\n]{0,1000}os\.fork\(\)/,
    reason: "is a fork bomb (os.fork in a loop)",
  },
  {
    level: "unsafe",
    test: new RegExp(String.raw`open\(\s*['"]${DISK}[^'"]*['"]\s*,\s*['"][rw]?[wa+]`),
    reason: "writes to a raw disk device",
  },
  {
    level: "warning",
    test:
      /\bos\.environ\b(?!\s*\[\s*['"](?:PATH|HOME|PWD|LANG|TERM)['"]\s*\])(?![.\w]*get\(\s*['"](?:PATH|HOME|PWD|LANG|TERM)['"])/,
    reason: "reads environment variables (may hold secrets)",
  },
  {
    level: "warning",
    test: /\bos\.chmod\(\s*['"]\/['"]|\bos\.setuid\(|\bctypes\b[^\n]{0,1000}\blibc\b/,
    reason: "changes process or system privileges",
  },
];

/** JavaScript / TypeScript rules (besides the shell rules run on its strings). */
const JS_RULES: Rule[] = [
  {
    level: "unsafe",
    test: /while\s*\(\s*(?:true|1)\s*\)\s*\{?[^}]{0,1000}\b(?:fork|spawn)\(/,
    reason: "is a fork bomb (spawning in an endless loop)",
  },
  {
    level: "warning",
    test: /\bprocess\.env\b(?!\s*\.\s*(?:PATH|HOME|PWD)\b)|\bDeno\.env\.toObject\(\)/,
    reason: "reads environment variables (may hold secrets)",
  },
];

/** The rules of a language's own source (none for languages without rules). */
function languageRules(language: string): Rule[] {
  if (language === "python") return PYTHON_RULES;
  if (language === "javascript") return JS_RULES;
  return [];
}

/** Credential paths named in a text (`~/.ssh/id_rsa`, `.aws/credentials`…). */
function credentialFindings(view: TextView): Finding[] {
  const m = view.text.match(CREDENTIALS);
  if (!m) return [];
  return [{ level: "unsafe", reason: `reads credentials (${m[1]})`, line: view.lineAt(m.index!) }];
}

/**
 * Shell rules, recursive deletes (unless `deletes: false`: shell code as written, whose deletes
 * are read from its parsed commands, where `cd` and variables are known) and credential paths.
 */
export function shellRuleFindings(
  view: TextView,
  cwd: string,
  options: { deletes?: boolean } = {},
): Finding[] {
  const found: Finding[] = [];
  for (const rule of SHELL_RULES) {
    const m = view.text.match(rule.test);
    if (m) found.push({ level: rule.level, reason: rule.reason, line: view.lineAt(m.index!) });
  }
  const deletes = options.deletes === false ? [] : recursiveDeletes(view, cwd);
  return [...found, ...deletes, ...credentialFindings(view)];
}

/**
 * A language's own rules, recursive deletes through its APIs (unless `deletes: false`: code as
 * written, whose deletes are read from its normalised copy) and credential paths.
 */
export function sourceRuleFindings(
  view: TextView,
  language: string,
  cwd: string,
  options: { deletes?: boolean } = {},
): Finding[] {
  const found: Finding[] = [];
  for (const rule of languageRules(language)) {
    const m = view.text.match(rule.test);
    if (m) found.push({ level: rule.level, reason: rule.reason, line: view.lineAt(m.index!) });
  }
  const deletes = options.deletes !== false && /^(?:python|javascript|perl|ruby)$/.test(language);
  if (deletes) found.push(...apiDeletes(view, cwd), ...walkedDeletes(view, cwd));
  return [...found, ...credentialFindings(view)];
}

/**
 * String literals (and lists of them, joined) of Python, JavaScript, Perl or
 * Ruby source, as shell text: `os.system("rm -rf ~")`, `["rm", "-rf", "/"]`.
 */
export function stringViews(view: TextView): TextView[] {
  const views: TextView[] = [];
  const code = view.text;
  const literal =
    /(?:[rbuf]|rb|br|fr|rf)?("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)/gi;
  for (const m of code.matchAll(literal)) {
    const raw = m[1];
    const q = raw.startsWith('"""') || raw.startsWith("'''") ? 3 : 1;
    // The string's value: `"r\\m"` in Python is `r\m` for the shell, which runs `rm`.
    const text = raw.slice(q, raw.length - q).replace(/\\n/g, "\n").replace(/\\(["'\\])/g, "$1");
    const line = view.lineAt(m.index!);
    views.push({ text, lineAt: () => line });
  }
  // ["rm", "-rf", "/"] and ("rm", "-rf", "/"): the argv as one command line.
  const list = /[[(]\s*((?:(?:"[^"\n]*"|'[^'\n]*')\s*,\s*)+(?:"[^"\n]*"|'[^'\n]*'))\s*,?\s*[\])]/g;
  for (const m of code.matchAll(list)) {
    const parts = [...m[1].matchAll(/"([^"\n]*)"|'([^'\n]*)'/g)].map((p) => p[1] ?? p[2]);
    const line = view.lineAt(m.index!);
    views.push({ text: parts.join(" "), lineAt: () => line });
  }
  return views;
}

function expandTarget(target: string, cwd: string): string | null {
  let t = target.replace(/^['"]|['"]$/g, "");
  if (/^(?:~|\$HOME|\$\{HOME\})(?:\/|$)/.test(t)) {
    t = homeDir() + t.replace(/^(?:~|\$HOME|\$\{HOME\})/, "");
  }
  if (/\$|`/.test(t) || t.includes(HOLE)) return null; // computed
  // `dir/*` and `*` delete everything in dir (as good as dir itself); other globs name entries.
  if (t === "*" || /\/\*+$/.test(t)) {
    t = t.replace(/\/?\*+$/, "") || (t.startsWith("/") ? "/" : ".");
  }
  t = t.replace(/[*?[\]]/g, "x");
  return resolve(cwd, t);
}

/** Recursive deletes in a shell text: `rm -rf <targets>`. */
function recursiveDeletes(view: TextView, cwd: string): Finding[] {
  const found: Finding[] = [];
  const rm =
    /(?:^|[;&|(`]|\bthen|\bdo|\bxargs|\bsudo|\n)\s*rm\s+((?:-{1,2}[\w-]+\s+)*)([^;&|\n)`]*)/g;
  for (const m of view.text.matchAll(rm)) {
    const flags = m[1] ?? "";
    if (!/(?:^|\s)-\w*[rR]|--recursive/.test(flags)) continue;
    const targets = (m[2] ?? "").trim().split(/\s+/).filter((t) => t && !t.startsWith("-"));
    // Where `rm` itself is (the match starts with the separator before it, maybe a newline).
    const line = view.lineAt(m.index! + Math.max(0, m[0].search(/\brm\s/)));
    for (const target of targets) {
      const path = expandTarget(target, cwd);
      const shown = target.replaceAll(HOLE, "…");
      if (path === null) {
        found.push({
          level: "warning",
          reason:
            `deletes a computed path recursively (rm -r ${shown}): check it cannot be empty or /`,
          line,
        });
      } else if (!isInside(path, cwd) || path === cwd) {
        found.push({
          level: deleteLevel(path, cwd),
          reason: `deletes ${shown} recursively (${where(path, cwd)})`,
          line,
        });
      }
    }
  }
  return found;
}

/** Recursive deletes through Python / JS APIs: shutil.rmtree(...), fs.rmSync(..., {recursive}). */
function apiDeletes(view: TextView, cwd: string): Finding[] {
  const found: Finding[] = [];
  const code = view.text;
  // After `os.chdir("~")` (or an unknown folder), relative paths are read from there.
  const chdir = code.match(
    /\b(?:os\.chdir|process\.chdir|Deno\.chdir)\s*\(\s*(?:(['"`])([^'"`]*)\1)?/,
  );
  const base = chdir ? chdir[2] ?? HOLE : undefined;
  const calls =
    /\b(rmtree|remove_tree|rm_rf|rm_r|remove_dir|remove_entry(?:_secure)?|remove(?:Sync)?|rm(?:Sync)?|rmdirSync|rimraf(?:\.sync)?)\s*\(/g;
  for (const m of code.matchAll(calls)) {
    // The object that holds it, read backwards (`shutil.rmtree`, `d.remove` for a `Deno` passed around).
    let from = m.index!;
    while (from > 0 && /[\w$.]/.test(code[from - 1])) from--;
    const fn = code.slice(from, m.index!).replace(/^\.+/, "") + m[1];
    const [arg, rest] = callArguments(code, m.index! + m[0].length);
    // Whatever object holds it (`shutil.rmtree`, `d.remove` for a `Deno` passed around).
    const recursive =
      /(?:rmtree|remove_tree|rm_rf|rm_r|remove_dir|remove_entry(?:_secure)?)$/.test(fn) ||
      fn.startsWith("rimraf") || recursiveOptions(rest);
    if (!recursive) {
      continue;
    }
    const line = view.lineAt(m.index!);
    const a = arg.trim();
    const shown = a.replaceAll(HOLE, "…");
    let path: string | null = null;
    const lit = a.match(/^(?:[rf]?)['"`]([^'"`]*)['"`]$/);
    const home =
      /^(?:os\.path\.expanduser\(\s*['"]~['"]\s*\)|(?:pathlib\.)?Path\.home\(\)|os\.homedir\(\)|homedir\(\)|Deno\.env\.get\(\s*['"]HOME['"]\s*\)!?|os\.environ\[\s*['"]HOME['"]\s*\]|process\.env\.HOME!?)$/;
    const inner = a.match(/^os\.path\.expanduser\(\s*['"]([^'"]+)['"]\s*\)$/);
    const relative = lit && base !== undefined && !/^[/~]/.test(lit[1]);
    if (lit) path = expandTarget(relative ? `${base}/${lit[1]}` : lit[1], cwd);
    else if (home.test(a)) path = homeDir();
    else if (inner) path = expandTarget(inner[1], cwd);
    if (path === null) {
      found.push({
        level: "warning",
        reason: `deletes a computed path recursively (${fn}(${shown})): check where it points`,
        line,
      });
    } else if (!isInside(path, cwd) || path === cwd) {
      found.push({
        level: deleteLevel(path, cwd),
        reason: `deletes ${shown} recursively with ${fn} (${where(path, cwd)})`,
        line,
      });
    }
  }
  return found;
}

/** `~` as the APIs spell it: `os.path.expanduser("~")`, `Path.home()`, `os.homedir()`, $HOME. */
const HOME_EXPRESSION =
  /^(?:os\.path\.expanduser\(\s*['"]~['"]\s*\)|(?:pathlib\.)?Path\.home\(\)|os\.homedir\(\)|homedir\(\)|Deno\.env\.get\(\s*['"]HOME['"]\s*\)!?|os\.environ\[\s*['"]HOME['"]\s*\]|os\.environ\.get\(\s*['"]HOME['"]\s*\)|os\.getenv\(\s*['"]HOME['"]\s*\)|process\.env\.HOME!?|ENV\[\s*['"]HOME['"]\s*\]|\$ENV\{\s*['"]?HOME['"]?\s*\})$/;

/**
 * The folder an expression names, when it can be read statically: a literal, `~` in any of its
 * API spellings, or a name assigned one of those once (`home = os.path.expanduser("~")`).
 * Undefined when computed.
 */
function folderOf(expression: string, code: string, cwd: string): string | undefined {
  let a = expression.trim().replace(/^(?:pathlib\.)?Path\((.*)\)$/, "$1").trim();
  const named = /^[A-Za-z_$][\w$]*$/.test(a)
    ? code.match(new RegExp(`(?:^|[\\s;])(?:(?:const|let|var|my)\\s+)?\\$?${a}\\s*=\\s*([^\\n;]+)`))
    : null;
  if (named) a = named[1].trim().replace(/^(?:pathlib\.)?Path\((.*)\)$/, "$1").trim();
  if (HOME_EXPRESSION.test(a)) return homeDir();
  const inner = a.match(/^os\.path\.expanduser\(\s*['"]([^'"]+)['"]\s*\)$/);
  const lit = inner ? [inner[0], inner[1]] : a.match(/^(?:[rf]?)['"`]([^'"`]*)['"`]$/);
  if (!lit) return undefined;
  // A pattern walks the folder before its first wildcard (`~/**/*` walks `~`).
  const folder = lit[1].replace(/(?:^|\/)[^/]*[*?[].*$/, "") ||
    (lit[1].startsWith("/") ? "/" : ".");
  return expandTarget(folder, cwd) ?? undefined;
}

/**
 * Deletes of every entry a walk or a listing finds: `os.walk(~)` (or `listdir`, `scandir`,
 * `glob`, `Path.rglob`/`iterdir`, `fs.readdirSync`, `Deno.readDir`, Ruby's `Dir`, Perl's
 * `File::Find`) together with a delete of a computed path (`os.remove`, `unlink`, `rmSync`,
 * `Deno.remove`...). Unsafe when the walked folder is outside the workspace; a warning when it
 * cannot be read statically; nothing when it is inside the workspace.
 */
function walkedDeletes(view: TextView, cwd: string): Finding[] {
  const code = view.text;
  // A delete of a path that is not one fixed literal (`p.unlink()` deletes what `p` holds).
  const deletes =
    /\b(?:os\.(?:remove|unlink|rmdir)|\.unlink(?:Sync)?|\.rmdir(?:Sync)?|\.rm(?:Sync)?|Deno\.remove(?:Sync)?|File\.(?:delete|unlink)|FileUtils\.rm(?:_f|_r|_rf)?|unlink)\s*\(/g;
  let deleted: { name: string; at: number } | undefined;
  for (const d of code.matchAll(deletes)) {
    const [arg] = callArguments(code, d.index! + d[0].length);
    const a = arg.trim();
    if (a === "" || a.includes(HOLE) || !/^[rf]?(['"`])[^'"`]*\1$/.test(a)) {
      deleted = { name: d[0].replace(/\s*\($/, "").replace(/^\./, ""), at: d.index! };
      break;
    }
  }
  if (!deleted) return [];
  const walks =
    /\b(?:os\.(?:walk|listdir|scandir)|glob\.i?glob|fs\.(?:readdirSync|readdir|promises\.readdir)|readdirSync|Deno\.readDir(?:Sync)?|walkSync|Dir\.(?:glob|children|entries|each_child|\[\])|find)\s*\(|\.(?:rglob|glob|iterdir|walk)\s*\(/g;
  for (const m of code.matchAll(walks)) {
    if (m.index! > deleted.at) continue; // a walk after the delete does not feed it
    // The walked folder: the call's first argument, or the object before `.rglob(` / `.iterdir(`.
    let folder: string | undefined;
    let shown: string;
    if (m[0].startsWith(".")) {
      let from = m.index!;
      let depth = 0;
      while (from > 0) {
        const c = code[from - 1];
        if (c === ")") depth++;
        else if (c === "(") {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0 && !/[\w$.'"~\/]/.test(c)) break;
        from--;
      }
      shown = code.slice(from, m.index!);
      folder = folderOf(shown, code, cwd);
    } else {
      const [arg] = callArguments(code, m.index! + m[0].length);
      shown = arg.trim();
      const first = shown.replace(/^\\&wanted\s*,\s*|^sub\s*\{[^}]*\}\s*,\s*/, "");
      folder = folderOf(first, code, cwd);
    }
    const line = view.lineAt(m.index!);
    if (folder === undefined) {
      if (shown === "" || /^\s*\)/.test(shown)) continue; // walks the working directory
      return [{
        level: "warning",
        reason: `deletes entries it finds under a computed folder (${
          shown.replaceAll(HOLE, "…").slice(0, 60)
        }): check where it points`,
        line,
      }];
    }
    if (!isInside(folder, cwd)) {
      return [{
        level: deleteLevel(folder, cwd),
        reason: `deletes the entries it walks under ${
          displayFolder(folder)
        } (${deleted.name}, outside the workspace)`,
        line,
      }];
    }
  }
  return [];
}

/** A folder as a person reads it (`~/…` under home). */
function displayFolder(path: string): string {
  const home = homeDir();
  return path === home ? "~" : path.startsWith(home + "/") ? "~" + path.slice(home.length) : path;
}

/**
 * Whether the options after a path may ask for a recursive delete: `{ recursive: true }`, any
 * `recursive:` that is not `false` (`!0`, `1`, a variable), `{ recursive }`, a spread, or options
 * that are not an object literal at all.
 */
function recursiveOptions(rest: string): boolean {
  const options = rest.replace(/^\s*,\s*/, "").trim();
  if (options === "") return false;
  if (!options.startsWith("{")) return /^[\w$.[(]/.test(options);
  return /\brecursive\b(?!\s*:\s*false\b)|\.\.\./.test(options);
}

/** The first argument and the rest of a call whose "(" ends just before `start`. */
function callArguments(code: string, start: number): [string, string] {
  let depth = 0;
  let quote = "";
  let firstEnd = -1;
  for (let i = start; i < code.length && i < start + 2000; i++) {
    const c = code[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === "," && depth === 0 && firstEnd < 0) firstEnd = i;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) {
        const end = firstEnd < 0 ? i : firstEnd;
        return [code.slice(start, end), code.slice(end, i)];
      }
      depth--;
    }
  }
  return [code.slice(start, firstEnd < 0 ? start : firstEnd), ""];
}

/** Deleting the workspace itself or under a temp folder is a warning; elsewhere it is unsafe. */
function deleteLevel(path: string, cwd: string): FindingLevel {
  if (path === cwd) return "warning";
  // The home folder (or a folder holding it) is never scratch space, even when it lives in /tmp.
  if (isInside(homeDir(), path)) return "unsafe";
  if (/^\/(?:var\/)?tmp\/[^/]+/.test(path)) return "warning";
  return "unsafe";
}

function where(path: string, cwd: string): string {
  return path === cwd ? "the whole workspace" : "outside the workspace";
}
