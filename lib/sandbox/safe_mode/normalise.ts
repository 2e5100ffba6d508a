/**
 * The normalisation every source language goes through: values collected,
 * strings folded and names resolved (pass 1, with the language's own
 * structural rewrites), then aliases replaced by what they stand for (pass 2).
 * The result keeps the code's lines, so findings keep their line numbers.
 *
 * @module
 */

import { type Env, foldExpr, foldsFrom } from "./fold.ts";
import {
  applyReplacements,
  collectAliases,
  collectValues,
  emptyEnv,
  literal,
  type Replacement,
  requireAt,
} from "./source.ts";
import { type Lang, type Tok, tokenize } from "./tokens.ts";
import { lineFinder, type TextView } from "./types.ts";

/** A language's own rewrite at a token (`getattr(os, "system")` → `os.system`), or null. */
export type Structural = (toks: Tok[], i: number, env: Env, code: string) => Replacement | null;

/** Normalised code, its tokens, what folding knows, and decoded strings found on the way. */
export interface Normalised {
  code: string;
  toks: Tok[];
  env: Env;
  lineAt: (index: number) => number;
  decoded: TextView[];
}

/** The source text of tokens `[from, to)`. */
export function textOf(code: string, toks: Tok[], from: number, to: number): string {
  if (to <= from || !toks[from]) return "";
  return code.slice(toks[from].at, toks[Math.min(to, toks.length) - 1].end);
}

/** Normalises code of a language. */
export function normalise(code: string, lang: Lang, structural: Structural): Normalised {
  const env = emptyEnv(lang);
  let toks = tokenize(code, lang);
  collectValues(code, toks, env);
  const lineAt = lineFinder(code);
  const decoded: TextView[] = [];
  // Rewrites open the way for more (`getattr(getattr(__builtins__, "__imp" + "ort__")("os"), …)`):
  // repeat until nothing changes, a few rounds at most.
  for (let round = 0; round < 4; round++) {
    // Aliases are known before rewriting, so `g = getattr; g(os, "sys" + "tem")` resolves at once.
    collectAliases(code, toks, env);
    const reps = foldAndResolve(code, toks, env, structural, (text, at) => {
      if (round > 0 || decoded.some((d) => d.text === text)) return;
      const line = lineAt(at);
      decoded.push({ text, lineAt: () => line });
    });
    let next = reps.length > 0 ? applyReplacements(code, toks, reps) : code;
    let nextToks = reps.length > 0 ? tokenize(next, lang) : toks;
    if (reps.length > 0) collectAliases(next, nextToks, env); // `s = os.system` made by a rewrite
    const reps2 = resolveAliases(nextToks, env);
    if (reps2.length > 0) {
      next = applyReplacements(next, nextToks, reps2);
      nextToks = tokenize(next, lang);
    }
    code = next;
    toks = nextToks;
    // Only a rewrite can open the way for another (aliases were already known to this round).
    if (reps.length === 0) break;
  }
  return { code, toks, env, lineAt: lineFinder(code), decoded };
}

/** Pass 1: folded strings become literals, structural rewrites apply. */
function foldAndResolve(
  code: string,
  toks: Tok[],
  env: Env,
  structural: Structural,
  onDecoded: (text: string, at: number) => void,
): Replacement[] {
  const reps: Replacement[] = [];
  for (let i = 0; i < toks.length; i++) {
    const s = structural(toks, i, env, code);
    if (s) {
      reps.push(s);
      i = s.to - 1;
      continue;
    }
    const t = toks[i];
    if (
      t.kind !== "str" &&
      (t.kind !== "name" || toks[i - 1]?.value === "." || toks[i - 1]?.value === "?." ||
        !foldsFrom(t.value, env))
    ) continue;
    const f = foldExpr(toks, i, env);
    if (!f || !f.folded) continue;
    if (f.decoded) onDecoded(f.value, t.at);
    else if (!f.opaque) {
      reps.push({ from: i, to: f.end, text: literal(f.value, env.lang) });
      i = f.end - 1;
    }
  }
  return reps;
}

/** Pass 2: names that stand for modules or functions are replaced by them. */
function resolveAliases(toks: Tok[], env: Env): Replacement[] {
  const reps: Replacement[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== "name" || toks[i - 1]?.value === "." || toks[i - 1]?.value === "?.") continue;
    const req = env.lang === "javascript" ? requireAt(toks, i) : null;
    if (req) {
      reps.push({ from: i, to: req.end, text: req.module });
      i = req.end - 1;
    } else if (
      env.lang === "javascript" && /^(?:globalThis|window|self|global)$/.test(t.value) &&
      toks[i + 1]?.value === "."
    ) {
      reps.push({ from: i, to: i + 2, text: "" });
      i++;
    } else if (
      env.aliases.has(t.value) && toks[i + 1]?.value !== "=" &&
      // not a destructuring or object-shorthand name (`const { execSync } = …`)
      !(/^[{,]$/.test(toks[i - 1]?.value ?? "") && /^[,}:]$/.test(toks[i + 1]?.value ?? ""))
    ) {
      reps.push({ from: i, to: i + 1, text: env.aliases.get(t.value)! });
    }
  }
  return reps;
}
