/**
 * A small tokenizer for Python, JavaScript/TypeScript, Perl and Ruby, enough
 * for safe mode: names, numbers, operators, and strings with their escapes
 * decoded. Interpolated strings (f-strings, template literals, `"…$x"`,
 * `"…#{x}"`) keep their expressions as code for the folder to evaluate.
 *
 * @module
 */

import { decodeEscapes } from "./shell_lex.ts";
import { HOLE } from "./types.ts";

/** The languages the tokenizer knows. */
export type Lang = "python" | "javascript" | "perl" | "ruby";

/** A piece of an interpolated string: text, or the code of an expression. */
export type StringPart = string | { code: string };

/** A token. `str` holds the decoded value; `cmd` is a command string (backticks in Perl/Ruby). */
export interface Tok {
  kind: "str" | "cmd" | "name" | "num" | "op";
  value: string;
  at: number;
  end: number;
  /** For interpolated strings: their parts. */
  parts?: StringPart[];
}

const PERL_VAR = /[$@](?:\{\w+\}|\w+(?:->)?(?:\[[^\]]*\]|\{[^}]*\})*)/y;
const SYMBOL = /\w+[?!]?/y;
const PERL_QUOTE = /(qx|qq|qw|q)\s*([^\w\s])/y;
const RUBY_QUOTE = /%([xqQwWi]?)([^\w\s=])/y;
const WORD = /[$@%]?[A-Za-z_\u00C0-\uFFFF][\w\u00C0-\uFFFF]*/uy;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)n?/y;

/** A sticky regular expression matched at an index (no copy of the rest of the text). */
function at(re: RegExp, text: string, index: number): RegExpExecArray | null {
  re.lastIndex = index;
  return re.exec(text);
}

const OP_START = new Set(["*", "/", "=", "!", "<", ">", "?", ".", ":", "-", "+"]);
const PY_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;
const OPS = ["**", "//", "=>", "==", "!=", "<=", ">=", "?.", "...", "::", "->", "+=", "=~"];

function decodeJs(text: string): string {
  return text.replace(
    /\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|0(?![0-9])|(\r?\n)|(.))/gs,
    (_m, cp: string, u4: string, x2: string, nl: string, other: string) => {
      if (cp || u4 || x2) {
        try {
          return String.fromCodePoint(parseInt(cp ?? u4 ?? x2, 16));
        } catch {
          return HOLE;
        }
      }
      if (nl) return "";
      if (other === undefined) return "\0";
      return ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v" } as Record<string, string>)[
        other
      ] ?? other;
    },
  );
}

/** The index after the bracket closing the one at `i - 1`, skipping strings. */
function closing(src: string, i: number, open: string, close: string): number {
  let depth = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") i += 2;
    else if (c === '"' || c === "'" || c === "`") {
      const q = c;
      i++;
      while (i < src.length && src[i] !== q) i += src[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === open) depth++, i++;
    else if (c === close) {
      if (--depth === 0) return i + 1;
      i++;
    } else i++;
  }
  return src.length;
}

