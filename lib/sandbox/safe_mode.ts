/**
 * Safe mode: a built-in, offline scanner that flags dangerous code before it
 * runs (Open Interpreter's `--safe_mode off|ask|auto`, which needed semgrep
 * and never blocked anything). It knows shell commands and their Python and
 * JavaScript equivalents; commands inside string literals (`os.system("rm -rf
 * ~")`, `subprocess.run(["rm", "-rf", "/"])`) are scanned as shell too.
 *
 * A scanner is a speed bump, not a wall: the sandbox is what enforces the
 * permissions. This one exists so the person (or, in `auto`, the program)
 * sees why a block of code is risky before it runs.
 *
 * @module
 */

import { homeDir, isInside } from "./paths.ts";
import { resolve } from "node:path";

/** How risky a block of code looks. */
export type SafetyLevel = "safe" | "warning" | "unsafe";

/** Open Interpreter's setting: `off` (no scan), `ask` (show and ask), `auto` (refuse unsafe code). */
export type SafeMode = "off" | "ask" | "auto";

/** One thing the scanner found. */
export interface SafetyFinding {
  /** How bad it is. */
  level: Exclude<SafetyLevel, "safe">;
  /** What it is, in words the person and the model understand. */
  reason: string;
  /** 1-based line of the code where it was found. */
  line: number;
}

/** The result of {@linkcode scanCode}: the worst level and a reason per finding. */
export interface SafetyReport {
  /** The worst level found (`safe` when nothing was). */
  level: SafetyLevel;
  /** One line per finding, e.g. `line 2: deletes ~ recursively (outside the workspace)`. */
  reasons: string[];
  /** The findings themselves. */
  findings: SafetyFinding[];
}

/** Options for {@linkcode scanCode}. */
export interface ScanOptions {
  /** The workspace: recursive deletes inside it are fine (default: the process cwd). */
  cwd?: string;
}

/** Parses a `--safe_mode` value; throws a one-line error for anything else. */
export function parseSafeMode(value: string): SafeMode {
  const v = value.trim().toLowerCase();
  if (v === "off" || v === "ask" || v === "auto") return v;
  throw new Error(`--safe_mode must be off, ask or auto (got "${value}")`);
}

const SHELLS = new Set(["shell", "bash", "sh", "zsh", "fish", "powershell", "pwsh", "cmd", "bat"]);
const DISK = String
  .raw`/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d+n\d+|mmcblk\d+|disk\d+|md\d+|dm-\d+|mapper/)`;
const CREDENTIALS =
  /(?:~|\$HOME|\$\{HOME\}|\/home\/[^/\s'"]+|\/root|expanduser\(['"]~|homedir\(\)|home\(\))?[^\s'"]*?(\.ssh\/|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws\/credentials|\.netrc\b|\.gnupg\b|\/etc\/shadow\b|\.git-credentials\b|\.docker\/config\.json|\.kube\/config|Login Data\b|cookies\.sqlite|\/Cookies\b|key4\.db|logins\.json|Keychains\/|\.password-store)/;

interface Rule {
  level: "warning" | "unsafe";
  test: RegExp;
  reason: string;
}

/** Shell rules, applied to shell code and to command strings inside other languages. */
const SHELL_RULES: Rule[] = [
  {
    level: "unsafe",
    test:
      /\b(?:curl|wget|fetch)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:python3?|perl|ruby|node)\b/,
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
    test: new RegExp(String.raw`\bdd\b[^\n]*\bof=${DISK}`),
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
    test: /(\w+|:)\s*\(\)\s*\{[^}]*\1\s*\|\s*\1\s*&[^}]*\}\s*;?\s*\1/,
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
      /\bhistory\s+-[cw]\b|(?:rm|shred|truncate)\b[^\n]*\.(?:bash|zsh|python|node_repl|psql|mysql)_?history|>\s*~?\S*\.(?:bash|zsh)_history|\bunset\s+HISTFILE\b|HISTSIZE=0|\bexport\s+HISTFILE=\/dev\/null/,
    reason: "wipes the shell history",
  },
  { level: "unsafe", test: /\bshred\b/, reason: "destroys files beyond recovery (shred)" },
  {
    level: "unsafe",
    test: /\bfind\s+(?:\/|~|\$HOME)\S*\s[^\n]*(?:-delete\b|-exec\s+rm\b)/,
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
    test: /\bgit\s+push\b[^\n]*(?:--force\b|-f\b)/,
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
    test:
      /\b(?:base64\s+(?:-d|--decode)|xxd\s+-r)\b[^\n]*\|\s*(?:ba)?sh\b|\beval\s+["']?\$\(\s*(?:echo|printf)\b[^\n]*base64/,
    reason: "runs obfuscated (encoded) commands",
  },
  {
    level: "warning",
    test: /(?:^|\s)>>?\s*\/etc\//m,
    reason: "writes into /etc (system configuration)",
  },
  {
    level: "warning",
    test:
      /\b(?:printenv|env)\s*(?:$|\||>)|\becho\s+[^\n]*\$\{?\w*(?:API_KEY|TOKEN|SECRET|PASSWORD)\w*\}?/m,
    reason: "prints the environment or secret variables",
  },
];

