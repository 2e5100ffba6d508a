/**
 * Safe mode's Python analysis, on tokens (no Python needed): strings folded,
 * `getattr(os, 'sys'+'tem')`, `__import__('shutil')`,
 * `importlib.import_module(…)`, `os.__dict__[…]`, `vars(os)[…]` and
 * `globals()[…]` resolved to plain names; commands given to `os.system`,
 * `subprocess.*`, `os.exec*`/`os.spawn*`, `pty.spawn` scanned as shell; code
 * given to `exec`/`eval`/`compile` scanned as Python. Names, commands or code
 * that cannot be read statically are flagged, and so is rot13.
 *
 * @module
 */

import {
  argRanges as argRangesAt,
  dotted,
  type Env,
  foldRange,
  listItems,
  valueOf,
} from "./fold.ts";
import { normalise, textOf } from "./normalise.ts";
import { calls, MODULES, type Replacement } from "./source.ts";
import type { Tok } from "./tokens.ts";
import { codeSink, collector, commandSink, flag, stdinInterpreter, stdinSink } from "./sinks.ts";
import { type Analysis, excerpt, HOLE } from "./types.ts";

const IDENT = /^[A-Za-z_][\w.]*$/;
const CODE = /^(?:(?:builtins|__builtins__)\.)?(?:exec|eval|compile|execfile)$/;
const IMPORTS =
  /^(?:__import__|importlib\.import_module|importlib\.__import__|builtins\.__import__|imp\.load_source|runpy\.run_module|runpy\.run_path)$/;
const SHELL_CALLS =
  /^(?:os\.system|os\.popen[23]?|subprocess\.getoutput|subprocess\.getstatusoutput|commands\.getoutput|asyncio\.create_subprocess_shell|platform\.popen)$/;
const ARGV_CALLS = /^(?:subprocess\.(?:run|call|check_call|check_output|Popen)|pty\.spawn)$/;
/** Functions that download to a file: `urlretrieve(url, "f")`. */
const DOWNLOAD_CALLS = /(?:^|\.)(?:urlretrieve|download_file|download)$/;
const EXEC_CALLS = /^os\.(?:exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)$/;
const LOOKUP = /^(?:globals|locals|vars)$/;
/** Loaders that run code the data names (a pickle's `REDUCE` calls any function). */
const UNPICKLE =
  /^(?:pickle|cPickle|_pickle|dill|cloudpickle|joblib|marshal)\.loads$|^pickle\.Unpickler$/;

/** `getattr(X, "name")` → `X.name`; `__import__("m")` → `m`; `X.__dict__["f"]` → `X.f`. */
function structural(toks: Tok[], i: number, env: Env, code: string): Replacement | null {
  const t = toks[i];
  if (t.kind !== "name" || toks[i - 1]?.value === ".") return null;
  const d = dotted(toks, i, env)!;
  const open = toks[d.end];
  // `os.system.__call__(x)` is `os.system(x)`.
  if (d.name.endsWith(".__call__") && open?.value === "(") {
    return { from: i, to: d.end, text: textOf(code, toks, i, d.end).replace(/\.__call__$/, "") };
  }
  if (open?.value === "(") {
    const { ranges, end } = argRangesAt(toks, d.end);
    if ((d.name === "getattr" || d.name.endsWith(".__getattribute__")) && ranges.length >= 1) {
      const objRange = d.name === "getattr" ? ranges[0] : null;
      const nameRange = d.name === "getattr" ? ranges[1] : ranges[0];
      const name = nameRange ? foldRange(toks, nameRange, env) : null;
      if (!name || !IDENT.test(name.value)) return null;
      const obj = objRange
        ? textOf(code, toks, objRange[0], objRange[1])
        : d.name.slice(0, -".__getattribute__".length);
      const target = /^(?:__builtins__|builtins)$/.test(obj) ? name.value : `${obj}.${name.value}`;
      return { from: i, to: end, text: target };
    }
    if (
      IMPORTS.test(d.name) && ranges.length >= 1 && !d.name.startsWith("runpy") &&
      !d.name.startsWith("imp.")
    ) {
      const name = foldRange(toks, ranges[0], env);
      if (!name || !IDENT.test(name.value)) return null;
      return { from: i, to: end, text: name.value };
    }
    if ((LOOKUP.test(d.name) || d.name === "vars") && toks[end]?.value === "[") {
      const sub = argRangesAt(toks, end);
      const key = sub.ranges.length === 1 ? foldRange(toks, sub.ranges[0], env) : null;
      if (!key || !IDENT.test(key.value)) return null;
      const obj = d.name === "vars" && ranges[0]
        ? textOf(code, toks, ranges[0][0], ranges[0][1])
        : "";
      return { from: i, to: sub.end, text: obj ? `${obj}.${key.value}` : key.value };
    }
    return null;
  }
  if (
    open?.value === "[" &&
    (/\.__dict__$/.test(d.name) || /^(?:__builtins__|sys\.modules)$/.test(d.name))
  ) {
    const sub = argRangesAt(toks, d.end);
    const key = sub.ranges.length === 1 ? foldRange(toks, sub.ranges[0], env) : null;
    if (!key || !IDENT.test(key.value)) return null;
    const obj = d.name.replace(/\.?__dict__$/, "").replace(
      /^(?:__builtins__|builtins|sys\.modules)$/,
      "",
    );
    return { from: i, to: sub.end, text: obj ? `${obj}.${key.value}` : key.value };
  }
  return null;
}

