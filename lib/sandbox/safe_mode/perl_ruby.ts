/**
 * Safe mode's Perl and Ruby analysis, on tokens: commands given to `system`,
 * `exec`, backticks, `qx{}`/`%x{}`, `readpipe`, piped `open`, `spawn`,
 * `IO.popen` and `Open3` are scanned as shell; code given to string `eval`
 * is scanned in its language; commands, code or method names (`send`,
 * `const_get`) built at run time are flagged.
 *
 * @module
 */

import { argRanges, dotted, type Env, foldExpr, foldRange, listItems, valueOf } from "./fold.ts";
import { normalise, textOf } from "./normalise.ts";
import type { Replacement } from "./source.ts";
import type { Tok } from "./tokens.ts";
import { codeSink, collector, commandSink, flag, stdinInterpreter, stdinSink } from "./sinks.ts";
import { type Analysis, excerpt, HOLE } from "./types.ts";

const COMMANDS =
  /^(?:(?:CORE\.(?:GLOBAL\.)?|Kernel\.|Process\.)?(?:system|exec|spawn|readpipe)|IO\.popen|Open3\.\w+|PTY\.spawn)$/;
const EVALS = /^(?:(?:Kernel\.|CORE\.)?eval|instance_eval|class_eval|module_eval|instance_exec)$/;
const STOP = /^(?:;|or|and|if|unless|\|\||&&|\}|do)$/;

/** Ruby `send(:system, …)` → `system(…)`. */
function structural(toks: Tok[], i: number, env: Env): Replacement | null {
  if (env.lang !== "ruby" || toks[i].kind !== "name" || toks[i - 1]?.value === ".") return null;
  const d = dotted(toks, i, env)!;
  // `method(:system).call(x)` → `system(x)`
  if (/(?:^|\.)method$/.test(d.name) && toks[d.end]?.value === "(") {
    const { ranges, end } = argRanges(toks, d.end);
    const name = ranges.length === 1 ? foldRange(toks, ranges[0], env) : null;
    if (
      name && /^\w+[?!]?$/.test(name.value) && toks[end]?.value === "." &&
      toks[end + 1]?.value === "call"
    ) {
      return { from: i, to: end + 2, text: name.value };
    }
  }
  const m = d.name.match(/^(.*?)(?:\.)?(?:send|public_send|__send__)$/);
  if (!m || toks[d.end]?.value !== "(") return null;
  const { ranges, end } = argRanges(toks, d.end);
  const name = ranges[0] ? foldRange(toks, ranges[0], env) : null;
  if (!name || !/^\w+[?!]?$/.test(name.value)) return null;
  const prefix = m[1] ? `${m[1]}.` : "";
  if (ranges.length === 1) return { from: i, to: end, text: `${prefix}${name.value}()` };
  return { from: i, to: ranges[1][0], text: `${prefix}${name.value}(` };
}

