/**
 * Safe mode's JavaScript/TypeScript analysis, on tokens (TypeScript needs no
 * transpiling, code that does not parse is still read): strings folded,
 * `Deno['re'+'move']` and `globalThis["Deno"]` resolved, `require`/`import`
 * aliases followed; commands given to `child_process`, `Deno.Command`,
 * `Deno.run` and `Bun.spawn` scanned as shell; code given to `eval`,
 * `Function`, `vm` scanned as JavaScript. What cannot be read statically is
 * flagged: computed property names on `Deno`, `process`, `globalThis` or a
 * system module, computed `import()`/`require()`, and code built at run time.
 *
 * @module
 */

import {
  argRanges,
  dotted,
  type Env,
  foldRange,
  listItems,
  skipBalanced,
  valueOf,
} from "./fold.ts";
import { normalise, textOf } from "./normalise.ts";
import { applyReplacements, calls, emptyEnv, MODULES, type Replacement } from "./source.ts";
import { type Tok, tokenize } from "./tokens.ts";
import { codeSink, collector, commandSink, flag } from "./sinks.ts";
import { type Analysis, excerpt, HOLE } from "./types.ts";

const IDENT = /^[A-Za-z_$][\w$]*$/;
const CODE =
  /^(?:eval|Function|AsyncFunction|vm\.runIn(?:New|This)?Context|vm\.Script|vm\.compileFunction|setTimeout|setInterval)$/;
const SHELL_CALLS = /^child_process\.(?:exec|execSync)$/;
const ARGV_CALLS = /^child_process\.(?:spawn|spawnSync|execFile|execFileSync)$/;
/** Objects whose properties reach the system. */
const ROOTS = new Set([...MODULES.javascript, "window", "self", "global", "Reflect", "require"]);

/** `X["a" + "b"]` → `X.ab` (chains too: `globalThis["Deno"]["remove"]`); `Reflect.get(X, "f")` → `X.f`. */
function structural(toks: Tok[], i: number, env: Env, code: string): Replacement | null {
  const t = toks[i];
  if (t.kind !== "name" || toks[i - 1]?.value === "." || toks[i - 1]?.value === "?.") return null;
  const d = dotted(toks, i, env)!;
  if (d.name === "Reflect.get" && toks[d.end]?.value === "(") {
    const { ranges, end } = argRanges(toks, d.end);
    const key = ranges[1] ? foldRange(toks, ranges[1], env) : null;
    if (!key || !IDENT.test(key.value)) return null;
    return {
      from: i,
      to: end,
      text: `${textOf(code, toks, ranges[0][0], ranges[0][1])}.${key.value}`,
    };
  }
  // `f.call(t, a)`, `f.apply(t, [a])`, `Reflect.apply(f, t, [a])`, `f.bind(t)(a)` call f(a).
  const m = d.name === "Reflect.apply" ? null : d.name.match(/^(.*)\.(call|apply|bind)$/);
  if ((m || d.name === "Reflect.apply") && toks[d.end]?.value === "(") {
    const { ranges, end } = argRanges(toks, d.end);
    const src = (r?: [number, number]) => r ? textOf(code, toks, r[0], r[1]) : "";
    const fn = m
      ? textOf(code, toks, i, d.end).replace(/\.(?:call|apply|bind)$/, "")
      : src(ranges[0]);
    const list = m?.[2] === "apply" ? ranges[1] : m ? undefined : ranges[2];
    if (m?.[2] === "bind") return toks[end]?.value === "(" ? { from: i, to: end, text: fn } : null;
    if (m?.[2] === "call") {
      return { from: i, to: end, text: `${fn}(${ranges.slice(1).map(src).join(", ")})` };
    }
    if (list && toks[list[0]]?.value === "[") {
      const inner = textOf(code, toks, list[0] + 1, list[1] - 1);
      return { from: i, to: end, text: `${fn}(${inner})` };
    }
    return null;
  }
  let text = textOf(code, toks, i, d.end);
  let j = d.end;
  let changed = false;
  while (j < toks.length) {
    if (toks[j].value === "[") {
      const { ranges, end } = argRanges(toks, j);
      const key = ranges.length === 1 ? foldRange(toks, ranges[0], env) : null;
      if (!key || !IDENT.test(key.value)) break;
      text += `.${key.value}`;
      j = end;
      changed = true;
    } else if ((toks[j].value === "." || toks[j].value === "?.") && toks[j + 1]?.kind === "name") {
      text += `.${toks[j + 1].value}`;
      j += 2;
    } else break;
  }
  return changed ? { from: i, to: j, text } : null;
}

