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

import type { SafeMode } from "../settings/registry.ts";
import { resolve } from "node:path";
import { analyzeShell } from "./safe_mode/shell.ts";
import { analyzePython } from "./safe_mode/python.ts";
import { analyzeJavaScript } from "./safe_mode/javascript.ts";
import { analyzePerlRuby } from "./safe_mode/perl_ruby.ts";
import { shellRuleFindings, sourceRuleFindings, stringViews } from "./safe_mode/rules.ts";
import {
  type Analysis,
  combine,
  type Finding,
  lineFinder,
  type TextView,
} from "./safe_mode/types.ts";

/** How risky a block of code looks. */
export type SafetyLevel = "safe" | "warning" | "unsafe";

/** Open Interpreter's setting: `off` (no scan), `ask` (show and ask), `auto` (refuse unsafe code). */
export type { SafeMode };

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

/** Code longer than this is not read (and so is unsafe): scans stay bounded in time. */
const MAX_CODE = 256 * 1024;

/** How deep code inside code (`bash -c "python3 -c '…'"`) is followed. */
const MAX_DEPTH = 4;

/** The language family a code block's language name belongs to. */
function family(language: string): string {
  const lang = language.trim().toLowerCase();
  if (/^(?:shell|bash|sh|zsh|fish|dash|ksh)$/.test(lang)) return "shell";
  // Command lines of other shells: their text is read with the shell rules, not parsed as bash.
  if (/^(?:powershell|pwsh|cmd|bat)$/.test(lang)) return "commands";
  if (/^(?:python|py|python3)$/.test(lang)) return "python";
  if (/^(?:javascript|js|typescript|ts|node|deno|jsx|tsx|mjs)$/.test(lang)) return "javascript";
  if (/^(?:perl|pl)$/.test(lang)) return "perl";
  if (/^(?:ruby|rb)$/.test(lang)) return "ruby";
  return lang;
}

function analyze(language: string, code: string): Analysis {
  if (language === "shell") return analyzeShell(code);
  if (language === "python") return analyzePython(code);
  if (language === "javascript") return analyzeJavaScript(code);
  if (language === "perl" || language === "ruby") return analyzePerlRuby(code, language);
  return { findings: [], shellViews: [], sourceViews: [], nested: [] };
}

/** The findings in one block of code and in the code it holds. */
function findingsIn(language: string, code: string, cwd: string, depth: number): Finding[] {
  let analysis: Analysis;
  try {
    analysis = analyze(language, code);
  } catch (e) {
    // Fail closed: code the scanner cannot read is not waved through.
    const why = e instanceof Error ? e.message : String(e);
    return [{
      level: "unsafe",
      reason: `could not be read by the scanner (${why.split("\n")[0]})`,
      line: 1,
    }];
  }
  const raw: TextView = { text: code, lineAt: lineFinder(code) };
  const found = [...analysis.findings];
  const shell = language === "shell" || language === "commands";
  const sources = shell ? [] : [raw, ...analysis.sourceViews];
  const shellViews = language === "commands" ? [raw] : shell ? analysis.shellViews : [
    ...sources.flatMap(stringViews),
    ...analysis.shellViews,
  ];
  found.push(...shellRuleFindings(combine(shellViews), cwd));
  if (language === "shell") found.push(...shellRuleFindings(raw, cwd, { deletes: false }));
  for (const view of sources) {
    // Deletes are read from the normalised copy when there is one (paths folded, names resolved).
    const deletes = view !== raw || analysis.sourceViews.length === 0;
    found.push(...sourceRuleFindings(view, language, cwd, { deletes }));
  }
  for (const n of analysis.nested) {
    if (depth >= MAX_DEPTH) {
      found.push({ level: "unsafe", reason: "nests code too deeply to check", line: n.line });
      continue;
    }
    for (const f of findingsIn(family(n.language), n.code, cwd, depth + 1)) {
      found.push({ ...f, line: n.line });
    }
  }
  return found;
}

/**
 * Scans code before it runs. Works offline, in milliseconds, for shell,
 * Python, JavaScript/TypeScript, Perl, Ruby and (through their strings) other
 * languages. Code whose dangerous parts cannot be read statically (a command
 * name built at run time, `eval` of computed text, names looked up by computed
 * strings) is itself unsafe.
 *
 * @example
 * ```ts
 * scanCode("python", "import shutil; shutil.rmtree('/')").level; // "unsafe"
 * ```
 */
export function scanCode(language: string, code: string, options: ScanOptions = {}): SafetyReport {
  const cwd = resolve(options.cwd ?? Deno.cwd());
  if (code.length > MAX_CODE) {
    const reason = `is too large for safe mode to read (${Math.ceil(code.length / 1024)} KiB; ` +
      `the limit is ${MAX_CODE / 1024} KiB)`;
    return {
      level: "unsafe",
      reasons: [`line 1: ${reason}`],
      findings: [{ level: "unsafe", reason, line: 1 }],
    };
  }
  const seen = new Set<string>();
  const findings: SafetyFinding[] = [];
  for (const f of findingsIn(family(language), code, cwd, 0)) {
    const key = `${f.line}:${f.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(f);
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