/** Python rules (besides the shell rules run on its strings). */
const PYTHON_RULES: Rule[] = [
  {
    level: "unsafe",
    test:
      /while\s+True\s*:\s*(?:\n\s+)?[^\n]*\bos\.fork\(\)|for\s+[^\n]+:\s*(?:\n\s+)?[^\n]*\bos\.fork\(\)[^\n]*\n?[^\n]*os\.fork\(\)/,
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
    test: /\bos\.chmod\(\s*['"]\/['"]|\bos\.setuid\(|\bctypes\b[^\n]*\blibc\b/,
    reason: "changes process or system privileges",
  },
];

/** JavaScript / TypeScript rules (besides the shell rules run on its strings). */
const JS_RULES: Rule[] = [
  {
    level: "unsafe",
    test: /while\s*\(\s*(?:true|1)\s*\)\s*\{?[^}]*\b(?:fork|spawn)\(/,
    reason: "is a fork bomb (spawning in an endless loop)",
  },
  {
    level: "warning",
    test: /\bprocess\.env\b(?!\s*\.\s*(?:PATH|HOME|PWD)\b)|\bDeno\.env\.toObject\(\)/,
    reason: "reads environment variables (may hold secrets)",
  },
];

function lineOf(code: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < code.length; i++) if (code[i] === "\n") line++;
  return line;
}

/** A piece of text scanned as shell, with where it starts in the code. */
interface ShellView {
  text: string;
  at: number;
  /** For a normalised copy: the code index of an index in `text` (its line's start). */
  map?: (index: number) => number;
}

// Programs that run the command after them (with their own options first).
const WRAPPERS = new Set(["command", "builtin", "exec", "nohup", "env", "nice", "time", "stdbuf"]);
// Options of the wrappers that take a value (`env -u NAME`, `nice -n 5`, `exec -a name`).
const WRAPPER_VALUE_OPTIONS = new Set(["-u", "-n", "-a", "-C", "-S", "-i0", "-o", "-e"]);
const SHELL_OPERATORS = /[;&|()<>`]/;

interface ShellToken {
  /** `word`, or `sep` (spaces and operators, kept as written). */
  kind: "word" | "sep";
  raw: string;
  /** A word without its quotes and escapes, as the shell passes it on. */
  value: string;
}

/** Splits one line into words (quotes and escapes resolved) and separators. */
function shellTokens(line: string): ShellToken[] {
  const tokens: ShellToken[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (/\s/.test(c) || SHELL_OPERATORS.test(c)) {
      let j = i;
      while (j < line.length && (/\s/.test(line[j]) || SHELL_OPERATORS.test(line[j]))) j++;
      tokens.push({ kind: "sep", raw: line.slice(i, j), value: line.slice(i, j) });
      i = j;
      continue;
    }
    if (c === "#") {
      // A comment: kept as written.
      tokens.push({ kind: "sep", raw: line.slice(i), value: line.slice(i) });
      break;
    }
    let value = "";
    let j = i;
    let closed = true;
    while (j < line.length && !/\s/.test(line[j]) && !SHELL_OPERATORS.test(line[j])) {
      const ch = line[j];
      if (ch === "\\") {
        value += line[j + 1] ?? "";
        j += 2;
      } else if (ch === "'" || ch === '"') {
        const end = line.indexOf(ch, j + 1);
        if (end < 0) {
          closed = false;
          break;
        }
        const inner = line.slice(j + 1, end);
        value += ch === '"' ? inner.replace(/\\([\\$`"])/g, "$1") : inner;
        j = end + 1;
      } else {
        value += ch;
        j++;
      }
    }
    if (!closed) {
      tokens.push({ kind: "sep", raw: line.slice(i), value: line.slice(i) });
      break;
    }
    const raw = line.slice(i, j);
    // A quoted word holding spaces or operators stays as written: `echo "a; rm -rf /"` is text.
    const plain = !/\s/.test(value) && !SHELL_OPERATORS.test(value);
    tokens.push({ kind: "word", raw, value: plain ? value : raw });
    i = j;
  }
  return tokens;
}