/**
 * TypeScript casts and wrappers around a name read as the name:
 * `(globalThis as any)` → `globalThis`, `(0, eval)` → `eval`, `Deno!` → `Deno`.
 */
function stripCasts(code: string): string {
  const toks = tokenize(code, "javascript");
  const reps: Replacement[] = [];
  const env = emptyEnv("javascript");
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const prev = toks[i - 1];
    const call = prev && (/^[)\]>]$/.test(prev.value) ||
      prev.kind === "name" && !/^(?:return|typeof|await|in|of|void|new|case)$/.test(prev.value));
    if (t.value === "(" && t.kind === "op" && !call) {
      const end = skipBalanced(toks, i);
      let k = i + 1;
      if (toks[k]?.kind === "num" && toks[k + 1]?.value === ",") k += 2;
      const d = dotted(toks, k, env);
      if (!d) continue;
      if (d.end === end - 1 || toks[d.end]?.value === "as") {
        reps.push({ from: i, to: end, text: textOf(code, toks, k, d.end) });
        i = end - 1;
      }
    } else if (
      t.value === "!" && prev?.end === t.at && (prev.kind === "name" || /^[)\]]$/.test(prev.value))
    ) {
      reps.push({ from: i, to: i + 1, text: "" }); // TypeScript's non-null assertion `x!`
    }
  }
  return reps.length > 0 ? applyReplacements(code, toks, reps) : code;
}

