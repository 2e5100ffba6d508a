/**
 * Constant folding of string expressions for safe mode, on tokens of Python,
 * JavaScript, Perl or Ruby: literals joined with `+` (`.` in Perl), implicit
 * concatenation, f-strings and template literals, `"".join([...])`,
 * `[...].join("")`, `chr()`, `String.fromCharCode()`, path joins, the home
 * folder as `~`, reversed strings, `atob`/`b64decode` of literals, and
 * variables given one literal value in the whole code. Parts that cannot be
 * known become holes (`HOLE`).
 *
 * @module
 */

import { type Lang, type Tok, tokenize } from "./tokens.ts";
import { HOLE } from "./types.ts";

/** What folding knows: variable values (null: unknown) and names that stand for modules. */
export interface Env {
  lang: Lang;
  values: Map<string, string | null>;
  lists: Map<string, string[]>;
  aliases: Map<string, string>;
}

/** A folded expression: its value, the token after it, and how it was made. */
export interface Folded {
  value: string;
  end: number;
  /** More than one plain literal went into it (it was obfuscated or built). */
  folded: boolean;
  /** It was decoded (base64, reversed, rot13): what it says was hidden. */
  decoded: boolean;
  /** It swallowed calls or subscripts that could not be folded (never rewrite it away). */
  opaque?: boolean;
}

interface Term extends Folded {
  stringy: boolean;
  list?: string[];
}

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** The index after the bracket matching the one at `i`. */
export function skipBalanced(toks: Tok[], i: number): number {
  const open = toks[i]?.value;
  const close = OPEN[open];
  if (!close) return i + 1;
  let depth = 0;
  for (let j = i; j < toks.length; j++) {
    const v = toks[j].kind === "op" ? toks[j].value : "";
    if (v === "(" || v === "[" || v === "{") depth++;
    else if (v === ")" || v === "]" || v === "}") {
      if (--depth === 0) return j + 1;
    }
  }
  return toks.length;
}

/** The top-level comma-separated ranges inside the bracket at `i`, and the index after it. */
export function argRanges(toks: Tok[], i: number): { ranges: [number, number][]; end: number } {
  const end = skipBalanced(toks, i);
  const ranges: [number, number][] = [];
  let start = i + 1;
  for (let j = i + 1; j < end - 1; j++) {
    const v = toks[j].kind === "op" ? toks[j].value : "";
    if (OPEN[v]) j = skipBalanced(toks, j) - 1;
    else if (v === ",") {
      ranges.push([start, j]);
      start = j + 1;
    }
  }
  if (start < end - 1) ranges.push([start, end - 1]);
  return { ranges, end };
}

/** The folded value of the tokens in a range, or null when it is not one string expression. */
export function foldRange(toks: Tok[], range: [number, number], env: Env): Folded | null {
  const f = foldExpr(toks, range[0], env);
  return f && f.end === range[1] ? f : null;
}

/** The value of a range as far as it is known (a hole for what is not). */
export function valueOf(toks: Tok[], range: [number, number], env: Env): string {
  return foldRange(toks, range, env)?.value ?? HOLE;
}

/** A list literal's items (`[a, b]`, `(a, b)`, Perl `(a, b)`), holes for unknown items. */
export function listItems(toks: Tok[], range: [number, number], env: Env): string[] | null {
  const t = toks[range[0]];
  if (t?.kind === "name" && range[1] - range[0] === 1 && env.lists.has(t.value)) {
    return env.lists.get(t.value)!;
  }
  if (!t || (t.value !== "[" && t.value !== "(") || skipBalanced(toks, range[0]) !== range[1]) {
    return null;
  }
  return argRanges(toks, range[0]).ranges.map((r) => valueOf(toks, r, env));
}

/** Folds the string expression starting at token `i`; null when it is not one. */
export function foldExpr(toks: Tok[], i: number, env: Env, depth = 0): Folded | null {
  if (depth > 20) return null;
  const first = term(toks, i, env, depth);
  if (!first) return null;
  let { value, end, folded, decoded, stringy, opaque } = first;
  const concat = env.lang === "perl" ? "." : "+";
  while (toks[end]?.kind === "op") {
    const op = toks[end].value;
    const pathJoin = op === "/" && env.lang === "python" && stringy;
    if (op !== concat && !pathJoin) break;
    const next = term(toks, end + 1, env, depth);
    if (!next) break;
    value += (pathJoin ? "/" : "") + next.value;
    end = next.end;
    folded = true;
    decoded ||= next.decoded;
    stringy ||= next.stringy;
    opaque ||= next.opaque;
  }
  return stringy ? { value, end, folded, decoded, opaque } : null;
}