/**
 * Shell code as the shell would run it, one line in, one line out: quotes and
 * escapes removed from plain words (`r\m`, `'r'm`, `"rm"`, `\rm` read `rm`),
 * wrappers in command position dropped (`command rm`, `env -i X=1 rm`,
 * `nohup rm`), leading assignments dropped, and a command given by path
 * shortened to its name (`/bin/rm` reads `rm`).
 */
export function normalizeShell(text: string): string {
  return text.split("\n").map((line) => {
    const tokens = shellTokens(line);
    const out: string[] = [];
    let commandPosition = true;
    let wrapper = false;
    let skipValue = false;
    let dropSpace = false;
    for (const t of tokens) {
      if (t.kind === "sep") {
        if (/[;&|(`]/.test(t.raw)) {
          commandPosition = true;
          wrapper = false;
          skipValue = false;
          dropSpace = false;
        }
        if (dropSpace && /^\s+$/.test(t.raw)) continue;
        out.push(t.raw);
        continue;
      }
      dropSpace = false;
      let word = t.value;
      if (commandPosition) {
        if (skipValue) {
          skipValue = false;
          dropSpace = true;
          continue;
        }
        if (wrapper && word.startsWith("-")) {
          skipValue = WRAPPER_VALUE_OPTIONS.has(word);
          dropSpace = true;
          continue;
        }
        if (/^[A-Za-z_]\w*=/.test(word) || WRAPPERS.has(word)) {
          wrapper ||= WRAPPERS.has(word);
          dropSpace = true;
          continue;
        }
        if (/^\.{0,2}\/(?:[^/\s]+\/)*[^/\s]+$/.test(word)) {
          word = word.slice(word.lastIndexOf("/") + 1);
        }
        // `then rm`, `do rm`, `sudo rm`: the next word is a command too.
        commandPosition = ["then", "do", "else", "sudo", "doas", "xargs", "!"].includes(word);
        wrapper = false;
      }
      out.push(word);
    }
    return out.join("");
  }).join("\n");
}

/** The view and its normalised copy (when that differs), both scanned. */
function withNormalised(view: ShellView): ShellView[] {
  const text = normalizeShell(view.text);
  if (text === view.text) return [view];
  const starts = [0];
  for (let i = 0; i < view.text.length; i++) if (view.text[i] === "\n") starts.push(i + 1);
  const map = (index: number) => {
    while (index < text.length && /\s/.test(text[index])) index++;
    let line = 0;
    for (let i = 0; i < index && i < text.length; i++) if (text[i] === "\n") line++;
    return view.at + (starts[line] ?? 0);
  };
  return [view, { text, at: view.at, map }];
}

/** String literals (and lists of them, joined) found in Python or JS code. */
function commandStrings(code: string): ShellView[] {
  const views: ShellView[] = [];
  const literal =
    /(?:[rbuf]|rb|br|fr|rf)?("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)/gi;
  for (const m of code.matchAll(literal)) {
    const raw = m[1];
    const q = raw.startsWith('"""') || raw.startsWith("'''") ? 3 : 1;
    // The string's value: `"r\\m"` in Python is `r\m` for the shell, which runs `rm`.
    const text = raw.slice(q, raw.length - q).replace(/\\n/g, "\n").replace(/\\(["'\\])/g, "$1");
    views.push({ text, at: m.index ?? 0 });
  }
  // ["rm", "-rf", "/"] and ("rm", "-rf", "/"): the argv as one command line.
  const list = /[[(]\s*((?:(?:"[^"\n]*"|'[^'\n]*')\s*,\s*)+(?:"[^"\n]*"|'[^'\n]*'))\s*,?\s*[\])]/g;
  for (const m of code.matchAll(list)) {
    const parts = [...m[1].matchAll(/"([^"\n]*)"|'([^'\n]*)'/g)].map((p) => p[1] ?? p[2]);
    views.push({ text: parts.join(" "), at: m.index ?? 0 });
  }
  return views;
}

function expandTarget(target: string, cwd: string): string | null {
  let t = target.replace(/^['"]|['"]$/g, "");
  if (/^(?:~|\$HOME|\$\{HOME\})(?:\/|$)/.test(t)) {
    t = homeDir() + t.replace(/^(?:~|\$HOME|\$\{HOME\})/, "");
  }
  if (/\$|`/.test(t)) return null; // computed
  t = t.replace(/\/\*+$/, "").replace(/\*.*$/, "") || "/";
  return resolve(cwd, t);
}

/** Recursive deletes in a shell view: `rm -rf <targets>`. */
function recursiveDeletes(
  view: ShellView,
  cwd: string,
  add: (f: Omit<SafetyFinding, "line">, at: number) => void,
): void {
  const rm =
    /(?:^|[;&|(`]|\bthen|\bdo|\bxargs|\bsudo|\n)\s*rm\s+((?:-{1,2}[\w-]+\s+)*)([^;&|\n)`]*)/g;
  for (const m of view.text.matchAll(rm)) {
    const flags = m[1] ?? "";
    if (!/(?:^|\s)-\w*[rR]|--recursive/.test(flags)) continue;
    const targets = (m[2] ?? "").trim().split(/\s+/).filter((t) => t && !t.startsWith("-"));
    for (const target of targets) {
      const path = expandTarget(target, cwd);
      // Where `rm` itself is (the match starts with the separator before it, maybe a newline).
      const index = (m.index ?? 0) + Math.max(0, m[0].search(/\brm\s/));
      const at = view.map ? view.map(index) : view.at + index;
      if (path === null) {
        add({
          level: "warning",
          reason:
            `deletes a computed path recursively (rm -r ${target}): check it cannot be empty or /`,
        }, at);
      } else if (!isInside(path, cwd) || path === cwd) {
        add({
          level: deleteLevel(path, cwd),
          reason: `deletes ${target} recursively (${where(path, cwd)})`,
        }, at);
      }
    }
  }
}

/** Recursive deletes through Python / JS APIs: shutil.rmtree(...), fs.rmSync(..., {recursive}). */
function apiDeletes(
  code: string,
  cwd: string,
  add: (f: Omit<SafetyFinding, "line">, at: number) => void,
): void {
  const calls =
    /\b(shutil\.rmtree|Deno\.remove(?:Sync)?|fs(?:Promises)?\.rm(?:Sync)?|fs\.promises\.rm|rimraf(?:\.sync)?|rmSync|fs\.rmdirSync)\s*\(/g;
  for (const m of code.matchAll(calls)) {
    const fn = m[1];
    const [arg, rest] = callArguments(code, (m.index ?? 0) + m[0].length);
    if (fn !== "shutil.rmtree" && !fn.startsWith("rimraf") && !/recursive\s*:\s*true/.test(rest)) {
      continue;
    }
    const at = m.index ?? 0;
    const a = arg.trim();
    let path: string | null = null;
    const lit = a.match(/^(?:[rf]?)['"`]([^'"`]*)['"`]$/);
    const home =
      /^(?:os\.path\.expanduser\(\s*['"]~['"]\s*\)|(?:pathlib\.)?Path\.home\(\)|os\.homedir\(\)|homedir\(\)|Deno\.env\.get\(\s*['"]HOME['"]\s*\)!?|os\.environ\[\s*['"]HOME['"]\s*\]|process\.env\.HOME!?)$/;
    const inner = a.match(/^os\.path\.expanduser\(\s*['"]([^'"]+)['"]\s*\)$/);
    if (lit) path = expandTarget(lit[1], cwd);
    else if (home.test(a)) path = homeDir();
    else if (inner) path = expandTarget(inner[1], cwd);
    if (path === null) {
      add({
        level: "warning",
        reason: `deletes a computed path recursively (${fn}(${a})): check where it points`,
      }, at);
    } else if (!isInside(path, cwd) || path === cwd) {
      add({
        level: deleteLevel(path, cwd),
        reason: `deletes ${a} recursively with ${fn} (${where(path, cwd)})`,
      }, at);
    }
  }
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
function deleteLevel(path: string, cwd: string): "warning" | "unsafe" {
  if (path === cwd) return "warning";
  // The home folder (or a folder holding it) is never scratch space, even when it lives in /tmp.
  if (isInside(homeDir(), path)) return "unsafe";
  if (/^\/(?:var\/)?tmp\/[^/]+/.test(path)) return "warning";
  return "unsafe";
}

function where(path: string, cwd: string): string {
  return path === cwd ? "the whole workspace" : "outside the workspace";
}

/**
 * Scans code before it runs. Works offline, in milliseconds, for shell,
 * Python, JavaScript/TypeScript, and (through their strings) other languages.
 *
 * @example
 * ```ts
 * scanCode("python", "import shutil; shutil.rmtree('/')").level; // "unsafe"
 * ```
 */
export function scanCode(language: string, code: string, options: ScanOptions = {}): SafetyReport {
  const cwd = resolve(options.cwd ?? Deno.cwd());
  const lang = language.trim().toLowerCase();
  const findings: SafetyFinding[] = [];
  const seen = new Set<string>();
  const add = (f: Omit<SafetyFinding, "line">, at: number) => {
    const line = lineOf(code, at);
    const key = `${line}:${f.reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({ ...f, line });
  };
  const isShell = SHELLS.has(lang);
  const views: ShellView[] = (isShell ? [{ text: code, at: 0 }] : commandStrings(code))
    .flatMap(withNormalised);
  for (const view of views) {
    for (const rule of SHELL_RULES) {
      const m = view.text.match(rule.test);
      if (m) {
        const at = view.map ? view.map(m.index ?? 0) : view.at + (isShell ? m.index ?? 0 : 0);
        add({ level: rule.level, reason: rule.reason }, at);
      }
    }
    recursiveDeletes(view, cwd, add);
  }
  const cred = code.match(CREDENTIALS);
  if (cred) add({ level: "unsafe", reason: `reads credentials (${cred[1]})` }, cred.index ?? 0);
  if (!isShell) {
    apiDeletes(code, cwd, add);
    const rules = lang === "python" || lang === "py"
      ? PYTHON_RULES
      : ["javascript", "js", "typescript", "ts", "node", "deno"].includes(lang)
      ? JS_RULES
      : [];
    for (const rule of rules) {
      const m = code.match(rule.test);
      if (m) add({ level: rule.level, reason: rule.reason }, m.index ?? 0);
    }
  }
  findings.sort((a, b) => a.line - b.line);
  const level: SafetyLevel = findings.some((f) => f.level === "unsafe")
    ? "unsafe"
    : findings.length > 0
    ? "warning"
    : "safe";
  return { level, reasons: findings.map((f) => `line ${f.line}: ${f.reason}`), findings };
}

/** What the engine does with a report under a safe mode. */
export interface SafetyDecision {
  /** `run` (no need to ask beyond the usual), `ask` (ask the person even under -y), `refuse`. */
  action: "run" | "ask" | "refuse";
  /** For `refuse`: the message the model receives. */
  message?: string;
}

/**
 * Decides what to do with flagged code. `off`: run as usual. `ask`: flagged
 * code is always shown with its reasons and asked about, even with auto-run
 * (`-y`); without a terminal the engine declines it. `auto`: unsafe code is
 * refused and the model told why; warnings are asked about like `ask`.
 */
export function safetyDecision(mode: SafeMode, report: SafetyReport): SafetyDecision {
  if (mode === "off" || report.level === "safe") return { action: "run" };
  if (mode === "auto" && report.level === "unsafe") {
    return {
      action: "refuse",
      message: `Safe mode refused to run this code because it ${
        report.findings.filter((f) => f.level === "unsafe").map((f) =>
          `${f.reason} (line ${f.line})`
        ).join("; ")
      }. Do not try to get around this; find a safer way, or ask the user to run it themselves.`,
    };
  }
  return { action: "ask" };
}