/** Analyses JavaScript or TypeScript code. */
export function analyzeJavaScript(source: string): Analysis {
  const code = stripCasts(source);
  const n = normalise(code, "javascript", structural);
  const { toks, env } = n;
  const c = collector(n.lineAt);
  c.sourceViews.push({ text: n.code, lineAt: n.lineAt });
  c.shellViews.push(...n.decoded);
  const text = (r?: [number, number]) => r ? textOf(n.code, toks, r[0], r[1]) : "";
  // Where child_process is loaded at all, its functions are commands whatever object holds them
  // (`import("node:child_process").then((m) => m.execSync(…))`, `({ spawn }) => spawn(…)`).
  const childProcess = /child_process/.test(n.code);
  const family = (name: string) =>
    SHELL_CALLS.test(name) || ARGV_CALLS.test(name) ||
    (childProcess && /(?:^|\.)(?:execSync|execFile|execFileSync|spawn|spawnSync)$/.test(name));
  const methods = [];
  for (let i = 1; i < toks.length - 2; i++) {
    if (toks[i].value !== "." && toks[i].value !== "?.") continue;
    const name = toks[i + 1];
    if (name.kind !== "name" || toks[i + 2].value !== "(") continue;
    // `(() => {}).constructor("code")`, `[].constructor.constructor(…)`: the Function constructor.
    const fn = name.value === "constructor";
    if (
      !fn &&
      (!childProcess || !/^(?:execSync|execFile|execFileSync|spawn|spawnSync)$/.test(name.value))
    ) {
      continue;
    }
    const { ranges, end } = argRanges(toks, i + 2);
    const called = fn ? "Function" : `child_process.${name.value}`;
    methods.push({ name: called, at: i + 1, open: i + 2, ranges, end });
  }
  for (const call of [...calls(toks, env), ...methods]) {
    const line = n.lineAt(toks[call.at].at);
    const shown = `${call.name}(${call.ranges.map(text).join(", ")})`;
    const [first, second] = call.ranges;
    if (CODE.test(call.name)) {
      if (/^set(?:Timeout|Interval)$/.test(call.name) && toks[first?.[0] ?? -1]?.kind !== "str") {
        continue;
      }
      const body = call.name.endsWith("Function") ? call.ranges[call.ranges.length - 1] : first;
      const all = call.name.endsWith("Function")
        ? call.ranges.every((r) => foldRange(toks, r, env) !== null)
        : true;
      if (body) codeSink(c, line, "javascript", shown, all ? foldRange(toks, body, env) : null);
    } else if (/^(?:require|import|Worker|SharedWorker)$/.test(call.name)) {
      const name = first ? foldRange(toks, first, env) : null;
      const data = name?.value.match(/^data:[^,]*?(;base64)?,(.*)$/s);
      if (data && !name!.value.includes(HOLE)) {
        // `import("data:text/javascript,…")`: the module's code is in the string.
        let body: string | null = data[2];
        try {
          body = data[1] ? null : decodeURIComponent(body);
        } catch { /* kept as written */ }
        if (body === null) {
          flag(
            c,
            line,
            `runs decoded text as code (${excerpt(shown)}), so what it runs cannot be checked`,
          );
        } else c.nested.push({ language: "javascript", code: body, line });
      } else if (
        call.name.endsWith("Worker") && first && /^URL\.createObjectURL/.test(text(first))
      ) {
        flag(
          c,
          line,
          `starts a worker from code built at run time (${
            excerpt(shown)
          }), so what it runs cannot be checked`,
        );
      } else if ((!name || name.value.includes(HOLE)) && !call.name.endsWith("Worker")) {
        flag(
          c,
          line,
          `imports a module whose name is built at run time (${
            excerpt(shown)
          }), so what it loads cannot be checked`,
        );
      }
    } else if (family(call.name) && /(?:^|\.)(?:exec|execSync)$/.test(call.name)) {
      commandSink(c, line, shown, {
        shell: first ? foldRange(toks, first, env)?.value ?? null : null,
      });
    } else if (family(call.name) || /^Deno\.Command$/.test(call.name)) {
      const program = first ? valueOf(toks, first, env) : HOLE;
      let args: string[] = [];
      if (second && toks[second[0]].value === "[") args = listItems(toks, second, env) ?? [HOLE];
      else if (second) args = property(toks, second, "args", env) ?? [];
      commandSink(c, line, shown, { argv: [program, ...args] });
    } else if (/^(?:Deno\.run|Bun\.spawn|Bun\.spawnSync)$/.test(call.name) && first) {
      const argv = toks[first[0]].value === "["
        ? listItems(toks, first, env)
        : property(toks, first, "cmd", env);
      commandSink(c, line, shown, { argv });
    } else if (
      /^Object\.(?:values|entries|keys|getOwnPropertyNames)$/.test(call.name) &&
      ROOTS.has(text(first))
    ) {
      flag(
        c,
        line,
        `lists what ${text(first)} holds to pick from it at run time (${
          excerpt(shown)
        }), so what it uses cannot be checked`,
      );
    }
  }
  // `eval` or a child_process function used as a value (`[eval][0](x)`, `arr.map(cp.exec)`).
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== "name" || toks[i - 1]?.value === "." || toks[i - 1]?.value === "?.") {
      continue;
    }
    const first = i;
    const d = dotted(toks, i, env)!;
    i = d.end - 1;
    const sink = d.name === "eval" ||
      /^Deno\.(?:remove|removeSync|run|Command|dlopen)$/.test(d.name) ||
      (childProcess && family(d.name) && d.name.includes("."));
    // `const e = eval` is an alias (its uses are resolved); `obj.f = Deno.remove` is not.
    const lhs = toks[first - 2];
    const alias = toks[first - 1]?.value === "=" && lhs?.kind === "name" &&
      toks[first - 3]?.value !== ".";
    if (!sink || /^[(=]$/.test(toks[d.end]?.value ?? "") || alias) continue;
    if (/^(?:typeof|instanceof|import|from|as)$/.test(toks[first - 1]?.value ?? "")) continue;
    if (toks[first - 1]?.value === "(" && /promisify$/.test(toks[first - 2]?.value ?? "")) continue;
    if (/^[,}]$/.test(toks[d.end]?.value ?? "") && toks[first - 1]?.value === "{") continue;
    flag(
      c,
      n.lineAt(toks[first].at),
      `passes ${d.name} around as a value, so what it runs cannot be checked`,
    );
  }
  // Computed properties of the system objects: `Deno[x]`, `process[x]`, `cp[x]`.
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== "name" || toks[i - 1]?.value === "." || toks[i - 1]?.value === "?.") {
      continue;
    }
    const d = dotted(toks, i, env)!;
    if (toks[d.end]?.value !== "[" || !ROOTS.has(d.name) && !MODULES.javascript.has(d.name)) {
      continue;
    }
    const { ranges, end } = argRanges(toks, d.end);
    const key = ranges.length === 1 ? foldRange(toks, ranges[0], env) : null;
    if (!key || key.value.includes(HOLE)) {
      const shown = `${d.name}[${textOf(n.code, toks, d.end + 1, end - 1)}]`;
      flag(
        c,
        n.lineAt(toks[i].at),
        `reaches ${d.name} by a property name built at run time (${
          excerpt(shown)
        }), so what it uses cannot be checked`,
      );
    }
  }
  downloadsRun(toks, env, c, n.code);
  return c;
}