/** Analyses Python code. */
export function analyzePython(code: string): Analysis {
  const n = normalise(code, "python", structural);
  const { toks, env } = n;
  const c = collector(n.lineAt);
  c.sourceViews.push({ text: n.code, lineAt: n.lineAt });
  c.shellViews.push(...n.decoded);
  const text = (r?: [number, number]) => r ? textOf(n.code, toks, r[0], r[1]) : "";
  // The same functions reached through any object (`[os][0].system(…)`, `ctypes.CDLL(None).system(…)`).
  const methods = [];
  if (/\b(?:os|posix|subprocess|ctypes|pty|commands|__import__|importlib)\b/.test(n.code)) {
    for (let i = 1; i < toks.length - 2; i++) {
      const name = toks[i + 1];
      if (toks[i].value !== "." || name.kind !== "name" || toks[i + 2].value !== "(") continue;
      const known =
        /^(?:system|popen|getoutput|getstatusoutput|check_output|check_call|Popen)$/.test(
            name.value,
          )
          ? name.value === "system" || name.value === "popen"
            ? `os.${name.value}`
            : `subprocess.${name.value}`
          : /^(?:exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)$/.test(name.value)
          ? `os.${name.value}`
          : null;
      if (!known) continue;
      const { ranges, end } = argRangesAt(toks, i + 2);
      methods.push({ name: known, at: i + 1, open: i + 2, ranges, end });
    }
  }
  for (const call of [...calls(toks, env), ...methods]) {
    const line = n.lineAt(toks[call.at].at);
    const shown = `${call.name}(${call.ranges.map(text).join(", ")})`;
    const [first, second] = call.ranges;
    if (CODE.test(call.name)) {
      if (first) codeSink(c, line, "python", shown, foldRange(toks, first, env));
    } else if (IMPORTS.test(call.name)) {
      const name = first ? foldRange(toks, first, env) : null;
      if (!name || name.value.includes(HOLE)) {
        flag(
          c,
          line,
          `imports a module whose name is built at run time (${
            excerpt(shown)
          }), so what it loads cannot be checked`,
        );
      }
    } else if (call.name === "getattr" || call.name === "setattr" || call.name === "hasattr") {
      const obj = text(first);
      const name = second ? foldRange(toks, second, env) : null;
      if (sensitive(obj, env) && (!name || name.value.includes(HOLE))) {
        flag(
          c,
          line,
          `looks up a function of ${obj} by a name built at run time (${
            excerpt(shown)
          }), so what it calls cannot be checked`,
        );
      }
    } else if (SHELL_CALLS.test(call.name)) {
      commandSink(c, line, shown, {
        shell: first ? foldRange(toks, first, env)?.value ?? null : null,
      });
    } else if (ARGV_CALLS.test(call.name)) {
      const argsKw = keyword(toks, call.ranges, "args");
      const first = argsKw ?? call.ranges[0];
      const list = first ? listItems(toks, first, env) : null;
      const shell = first ? foldRange(toks, first, env)?.value ?? null : null;
      if (list) commandSink(c, line, shown, { argv: list });
      else commandSink(c, line, shown, { shell });
      // `subprocess.run(["sh"], input=…)`, `Popen("bash", stdin=PIPE)`: text given to a bare shell runs.
      const lang = stdinInterpreter(list ?? (shell ?? "").split(/\s+/));
      const input = keyword(toks, call.ranges, "input");
      const piped = keyword(toks, call.ranges, "stdin");
      if (lang && input) {
        stdinSink(c, line, shown, lang, foldRange(toks, input, env)?.value ?? null);
      } else if (lang && piped && /PIPE$/.test(text(piped))) stdinSink(c, line, shown, lang, null);
    } else if (EXEC_CALLS.test(call.name)) {
      const args = call.name.includes("spawn") && !call.name.includes("posix")
        ? call.ranges.slice(1)
        : call.ranges;
      const program = args[0] ? valueOf(toks, args[0], env) : HOLE;
      const vector = /exec[lv]?p?e?$|spawn/.test(call.name) &&
        /v|posix/.test(call.name.split(".")[1]);
      const rest = vector
        ? (args[1] ? listItems(toks, args[1], env) ?? [HOLE] : [])
        : args.slice(1).map((r) => valueOf(toks, r, env));
      commandSink(c, line, shown, { argv: [program, ...rest.slice(1)] });
    } else if (UNPICKLE.test(call.name) && first) {
      // Unpickling runs whatever callables the data names (`os.system`…): data the code itself
      // spells or decodes is code in another form.
      const data = foldRange(toks, first, env);
      if (data && !data.value.includes(HOLE)) {
        flag(
          c,
          line,
          `unpickles data written in the code (${excerpt(shown)}), which can run any command`,
        );
      }
    } else if (
      call.name === "codecs.decode" || call.name === "codecs.encode" ||
      call.name === "codecs.getdecoder"
    ) {
      if (call.ranges.some((r) => /^rot.?13$/i.test(valueOf(toks, r, env)))) {
        flag(c, line, `decodes rot13 text (${excerpt(shown)}), which only hides what it says`);
      }
    }
  }
  lookups(toks, env, c, n.code);
  references(toks, env, c, n.code);
  downloadsRun(toks, env, c, n.code);
  if (/['"]rot.?13['"]/i.test(n.code) && !c.findings.some((f) => f.reason.includes("rot13"))) {
    const at = n.code.search(/['"]rot.?13['"]/i);
    flag(c, n.lineAt(at), "decodes rot13 text, which only hides what it says");
  }
  return c;
}

/** Whether an object is a module that reaches the system (`os`, `subprocess`, builtins…). */
function sensitive(obj: string, env: Env): boolean {
  const root = obj.split(".")[0];
  return MODULES.python.has(env.aliases.get(root) ?? root) ||
    /^(?:globals|locals|vars)\(/.test(obj);
}

/** `os.__dict__[x]`, `vars(os)[x]`, `globals()[x]`, `__builtins__[x]`, `sys.modules[x]` with x unknown. */
function lookups(toks: Tok[], env: Env, c: ReturnType<typeof collector>, code: string): void {
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== "name" || toks[i - 1]?.value === ".") continue;
    const d = dotted(toks, i, env)!;
    let at = d.end;
    let what = d.name;
    if (toks[at]?.value === "(" && (LOOKUP.test(d.name))) {
      const r = argRangesAt(toks, at);
      what = `${d.name}(${textOf(code, toks, at + 1, r.end - 1)})`;
      at = r.end;
    } else if (!/\.__dict__$|^__builtins__$|^sys\.modules$/.test(d.name)) continue;
    if (toks[at]?.value !== "[") continue;
    const sub = argRangesAt(toks, at);
    const key = sub.ranges.length === 1 ? foldRange(toks, sub.ranges[0], env) : null;
    if (!key || key.value.includes(HOLE)) {
      const shown = `${what}[${textOf(code, toks, at + 1, sub.end - 1)}]`;
      flag(
        c,
        c.lineAt(toks[i].at),
        `looks up ${what} by a name built at run time (${
          excerpt(shown)
        }), so what it uses cannot be checked`,
      );
    }
  }
}

/** The value range of a keyword argument (`input=…`) of a call. */
function keyword(toks: Tok[], ranges: [number, number][], name: string): [number, number] | null {
  for (const [from, to] of ranges) {
    if (toks[from]?.value === name && toks[from + 1]?.value === "=") return [from + 2, to];
  }
  return null;
}

/** A function that runs things, used as a value (`partial(os.system, x)`, `map(eval, xs)`). */
function references(toks: Tok[], env: Env, c: ReturnType<typeof collector>, code: string): void {
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== "name" || /^(?:\.|def|class|as|import)$/.test(toks[i - 1]?.value ?? "")) {
      continue;
    }
    const first = i;
    const d = dotted(toks, i, env)!;
    const sink = CODE.test(d.name) || IMPORTS.test(d.name) || SHELL_CALLS.test(d.name) ||
      ARGV_CALLS.test(d.name) || EXEC_CALLS.test(d.name) || d.name === "getattr";
    i = d.end - 1;
    if (!sink || toks[d.end]?.value === "(") continue;
    // `s = os.system` is an alias (its uses were resolved); imports name things, they run nothing.
    // An alias whose uses are resolved (`s = os.system`); not an attribute (`self.f = os.system`)
    // nor a special method Python calls by itself (`__del__ = os.system` in a class).
    const lhs = toks[first - 2];
    const alias = toks[first - 1]?.value === "=" && lhs?.kind === "name" &&
      toks[first - 3]?.value !== "." && !/^__\w+__$/.test(lhs.value);
    if (toks[d.end]?.value === "=" || alias) continue;
    const start = code.lastIndexOf("\n", toks[d.end - 1].at) + 1;
    if (/^\s*(?:from|import)\b/.test(code.slice(start))) continue;
    flag(
      c,
      c.lineAt(toks[d.end - 1].at),
      `passes ${d.name} around as a value, so what it runs cannot be checked`,
    );
  }
}