/** The arguments of a call with or without parentheses (`system "ls"`, `system("ls")`). */
function argumentsAt(code: string, toks: Tok[], at: number): [number, number][] {
  if (toks[at]?.value === "(") return argRanges(toks, at).ranges;
  const ranges: [number, number][] = [];
  let start = at;
  let k = at;
  const line = toks[at - 1];
  for (; k < toks.length; k++) {
    const v = toks[k].value;
    if (toks[k].kind === "op" && STOP.test(v) || toks[k].kind === "name" && STOP.test(v)) break;
    if (
      line && code.slice(line.end, toks[k].at).includes("\n") &&
      !/[,(]$/.test(toks[k - 1]?.value ?? "")
    ) break;
    if (v === "(" || v === "[" || v === "{") k = argRanges(toks, k).end - 1;
    else if (v === ",") {
      ranges.push([start, k]);
      start = k + 1;
    }
  }
  if (k > start) ranges.push([start, k]);
  return ranges;
}

/** Analyses Perl or Ruby code. */
export function analyzePerlRuby(code: string, language: "perl" | "ruby"): Analysis {
  const n = normalise(code, language, structural);
  const { toks, env } = n;
  const c = collector(n.lineAt);
  c.sourceViews.push({ text: n.code, lineAt: n.lineAt });
  c.shellViews.push(...n.decoded);
  const text = (r: [number, number]) => textOf(n.code, toks, r[0], r[1]);
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const line = n.lineAt(t.at);
    if (t.kind === "cmd") {
      const f = foldExpr(toks, i, env);
      commandSink(c, line, n.code.slice(t.at, t.end), { shell: f?.value ?? t.value });
      continue;
    }
    if (t.kind !== "name" || /^(?:\.|->|::)$/.test(toks[i - 1]?.value ?? "")) continue;
    const d = dotted(toks, i, env)!;
    const args = argumentsAt(n.code, toks, d.end);
    const shown = `${d.name} ${args.map(text).join(", ")}`;
    if (COMMANDS.test(d.name) || d.name === "open") {
      let ranges = args;
      // Ruby: an environment hash first (`system({"A" => "1"}, "ls")`); Perl: open's handle and mode.
      if (toks[ranges[0]?.[0]]?.value === "{") ranges = ranges.slice(1);
      if (d.name === "open") {
        const mode = ranges[1] ? valueOf(toks, ranges[1], env) : "";
        if (/^\s*\||\|\s*$/.test(mode) && ranges.length === 2) {
          commandSink(c, line, shown, { shell: mode.replace(/^\s*\||\|\s*$/g, "") });
        } else if (/^[|-]\|?-?$/.test(mode.trim()) && mode.includes("|") && ranges.length > 2) {
          const rest = ranges.slice(2).map((r) => valueOf(toks, r, env));
          commandSink(c, line, shown, rest.length === 1 ? { shell: rest[0] } : { argv: rest });
        }
        // Writing to a bare shell (`open(F, "|-", "sh")`, `open(F, "| bash")`): what is printed to it runs.
        const target = ranges.length === 2
          ? mode.replace(/^\s*\||\|\s*$/g, "").trim().split(/\s+/)
          : ranges.slice(2).map((r) => valueOf(toks, r, env));
        const writes = mode.trim().startsWith("|") || mode.trim() === "|-";
        const lang = writes
          ? stdinInterpreter(target.length === 1 ? target[0].split(/\s+/) : target)
          : null;
        if (lang) stdinSink(c, line, shown, lang, null);
        continue;
      }
      if (ranges.length === 0) continue;
      const list = ranges.length === 1 ? listItems(toks, ranges[0], env) : null;
      if (list) commandSink(c, line, shown, { argv: list });
      else if (ranges.length === 1) {
        commandSink(c, line, shown, { shell: foldRange(toks, ranges[0], env)?.value ?? null });
      } else commandSink(c, line, shown, { argv: ranges.map((r) => valueOf(toks, r, env)) });
    } else if (EVALS.test(d.name)) {
      if (toks[d.end]?.value === "{" || toks[d.end]?.value === "do" || args.length === 0) continue;
      if (/^(?:instance|class|module)_e/.test(d.name) && toks[args[0][0]]?.kind !== "str") {
        if (toks[args[0][0]]?.value === "{") continue;
      }
      codeSink(c, line, language, shown, foldRange(toks, args[0], env));
    } else if (/(?:^|\.)(?:send|public_send|__send__|const_get|method)$/.test(d.name) && args[0]) {
      const name = foldRange(toks, args[0], env);
      if (!name || name.value.includes(HOLE)) {
        flag(
          c,
          line,
          `calls a method whose name is built at run time (${
            excerpt(shown)
          }), so what it calls cannot be checked`,
        );
      }
    }
  }
  // Perl: a function named by a string (`&{"CORE::sys" . "tem"}(…)`, `*{"main::f"}`, `->can($x)`).
  const symbolic = n.code.search(/[&*]\s*\{\s*["'$]|->\s*can\s*\(\s*\$/);
  if (language === "perl" && symbolic >= 0) {
    flag(
      c,
      n.lineAt(symbolic),
      "calls a function by a name built at run time, so what it calls cannot be checked",
    );
  }
  return c;
}