/** A dotted name (`os.path.join`, Perl `File::Spec`), aliases resolved; and the index after it. */
export function dotted(toks: Tok[], i: number, env: Env): { name: string; end: number } | null {
  if (toks[i]?.kind !== "name") return null;
  const parts = [env.aliases.get(toks[i].value) ?? toks[i].value];
  let j = i + 1;
  while (
    toks[j]?.kind === "op" && [".", "?.", "::"].includes(toks[j].value) &&
    toks[j + 1]?.kind === "name" && !(env.lang === "perl" && toks[j].value === ".")
  ) {
    parts.push(toks[j + 1].value);
    j += 2;
  }
  return { name: parts.join("."), end: j };
}

/** Names that stand for the interpreter running the code, or the working folder. */
const SELF: Record<string, string> = {
  "sys.executable": "python3",
  "process.execPath": "node",
  "Deno.execPath": "deno",
  "$^X": "perl",
  "RbConfig.ruby": "ruby",
  // The script's own folder: the workspace, for what safe mode needs to know.
  __dirname: ".",
  "import.meta.dirname": ".",
  "os.getcwd": ".",
  "process.cwd": ".",
  "Deno.cwd": ".",
};
const HOME_CALLS = new Set([
  "os.path.expanduser",
  "os.homedir",
  "homedir",
  "Path.home",
  "pathlib.Path.home",
  "Deno.env.get",
  "os.getenv",
  "os.environ.get",
  "Dir.home",
  "ENV.fetch",
]);
const JOIN_CALLS = new Set([
  "os.path.join",
  "path.join",
  "path.resolve",
  "path.posix.join",
  "join",
  "resolve",
  "File.join",
  "File.Spec.catfile",
  "File.Spec.catdir",
  "catfile",
]);
const SAME_CALLS = new Set([
  "str",
  "String",
  "Path",
  "pathlib.Path",
  "PurePath",
  "os.path.abspath",
  "os.path.normpath",
  "os.path.realpath",
  "os.fspath",
  "os.path.expandvars",
  "File.expand_path",
]);

/** Whether folding can know anything from an expression that starts with this name. */
export function foldsFrom(name: string, env: Env): boolean {
  return env.values.has(name) || env.lists.has(name) || env.aliases.has(name) || ROOTS.has(name);
}

const ROOTS = new Set([
  ...[...HOME_CALLS, ...JOIN_CALLS, ...SAME_CALLS, ...Object.keys(SELF)].map((n) =>
    n.split(".")[0]
  ),
  "chr",
  "String",
  "atob",
  "Buffer",
  "base64",
  "codecs",
  "bytes",
  "process",
  "ENV",
  "$ENV",
  "Dir",
  "Base64",
  "decode_base64",
]);