/**
 * A file the code downloads (`urlretrieve(url, "f.py")`, or opened for writing in code that
 * fetches from the network) and then runs: imported, given to `runpy`, or named in a command.
 */
function downloadsRun(toks: Tok[], env: Env, c: ReturnType<typeof collector>, code: string): void {
  const fetches = /\b(?:urlopen|urlretrieve|requests\.(?:get|post)|httpx\.|aiohttp|urllib3|wget\.)/
    .test(code);
  if (!fetches) return;
  const files = new Set<string>();
  for (const call of calls(toks, env)) {
    const [first, second] = call.ranges;
    if (DOWNLOAD_CALLS.test(call.name) && second) files.add(valueOf(toks, second, env));
    if (call.name === "open" && first && second && /[wa]/.test(valueOf(toks, second, env))) {
      files.add(valueOf(toks, first, env));
    }
  }
  for (const file of files) {
    const name = file.replace(/^.*\//, "");
    if (!name || name.includes(HOLE)) continue;
    const stem = name.replace(/\.py$/, "");
    const command = c.nested.find((n) =>
      n.language === "shell" && n.code.split(/[\s/'"]+/).includes(name)
    );
    const escaped = (t: string) => t.replace(/\W/g, "\\$&");
    const imported = code.search(
      new RegExp(`\\bimport\\s+${escaped(stem)}\\b|run_path\\([^)]*${escaped(name)}`),
    );
    if (command || imported >= 0) {
      const line = command ? command.line : c.lineAt(imported);
      flag(c, line, `runs a file it downloaded (${excerpt(name)}) without showing it first`);
    }
  }
}
