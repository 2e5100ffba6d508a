/**
 * Normalises Python, JavaScript, Perl and Ruby source for safe mode: which
 * variables hold one known string, which names stand for modules or their
 * functions (`import os as o`, `const cp = require("child_process")`), and a
 * rewritten copy of the code (same lines) where folded strings are plain
 * literals and names are resolved (`getattr(os, 'sys'+'tem')` reads
 * `os.system`), so that the pattern rules see what the code really does.
 *
 * @module
 */

import { argRanges, dotted, type Env, foldExpr, listItems, skipBalanced } from "./fold.ts";
import type { Lang, Tok } from "./tokens.ts";

/** Code that rebinds variables in ways no scanner follows: tracked values are not trusted. */
const UNTRUSTED: Record<Lang, RegExp> = {
  python:
    /\b(?:globals|locals|vars)\s*\(|__dict__|\bsetattr\s*\(|\bexec\s*\(|\beval\s*\(|\bf_(?:locals|globals)\b|__setattr__|\bsys\._getframe/,
  javascript:
    /\beval\s*\(|\bwith\s*\(|\bglobalThis\b|\bwindow\b|\bReflect\b|\bObject\.(?:assign|defineProperty)|\barguments\b/,
  perl: /\beval\b|\bno\s+strict\b|\*\{|\$\$\w|\$\{/,
  ruby: /\beval\b|\bbinding\b|_variable_set\b|\bdefine_method\b|\bsend\b|\b__send__\b/,
};

const ASSIGN_PREFIX: Record<Lang, Set<string>> = {
  python: new Set(),
  javascript: new Set(["const", "let", "var"]),
  perl: new Set(["my", "our", "local"]),
  ruby: new Set(),
};

/** A fresh environment for a language (no values, no aliases). */
export function emptyEnv(lang: Lang): Env {
  return { lang, values: new Map(), lists: new Map(), aliases: new Map() };
}

/**
 * Variables with one known string (or list) value. A variable bound in any
 * other way (parameter, loop target, unpacking, `as`, compound assignment) or
 * given different values is unknown (null).
 */
export function collectValues(code: string, toks: Tok[], env: Env): void {
  const unknown = new Set<string>();
  const lang = env.lang;
  const set = (name: string, value: string | null, list?: string[] | null) => {
    if (unknown.has(name)) return;
    const old = env.values.get(name);
    if (env.values.has(name) && (old !== value || list)) {
      unknown.add(name);
      return;
    }
    env.values.set(name, value);
    if (list) env.lists.set(name, list);
  };
  const zone = (from: number, to: number) => {
    for (let k = from; k < to && k < toks.length; k++) {
      if (toks[k].kind === "name") unknown.add(toks[k].value);
    }
  };
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const v = t.value;
    if (t.kind === "op") {
      if (v === "(" || v === "[" || (v === "{" && lang === "python")) depth++;
      else if (v === ")" || v === "]" || (v === "}" && lang === "python")) {
        depth = Math.max(0, depth - 1);
      }
      if (v === "=>" && toks[i - 1]?.value === ")") {
        let k = i - 1;
        let d = 0;
        for (; k >= 0; k--) {
          if (toks[k].value === ")") d++;
          else if (toks[k].value === "(" && --d === 0) break;
        }
        zone(k, i);
      } else if (v === "=>" && toks[i - 1]?.kind === "name") unknown.add(toks[i - 1].value);
      else if (
        v === ":=" || (v === ":" && toks[i + 1]?.value === "=" && toks[i + 1].at === t.end)
      ) {
        if (toks[i - 1]?.kind === "name") unknown.add(toks[i - 1].value);
      } else if (
        v === "|" && lang === "ruby" && (toks[i - 1]?.value === "{" || toks[i - 1]?.value === "do")
      ) {
        let k = i + 1;
        while (k < toks.length && toks[k].value !== "|") k++;
        zone(i + 1, k);
      }
      continue;
    }
    if (t.kind !== "name") continue;
    if (/^(?:def|function|lambda|sub|catch)$/.test(v)) {
      let k = i + 1;
      if (toks[k]?.kind === "name" && toks[k + 1]?.value === "(") k++;
      if (toks[k]?.value === "(") zone(k, skipBalanced(toks, k));
      else if (v === "lambda" || (v === "def" && lang === "ruby")) {
        while (
          k < toks.length && toks[k].value !== ":" &&
          !code.slice(toks[k - 1].end, toks[k].at).includes("\n")
        ) {
          if (toks[k].kind === "name") unknown.add(toks[k].value);
          k++;
        }
      }
      continue;
    }
    if (v === "for" || v === "foreach") {
      for (let k = i + 1; k < toks.length && k < i + 12; k++) {
        if (
          toks[k].value === "in" || toks[k].value === "of" || toks[k].value === "(" && k > i + 1
        ) break;
        if (toks[k].kind === "name") unknown.add(toks[k].value);
      }
      continue;
    }
    if (v === "as" || v === "import" || v === "global" || v === "nonlocal") {
      for (let k = i + 1; k < toks.length && !code.slice(t.end, toks[k].at).includes("\n"); k++) {
        if (toks[k].kind === "name") unknown.add(toks[k].value);
        if (v === "as") break;
      }
      continue;
    }
    if (toks[i - 1]?.value === "." || toks[i - 1]?.value === "?.") continue;
    // A parameter of a method (`name(a, b) {`), or a destructuring target.
    if (lang === "javascript" && toks[i + 1]?.value === "(") {
      const end = skipBalanced(toks, i + 1);
      if (toks[end]?.value === "{" && !/^(?:if|for|while|switch|catch|return|await)$/.test(v)) {
        zone(i + 2, end);
      }
    }
    if (
      ASSIGN_PREFIX[lang].has(v) &&
      (toks[i + 1]?.value === "{" || toks[i + 1]?.value === "[" || toks[i + 1]?.value === "(")
    ) {
      zone(i + 1, skipBalanced(toks, i + 1));
      continue;
    }
    const eq = annotated(code, toks, i, lang, depth);
    const op = toks[eq];
    if (!op || op.kind !== "op") continue;
    if (op.value === "=" && depth === 0) {
      if (toks[i - 1]?.value === ",") {
        for (let k = i; k >= 0 && /^(?:,|\*|\(|\)|\[|\])$|^\w/.test(toks[k].value); k--) {
          if (toks[k].kind === "name") unknown.add(toks[k].value);
        }
        continue;
      }
      const f = foldExpr(toks, eq + 1, env);
      const list = f ? null : listItems(toks, [eq + 1, skipBalanced(toks, eq + 1)], env);
      set(v, f ? f.value : null, list);
    } else if (
      op.value === "+=" || (lang === "perl" && op.value === "." && toks[eq + 1]?.value === "=")
    ) {
      const f = foldExpr(toks, eq + (op.value === "+=" ? 1 : 2), env);
      const old = env.values.get(v);
      unknown.add(v);
      if (f && old !== undefined && old !== null) env.values.set(v, old + f.value);
    } else {
      // A compound assignment (`-=`, `||=`, `??=`…): unknown.
      let text = "";
      for (let k = eq; k < toks.length && toks[k].kind === "op" && k < eq + 3; k++) {
        text += toks[k].value;
        if (toks[k + 1]?.at !== toks[k].end) break;
      }
      if (/^[-*/%&|^@<>?]+=$/.test(text) && !/^(?:<=|>=|==|!=)$/.test(text)) unknown.add(v);
    }
  }
  for (const name of unknown) {
    env.values.set(name, null);
    env.lists.delete(name);
  }
  if (UNTRUSTED[lang].test(code)) {
    for (const name of env.values.keys()) env.values.set(name, null);
    env.lists.clear();
  }
}

/**
 * The token after a name that may be a type annotation (`name: str = …`,
 * `const name: string = …`): the index of its `=`, or of the token after the name.
 */
function annotated(code: string, toks: Tok[], i: number, lang: Lang, depth: number): number {
  const colon = toks[i + 1];
  const typed = lang === "python"
    ? depth === 0
    : lang === "javascript" && /^(?:const|let|var)$/.test(toks[i - 1]?.value ?? "");
  if (colon?.value !== ":" || !typed) return i + 1;
  let k = i + 2;
  while (
    k < toks.length && k < i + 40 && toks[k].value !== "=" && !/^[;,]$/.test(toks[k].value) &&
    !code.slice(colon.end, toks[k].at).includes("\n")
  ) k++;
  return toks[k]?.value === "=" ? k : i + 1;
}

/** Canonical module names: `node:fs` → `fs`, `fs/promises` → `fs.promises`. */
function moduleName(name: string): string {
  return name.replace(/^(?:node|npm):/, "").replace(/@[\d.^~]+$/, "").replace(/\//g, ".");
}

/** Names of modules and the objects that reach the system, per language. */
export const MODULES: Record<Lang, Set<string>> = {
  python: new Set([
    "os",
    "posix",
    "nt",
    "subprocess",
    "shutil",
    "sys",
    "builtins",
    "__builtins__",
    "importlib",
    "ctypes",
    "pty",
    "pathlib",
    "codecs",
    "commands",
    "asyncio",
    "multiprocessing",
    "socket",
  ]),
  javascript: new Set([
    "Deno",
    "process",
    "child_process",
    "fs",
    "fs.promises",
    "os",
    "Bun",
    "vm",
    "globalThis",
    "module",
  ]),
  perl: new Set(["CORE", "POSIX", "IPC"]),
  ruby: new Set(["Kernel", "IO", "Open3", "File", "FileUtils", "Process", "Object"]),
};

/** Built-in functions that run code or reach names: an alias of one is the function itself. */
const SENSITIVE: Record<Lang, Set<string>> = {
  python: new Set([
    "eval",
    "exec",
    "compile",
    "__import__",
    "getattr",
    "globals",
    "vars",
    "locals",
  ]),
  javascript: new Set(["eval", "Function", "require"]),
  perl: new Set(),
  ruby: new Set(["eval", "send", "system", "exec", "spawn"]),
};

/** Names that stand for modules or their members (`import os as o`, `const { execSync } = require(…)`). */
export function collectAliases(code: string, toks: Tok[], env: Env): void {
  const lang = env.lang;
  const add = (name: string, target: string) => {
    // The first binding stands; a module's own name, or a name standing for itself, is no alias.
    if (env.aliases.has(name) || MODULES[lang].has(name) || target === name) return;
    if (target.startsWith(`${name}.`)) return;
    env.aliases.set(name, target);
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== "name") continue;
    if (lang === "python" && t.value === "import") {
      // `import a.b as c`, `from a.b import c as d, e`, `from a import (c, d)`.
      const lineStart = code.lastIndexOf("\n", t.at) + 1;
      const module = code.slice(lineStart, t.at).match(/\bfrom\s+([\w.]+)\s+$/)?.[1] ?? "";
      let stop = i + 1;
      if (toks[stop]?.value === "(") stop = skipBalanced(toks, stop);
      else {
        while (stop < toks.length && !code.slice(t.end, toks[stop].at).includes("\n")) stop++;
      }
      for (let k = i + 1; k < stop; k++) {
        if (toks[k].kind !== "name") continue;
        const d = dotted(toks, k, { ...env, aliases: new Map() })!;
        const alias = toks[d.end]?.value === "as" ? toks[d.end + 1]?.value : undefined;
        const target = module ? `${module}.${d.name}` : d.name;
        if (alias) add(alias, target);
        else if (module) add(d.name, target);
        k = alias ? d.end + 1 : d.end - 1;
      }
      continue;
    }
    if (lang === "javascript" && t.value === "import" && toks[i + 1]?.value !== "(") {
      let k = i + 1;
      while (k < toks.length && toks[k].value !== "from" && toks[k].kind !== "str") k++;
      const source = toks[k]?.value === "from" ? toks[k + 1] : undefined;
      if (!source || source.kind !== "str") continue;
      const module = moduleName(source.value);
      bindingNames(toks, i + 1, k, module, add);
      continue;
    }
    const eq = annotated(code, toks, i, lang, 0);
    if (toks[i - 1]?.value === "." || toks[eq]?.value !== "=" || toks[eq + 1]?.value === "=") {
      continue;
    }
    // name = <module expression>
    const rhs = eq + 1;
    const req = requireAt(toks, rhs);
    if (req) {
      add(t.value, req.module);
      continue;
    }
    // `exec = util.promisify(child_process.exec)`: the promisified function is the function.
    let at = rhs;
    if (/^(?:util\.)?promisify$/.test(dotted(toks, rhs, env)?.name ?? "")) {
      at = dotted(toks, rhs, env)!.end + 1;
      const inner = requireAt(toks, at);
      if (inner && toks[inner.end]?.value === "." && toks[inner.end + 1]?.kind === "name") {
        add(t.value, `${inner.module}.${toks[inner.end + 1].value}`);
        continue;
      }
    }
    const d = dotted(toks, at, env);
    const stop = at === rhs ? ["(", "[", "."] : ["(", "[", ".", ","];
    if (
      d && !stop.includes(toks[d.end]?.value ?? "") &&
      (MODULES[lang].has(d.name.split(".")[0]) || SENSITIVE[lang].has(d.name))
    ) {
      add(t.value, d.name);
    }
  }
  // const { a: b, c } = require("m") / await import("m")
  if (lang === "javascript") {
    for (let i = 0; i < toks.length; i++) {
      if (toks[i].value !== "{" || !/^(?:const|let|var)$/.test(toks[i - 1]?.value ?? "")) continue;
      const close = skipBalanced(toks, i);
      if (toks[close]?.value !== "=") continue;
      const req = requireAt(toks, close + 1);
      const d = req ? null : dotted(toks, close + 1, env);
      const module = req?.module ??
        (d && MODULES.javascript.has(d.name.split(".")[0]) ? d.name : null);
      if (module) bindingNames(toks, i, close, module, add);
    }
  }
}

/** `require("m")`, `await import("m")`, `import("m")` at `i`: the module and the index after. */
export function requireAt(toks: Tok[], i: number): { module: string; end: number } | null {
  let k = i;
  if (toks[k]?.value === "await") k++;
  if ((toks[k]?.value === "require" || toks[k]?.value === "import") && toks[k + 1]?.value === "(") {
    const arg = toks[k + 2];
    if (
      arg?.kind === "str" && toks[k + 3]?.value === ")" &&
      /^(?:node:|npm:)?[@\w][\w./@-]*$/.test(arg.value)
    ) {
      return { module: moduleName(arg.value), end: k + 4 };
    }
  }
  return null;
}

function bindingNames(
  toks: Tok[],
  from: number,
  to: number,
  module: string,
  add: (a: string, b: string) => void,
) {
  for (let k = from; k < to; k++) {
    const n = toks[k];
    if (n.kind !== "name" || n.value === "as" || n.value === "type") continue;
    if (toks[k - 1]?.value === "as" || toks[k - 1]?.value === "*") continue;
    if (toks[k + 1]?.value === "as" || toks[k + 1]?.value === ":") {
      const alias = toks[k + 2];
      if (alias?.kind === "name") {
        add(alias.value, n.value === "default" ? module : `${module}.${n.value}`);
      }
      k += 2;
    } else if (toks[k - 1]?.value === "{" || toks[k - 1]?.value === ",") {
      add(n.value, `${module}.${n.value}`);
    } else add(n.value, module);
  }
  // `import * as cp from "m"`
  for (let k = from; k < to; k++) {
    if (toks[k].value === "*" && toks[k + 1]?.value === "as" && toks[k + 2]?.kind === "name") {
      add(toks[k + 2].value, module);
    }
  }
}

/** A replacement of tokens `[from, to)` by text. */
export interface Replacement {
  from: number;
  to: number;
  text: string;
}

/** Applies replacements (sorted, not overlapping) to code, keeping its line count. */
export function applyReplacements(code: string, toks: Tok[], reps: Replacement[]): string {
  let out = "";
  let pos = 0;
  for (const r of reps) {
    const start = toks[r.from].at;
    const end = toks[r.to - 1].end;
    if (start < pos) continue;
    const lines = (code.slice(start, end).match(/\n/g) ?? []).length;
    out += code.slice(pos, start) + r.text + "\n".repeat(lines);
    pos = end;
  }
  return out + code.slice(pos);
}

/** A string literal for rewritten code (holes kept as the private-use `HOLE` character). */
export function literal(value: string, lang: Lang): string {
  const text = value; // holes stay holes: a sink given this literal still sees what is unknown
  if (lang === "perl") return `'${text.replace(/[\\']/g, "\\$&").replace(/\n/g, " ")}'`;
  return JSON.stringify(text);
}

/** Each call `name(…)` at a dotted name not preceded by `.`: its name, bracket and arguments. */
export function* calls(
  toks: Tok[],
  env: Env,
): Generator<{ name: string; at: number; open: number; ranges: [number, number][]; end: number }> {
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== "name" || toks[i - 1]?.value === "." || toks[i - 1]?.value === "?.") {
      continue;
    }
    if (
      toks[i - 1]?.value === "def" || toks[i - 1]?.value === "function" ||
      toks[i - 1]?.value === "sub"
    ) continue;
    const d = dotted(toks, i, env)!;
    if (toks[d.end]?.value !== "(") continue;
    const { ranges, end } = argRanges(toks, d.end);
    yield { name: d.name, at: i, open: d.end, ranges, end };
  }
}
