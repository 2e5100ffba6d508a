/**
 * The normalisation every source language goes through: values collected,
 * strings folded and names resolved (pass 1, with the language's own
 * structural rewrites), then aliases replaced by what they stand for (pass 2).
 * The result keeps the code's lines, so findings keep their line numbers.
 *
 * @module
 */

import { type Env, foldExpr } from "./fold.ts";
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
  const toks0 = tokenize(code, lang);
  collectValues(code, toks0, env);
  const lineAt = lineFinder(code);
  const decoded: TextView[] = [];
  const reps: Replacement[] = [];
  for (let i = 0; i < toks0.length; i++) {
    const s = structural(toks0, i, env, code);
    if (s) {
      reps.push(s);
      i = s.to - 1;
      continue;
    }
    const t = toks0[i];
    if (
      t.kind !== "str" &&
      (t.kind !== "name" || toks0[i - 1]?.value === "." || toks0[i - 1]?.value === "?.")
    ) continue;
    const f = foldExpr(toks0, i, env);
    if (!f || !f.folded) continue;
    if (f.decoded) {
      const line = lineAt(t.at);
      decoded.push({ text: f.value, lineAt: () => line });
    } else if (!f.opaque) {
      reps.push({ from: i, to: f.end, text: literal(f.value, lang) });
      i = f.end - 1;
    }
  }
  const code1 = applyReplacements(code, toks0, reps);
  const toks1 = tokenize(code1, lang);
  collectAliases(code1, toks1, env);
  const reps2: Replacement[] = [];
  for (let i = 0; i < toks1.length; i++) {
    const t = toks1[i];
    if (t.kind !== "name" || toks1[i - 1]?.value === "." || toks1[i - 1]?.value === "?.") continue;
    const req = lang === "javascript" ? requireAt(toks1, i) : null;
    if (req) {
      reps2.push({ from: i, to: req.end, text: req.module });
      i = req.end - 1;
    } else if (
      lang === "javascript" && /^(?:globalThis|window|self|global)$/.test(t.value) &&
      toks1[i + 1]?.value === "."
    ) {
      reps2.push({ from: i, to: i + 2, text: "" });
      i++;
    } else if (env.aliases.has(t.value) && toks1[i + 1]?.value !== "=") {
      reps2.push({ from: i, to: i + 1, text: env.aliases.get(t.value)! });
    }
  }
  const code2 = applyReplacements(code1, toks1, reps2);
  return { code: code2, toks: tokenize(code2, lang), env, lineAt: lineFinder(code2), decoded };
}