function term(toks: Tok[], i: number, env: Env, depth: number): Term | null {
  const t = toks[i];
  if (!t) return null;
  const plain = (value: string, end: number, stringy: boolean, folded = true): Term => ({
    value,
    end,
    folded,
    decoded: false,
    stringy,
  });
  if (t.kind === "str") {
    let value = "";
    let folded = false;
    let opaque = false;
    let j = i;
    do {
      for (const p of toks[j].parts ?? [toks[j].value]) {
        if (typeof p === "string") value += p;
        else {
          const part = foldCode(p.code, env, depth);
          value += part ?? HOLE;
          folded = true;
          if (part === null && /[([]/.test(p.code)) opaque = true;
        }
      }
      j++;
    } while (env.lang === "python" && toks[j]?.kind === "str" && (folded = true));
    return postfix(toks, j, env, { ...plain(value, j, true, folded), opaque });
  }
  if (t.kind === "num") return plain(t.value.replace(/_/g, ""), i + 1, false, false);
  if (t.kind === "op" && t.value === "(") {
    const inner = foldExpr(toks, i + 1, env, depth + 1);
    if (inner && toks[inner.end]?.value === ")") {
      return postfix(
        toks,
        inner.end + 1,
        env,
        { ...inner, end: inner.end + 1, stringy: true },
      );
    }
    const end = skipBalanced(toks, i);
    return postfix(toks, end, env, { ...plain(HOLE, end, false), opaque: true });
  }
  if (t.kind === "op" && t.value === "[") {
    const { ranges, end } = argRanges(toks, i);
    const list = ranges.map((r) => valueOf(toks, r, env));
    return postfix(toks, end, env, { ...plain(HOLE, end, false), list });
  }
  if (t.kind !== "name") return null;
  const name = dotted(toks, i, env)!;
  const j = name.end;
  const subscript = toks[j]?.value === "[" || toks[j]?.value === "{";
  if (
    /^(?:process\.env|ENV|\$ENV|os\.environ)$/.test(name.name) && subscript &&
    toks[j + 1]?.value === "HOME"
  ) {
    const end = skipBalanced(toks, j);
    return postfix(toks, end, env, plain("~", end, true));
  }
  if (/^(?:process\.env\.HOME|Dir\.home)$/.test(name.name) && toks[j]?.value !== "(") {
    return postfix(toks, j, env, plain("~", j, true));
  }
  // The running interpreter itself (`[sys.executable, "-m", "pip", …]`).
  const self = SELF[name.name];
  const call = /^(?:Deno\.execPath|os\.getcwd|process\.cwd|Deno\.cwd)$/.test(name.name);
  if (self && !(call && toks[j]?.value !== "(")) {
    const end = toks[j]?.value === "(" ? skipBalanced(toks, j) : j;
    return postfix(toks, end, env, plain(self, end, true));
  }
  if (toks[j]?.value === "(") {
    const { ranges, end } = argRanges(toks, j);
    const args = ranges.map((r) => foldRange(toks, r, env));
    const values = args.map((a, k) => a?.value ?? numberAt(toks, ranges[k]) ?? HOLE);
    const fn = name.name.replace(/^(?:globalThis|window|self)\./, "");
    let result: Term | null = null;
    if (HOME_CALLS.has(fn) && (values.length === 0 || /^(?:~|HOME|USERPROFILE)$/.test(values[0]))) {
      result = plain("~", end, true);
    } else if (fn === "os.path.expanduser" && values.length === 1) {
      result = plain(values[0], end, true);
    } else if (JOIN_CALLS.has(fn) && values.length > 0) {
      result = plain(values.join("/").replace(/\/+/g, "/"), end, true);
    } else if (SAME_CALLS.has(fn) && values.length === 1) {
      result = plain(values[0], end, true);
    } else if ((fn === "chr" || fn === "String.fromCharCode") && values.length > 0) {
      const chars = values.map((v) =>
        /^\d+$|^0x[0-9a-f]+$/i.test(v) ? String.fromCharCode(Number(v)) : HOLE
      );
      result = { ...plain(chars.join(""), end, true), decoded: true };
    } else if (
      /^(?:atob|base64\.b64decode|base64\.standard_b64decode|base64\.decodebytes|Base64\.decode64|decode_base64)$/
        .test(fn) && values.length >= 1
    ) {
      result = { ...plain(base64(values[0]), end, true), decoded: true };
    } else if (fn === "Buffer.from" && values.length === 2 && values[1] === "base64") {
      result = { ...plain(base64(values[0]), end, true), decoded: true };
    } else if (fn === "bytes.fromhex" && values.length === 1) {
      const hex = values[0].replace(/\s/g, "");
      const ok = /^(?:[0-9a-f]{2})*$/i.test(hex);
      result = {
        ...plain(
          ok ? hex.replace(/../g, (h) => String.fromCharCode(parseInt(h, 16))) : HOLE,
          end,
          true,
        ),
        decoded: true,
      };
    } else if (
      /^codecs\.(?:de|en)code$/.test(fn) && values.length === 2 && /^rot.?13$/i.test(values[1])
    ) {
      result = { ...plain(rot13(values[0]), end, true), decoded: true };
    }
    if (result) return postfix(toks, end, env, result);
    return postfix(toks, end, env, { ...plain(HOLE, end, false), opaque: true });
  }
  if (!name.name.includes(".") && env.values.has(name.name)) {
    const v = env.values.get(name.name);
    return postfix(toks, j, env, plain(v ?? HOLE, j, v !== null && v !== undefined));
  }
  if (!name.name.includes(".") && env.lists.has(name.name)) {
    return postfix(
      toks,
      j,
      env,
      { ...plain(HOLE, j, false), list: env.lists.get(name.name) },
    );
  }
  return postfix(toks, j, env, plain(HOLE, j, false));
}

function numberAt(toks: Tok[], range: [number, number]): string | undefined {
  return range[1] - range[0] === 1 && toks[range[0]].kind === "num"
    ? toks[range[0]].value
    : undefined;
}

/** Method calls and subscripts after a value: known string methods fold, others give a hole. */
function postfix(toks: Tok[], j: number, env: Env, t: Term): Term {
  let cur = t;
  while (j < toks.length) {
    const v = toks[j];
    if (v.kind === "op" && v.value === "[") {
      const end = skipBalanced(toks, j);
      const reverse = toks.slice(j + 1, end - 1).map((x) => x.value).join("") === "::-1";
      if (reverse && cur.stringy) {
        cur = {
          ...cur,
          value: [...cur.value].reverse().join(""),
          end,
          decoded: true,
          folded: true,
        };
      } else cur = { ...cur, value: HOLE, end, stringy: false, list: undefined, opaque: true };
      j = end;
      continue;
    }
    const method =
      v.kind === "op" && (v.value === "." || v.value === "?.") && toks[j + 1]?.kind === "name"
        ? toks[j + 1].value
        : null;
    if (!method || env.lang === "perl") break;
    let end = j + 2;
    let args: string[] = [];
    if (toks[end]?.value === "(") {
      const r = argRanges(toks, end);
      args = r.ranges.map((x) => valueOf(toks, x, env));
      end = r.end;
    }
    const s = cur.value;
    const known = cur.stringy && !s.includes(HOLE);
    let next: Term = {
      ...cur,
      value: HOLE,
      end,
      stringy: cur.stringy,
      list: undefined,
      folded: true,
      opaque: true,
    };
    if (cur.list && method === "join") {
      next = { ...next, value: cur.list.join(args[0] ?? ","), stringy: true };
    } else if (cur.list && method === "reverse") {
      next = { ...next, list: [...cur.list].reverse(), stringy: false, decoded: true };
    } else if (cur.stringy && method === "join" && args.length === 1) {
      const items = listFromArg(toks, j + 2, env);
      next = { ...next, value: items ? items.join(s) : HOLE, stringy: true };
    } else if (known && method === "split" && args.length <= 1) {
      next = { ...next, list: args[0] === "" ? [...s] : s.split(args[0] ?? /\s+/), stringy: false };
    } else if (
      /^(?:decode|encode|toString|to_s|strip|trim|lstrip|rstrip|trimStart|trimEnd)$/.test(method)
    ) {
      next = { ...next, value: /^(?:decode|encode|toString|to_s)$/.test(method) ? s : s.trim() };
    } else if (/^(?:lower|toLowerCase|downcase)$/.test(method)) {
      next = { ...next, value: s.toLowerCase() };
    } else if (/^(?:upper|toUpperCase|upcase)$/.test(method)) {
      next = { ...next, value: s.toUpperCase() };
    } else if (
      /^(?:replace|replaceAll|gsub)$/.test(method) && args.length === 2 && !args[0].includes(HOLE)
    ) {
      next = { ...next, value: s.split(args[0]).join(args[1]) };
    } else if (method === "concat" && cur.stringy) next = { ...next, value: s + args.join("") };
    else if (method === "reverse" && cur.stringy) {
      next = { ...next, value: [...s].reverse().join(""), decoded: true };
    } else if (method === "format" && cur.stringy) {
      let k = 0;
      next = {
        ...next,
        value: s.replace(/\{(\d*)\}/g, (_m, n: string) => args[n === "" ? k++ : Number(n)] ?? HOLE),
      };
    } else if (cur.stringy && /^(?:b64decode|decode64)$/.test(method)) {
      next = { ...next, value: base64(s), decoded: true };
    }
    if (next.value !== HOLE || next.list) next.opaque = cur.opaque;
    cur = next;
    j = end;
  }
  return cur;
}

function listFromArg(toks: Tok[], open: number, env: Env): string[] | null {
  const { ranges } = argRanges(toks, open);
  if (ranges.length !== 1) return null;
  const inner = ranges[0];
  const t = toks[inner[0]];
  if (t?.value === "[" || t?.value === "(") return listItems(toks, inner, env);
  if (t?.kind === "name" && env.lists.has(t.value)) return env.lists.get(t.value)!;
  const f = foldRange(toks, inner, env);
  return f ? [...f.value] : null;
}

function foldCode(code: string, env: Env, depth: number): string | null {
  const toks = tokenize(code, env.lang);
  const f = foldExpr(toks, 0, env, depth + 1);
  return f && f.end === toks.length ? f.value : null;
}

function base64(text: string): string {
  try {
    return new TextDecoder().decode(
      Uint8Array.from(atob(text.replace(/\s/g, "")), (c) => c.charCodeAt(0)),
    );
  } catch {
    return HOLE;
  }
}

function rot13(text: string): string {
  return text.replace(/[a-z]/gi, (c) => {
    const base = c <= "Z" ? 65 : 97;
    return String.fromCharCode((c.charCodeAt(0) - base + 13) % 26 + base);
  });
}