/** The list in `{ key: [...] }` (an options object), holes for unknown items; null when absent. */
function property(toks: Tok[], range: [number, number], key: string, env: Env): string[] | null {
  if (toks[range[0]]?.value !== "{") return null;
  const end = skipBalanced(toks, range[0]);
  for (let k = range[0] + 1; k < end; k++) {
    if (toks[k].value === key && toks[k + 1]?.value === ":") {
      const stop = toks[k + 2]?.value === "[" ? skipBalanced(toks, k + 2) : k + 3;
      return listItems(toks, [k + 2, stop], env) ?? [HOLE];
    }
  }
  return null;
}

/**
 * A file the code writes in code that fetches from the network (`Deno.writeTextFile("x.ts", …)`,
 * `fs.writeFileSync("x.sh", …)`) and then runs: imports, requires, starts as a worker or a command.
 */
function downloadsRun(toks: Tok[], env: Env, c: ReturnType<typeof collector>, code: string): void {
  if (!/\b(?:fetch|https?\.get|axios|got|undici)\s*\(|\bDeno\.connect\b/.test(code)) return;
  const written = new Set<string>();
  const runs: { name: string; line: number }[] = [];
  for (const call of calls(toks, env)) {
    const first = call.ranges[0] ? valueOf(toks, call.ranges[0], env) : HOLE;
    const name = first.replace(/^.*\//, "");
    if (
      /(?:^|\.)(?:writeTextFile|writeFile|writeTextFileSync|writeFileSync|createWriteStream)$/.test(
        call.name,
      )
    ) {
      written.add(name);
    } else if (/^(?:import|require|Worker|SharedWorker)$/.test(call.name)) {
      runs.push({ name, line: c.lineAt(toks[call.at].at) });
    }
  }
  for (const n of c.nested) {
    if (n.language === "shell") {
      for (const w of n.code.split(/[\s/'"]+/)) runs.push({ name: w, line: n.line });
    }
  }
  for (const run of runs) {
    if (run.name && !run.name.includes(HOLE) && written.has(run.name)) {
      flag(
        c,
        run.line,
        `runs a file it downloaded (${excerpt(run.name)}) without showing it first`,
      );
    }
  }
}