/** Splits interpolated text into literal parts and expression code. */
function interpolate(raw: string, lang: Lang, decode: (s: string) => string): StringPart[] {
  const parts: StringPart[] = [];
  let text = "";
  let i = 0;
  const flush = () => {
    if (text) parts.push(decode(text));
    text = "";
  };
  while (i < raw.length) {
    const c = raw[i];
    if (c === "\\" && lang !== "python") {
      text += raw.slice(i, i + 2);
      i += 2;
    } else if (lang === "python" && (raw.startsWith("{{", i) || raw.startsWith("}}", i))) {
      text += c;
      i += 2;
    } else if (
      (lang === "python" && c === "{") || (lang === "javascript" && raw.startsWith("${", i)) ||
      (lang === "ruby" && raw.startsWith("#{", i))
    ) {
      flush();
      const start = i + (c === "{" ? 1 : 2);
      const end = closing(raw, start, "{", "}");
      let code = raw.slice(start, end - 1);
      if (lang === "python") code = code.replace(/(?:![rsa])?(?::[^'"{}]*)?=?$/, "");
      parts.push({ code });
      i = end;
    } else if (lang === "perl" && (c === "$" || c === "@") && /[A-Za-z_{]/.test(raw[i + 1] ?? "")) {
      flush();
      const m = at(PERL_VAR, raw, i);
      if (!m) {
        text += c;
        i++;
        continue;
      }
      parts.push({ code: m[0].replace(/^([$@])\{(\w+)\}$/, "$1$2") });
      i += m[0].length;
    } else {
      text += c;
      i++;
    }
  }
  flush();
  return parts;
}

/** Tokenizes source code of a language. Never throws; unknown characters become operators. */
export function tokenize(src: string, lang: Lang): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const push = (t: Tok) => toks.push(t);
  const lastSignificant = () => toks[toks.length - 1];
  while (i < src.length) {
    const c = src[i];
    const code = src.charCodeAt(i);
    if (code === 32 || code === 10 || code === 9 || code === 13 || (code > 127 && /\s/.test(c))) {
      i++;
      continue;
    }
    if (
      (c === "#" && lang !== "javascript") || (lang === "javascript" && src.startsWith("//", i))
    ) {
      const nl = src.indexOf("\n", i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    if (lang === "javascript" && src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    if (lang === "ruby" && c === ":" && /[A-Za-z_]/.test(src[i + 1] ?? "") && src[i - 1] !== ":") {
      const m = at(SYMBOL, src, i + 1)!;
      push({ kind: "str", value: m[0], at: i, end: i + 1 + m[0].length });
      i += 1 + m[0].length;
      continue;
    }
    // Perl qx{…} q{…} qq{…} qw{…}, Ruby %x{…} %q{…} %Q{…} %w{…}.
    const quoteLike = lang === "perl"
      ? at(PERL_QUOTE, src, i)
      : lang === "ruby"
      ? at(RUBY_QUOTE, src, i)
      : null;
    if (quoteLike && !(lang === "perl" && /\w/.test(src[i - 1] ?? ""))) {
      const open = quoteLike[2];
      const close = ({ "(": ")", "[": "]", "{": "}", "<": ">" } as Record<string, string>)[open] ??
        open;
      const start = i + quoteLike[0].length;
      const end = close === open
        ? src.indexOf(close, start) + 1 || src.length
        : closing(src, start, open, close);
      const body = src.slice(start, end - 1);
      const kind = quoteLike[1] === "x" || quoteLike[1] === "qx" ? "cmd" : "str";
      const literal = quoteLike[1] === "q" || /^[wWi]$|^qw$/.test(quoteLike[1]);
      const parts = literal ? [body] : interpolate(body, lang, (s) => decodeEscapes(s));
      push({ kind, value: joinParts(parts), at: i, end, parts });
      i = end;
      continue;
    }
    const word = /[A-Za-z_$@%]/.test(c) || code > 127 ? at(WORD, src, i) : null;
    if (
      word && !(word[0][0] === "%" && lang !== "perl") &&
      !(/[$@]/.test(word[0][0]) && lang === "python")
    ) {
      const next = src[i + word[0].length];
      if (lang === "python" && PY_PREFIX.test(word[0]) && (next === "'" || next === '"')) {
        i = pythonString(src, i + word[0].length, word[0].toLowerCase(), toks, i);
        continue;
      }
      push({ kind: "name", value: word[0], at: i, end: i + word[0].length });
      i += word[0].length;
      continue;
    }
    const num = code >= 48 && code <= 57 ? at(NUMBER, src, i) : null;
    if (num) {
      push({ kind: "num", value: num[0], at: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      if (lang === "python") {
        i = pythonString(src, i, "", toks, i);
        continue;
      }
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      const body = src.slice(i + 1, j);
      const end = Math.min(j + 1, src.length);
      let parts: StringPart[];
      if (lang === "javascript") {
        parts = c === "`" ? interpolate(body, lang, decodeJs) : [decodeJs(body)];
      } else if (c === "'") parts = [body.replace(/\\(['\\])/g, "$1")];
      else parts = interpolate(body, lang, (s) => decodeEscapes(s));
      const kind = c === "`" && lang !== "javascript" ? "cmd" : "str";
      push({ kind, value: joinParts(parts), at: i, end, parts });
      i = end;
      continue;
    }
    if (c === "/" && lang !== "python") {
      const prev = lastSignificant();
      const regex = !prev || (prev.kind === "op" && !/^[)\]}]$/.test(prev.value)) ||
        (prev.kind === "name" &&
          /^(?:return|typeof|case|in|of|and|or|not|if|unless|split|grep)$/.test(prev.value));
      if (regex) {
        let j = i + 1;
        let inClass = false;
        while (j < src.length && src[j] !== "\n" && (inClass || src[j] !== "/")) {
          if (src[j] === "\\") j++;
          else if (src[j] === "[") inClass = true;
          else if (src[j] === "]") inClass = false;
          j++;
        }
        j++;
        while (/[a-z]/i.test(src[j] ?? "")) j++;
        push({ kind: "op", value: "/re/", at: i, end: j });
        i = j;
        continue;
      }
    }
    const op = (OP_START.has(c) && OPS.find((o) => src.startsWith(o, i))) || c;
    push({ kind: "op", value: op, at: i, end: i + op.length });
    i += op.length;
  }
  return toks;
}

/** The value of string parts, expressions as holes. */
function joinParts(parts: StringPart[]): string {
  return parts.map((p) => typeof p === "string" ? p : HOLE).join("");
}

function pythonString(src: string, q: number, prefix: string, toks: Tok[], at: number): number {
  const quote = src.startsWith(src[q].repeat(3), q) ? src[q].repeat(3) : src[q];
  let j = q + quote.length;
  while (j < src.length && !src.startsWith(quote, j)) {
    if (src[j] === "\\") j++;
    else if (quote.length === 1 && src[j] === "\n") break;
    j++;
  }
  const body = src.slice(q + quote.length, j);
  const end = Math.min(j + quote.length, src.length);
  const raw = prefix.includes("r");
  const decode = (s: string) => raw ? s : decodeEscapes(s.replace(/\\\n/g, ""));
  const parts = prefix.includes("f") ? interpolate(body, "python", decode) : [decode(body)];
  toks.push({ kind: "str", value: joinParts(parts), at, end, parts });
  return end;
}
