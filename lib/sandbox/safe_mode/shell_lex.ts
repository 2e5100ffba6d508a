/**
 * A shell lexer for safe mode: words split into their parts (literal text,
 * variables, command and process substitutions, parts that cannot be known),
 * quotes and escapes resolved (`$'\x72\x6d'` decodes to `rm`), operators,
 * redirections and here-documents (their bodies read, not lexed as commands).
 *
 * @module
 */

import { HOLE } from "./types.ts";

/** A piece of a shell word. */
export type Part =
  | { kind: "lit"; text: string }
  | { kind: "var"; name: string; raw: string; quoted: boolean }
  | { kind: "sub"; code: string; raw: string; quoted: boolean }
  | { kind: "proc"; code: string; raw: string }
  | { kind: "hole"; raw: string; indirect?: boolean; subs?: string[] };

/** A word: its parts and the text as written. */
export interface Word {
  type: "word";
  parts: Part[];
  raw: string;
  at: number;
  end: number;
}

/** An operator: `;`, `&&`, `||`, `|`, `|&`, `&`, newline, `(`, `)`, `;;`… */
export interface Op {
  type: "op";
  op: string;
  at: number;
  end: number;
}

/** A here-document: its body as written and whether its delimiter was quoted (no expansion). */
export interface Heredoc {
  body: string;
  quoted: boolean;
}

/** A redirection operator (its target is the next word, except for here-documents). */
export interface Redir {
  type: "redir";
  op: string;
  at: number;
  end: number;
  heredoc?: Heredoc;
}

/** A token of shell code. */
export type Token = Word | Op | Redir;

const OPERATORS = [
  ";;&",
  "&>>",
  "<<<",
  "<<-",
  ";;",
  ";&",
  "&&",
  "||",
  "|&",
  "&>",
  "<<",
  "<>",
  ">>",
  ">|",
  ">&",
  "<&",
  ">",
  "<",
  "|",
  "&",
  ";",
  "(",
  ")",
];
const REDIRECTS = new Set([
  "&>>",
  "<<<",
  "<<-",
  "&>",
  "<<",
  "<>",
  ">>",
  ">|",
  ">&",
  "<&",
  ">",
  "<",
]);
const VAR = /(?:[A-Za-z_]\w*|[0-9]|[@*#?$!-])/y;
const BREAK = /[\s;&|()<>]/;
/** Words after which the next word is a command (for `((`). */
const LEADERS = new Set(["then", "do", "else", "elif", "if", "while", "until", "{", "!", "time"]);

/** Decodes the backslash escapes of `$'…'` (and of `printf`/`echo -e` when `printf` is set). */
export function decodeEscapes(text: string, printf = false): string {
  return text.replace(
    /\\(?:([abeEfnrtv\\'"?])|0?([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|c(.))/g,
    (all, simple: string, oct: string, hex: string, u4: string, u8: string, ctl: string) => {
      if (simple) {
        const map: Record<string, string> = {
          a: "\x07",
          b: "\b",
          e: "\x1b",
          E: "\x1b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
          v: "\v",
          "\\": "\\",
          "'": "'",
          '"': '"',
          "?": "?",
        };
        if (printf && (simple === "'" || simple === '"' || simple === "?")) return all;
        return map[simple];
      }
      const code = oct ? parseInt(oct, 8) : hex ? parseInt(hex, 16) : parseInt(u4 ?? u8 ?? "0", 16);
      if (ctl) return String.fromCharCode(ctl.charCodeAt(0) & 31);
      try {
        return String.fromCodePoint(code);
      } catch {
        return HOLE;
      }
    },
  );
}

/** A bracketed group: its brackets, and whether a backtick inside it opens a substitution to skip. */
interface Group {
  open: string;
  close: string;
  backticks: boolean;
}

const PAREN: Group = { open: "(", close: ")", backticks: true };
const BRACE: Group = { open: "{", close: "}", backticks: false };

/** The index of the `)` closing a `(` that ends just before `i` (or the end of `src`). */
function closeParen(src: string, i: number): number {
  return closeGroup(src, i, PAREN);
}

/** The index of the `}` closing a `{` that ends just before `i` (or the end of `src`). */
function closeBrace(src: string, i: number): number {
  return closeGroup(src, i, BRACE);
}

/** The index of the bracket closing `group` opened just before `i`, past quotes and nested ones. */
function closeGroup(src: string, i: number, group: Group): number {
  let depth = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") i += 2;
    else if (c === "'") i = src.indexOf("'", i + 1) < 0 ? src.length : src.indexOf("'", i + 1) + 1;
    else if (c === '"') i = closeDouble(src, i + 1) + 1;
    else if (c === "`" && group.backticks) i = closeBacktick(src, i + 1) + 1;
    else if (c === group.open) depth++, i++;
    else if (c === group.close) {
      if (--depth === 0) return i;
      i++;
    } else i++;
  }
  return src.length;
}

function closeDouble(src: string, i: number): number {
  while (i < src.length && src[i] !== '"') {
    if (src[i] === "\\") i += 2;
    else if (src.startsWith("$(", i)) i = closeParen(src, i + 2) + 1;
    else if (src[i] === "`") i = closeBacktick(src, i + 1) + 1;
    else i++;
  }
  return Math.min(i, src.length);
}

function closeBacktick(src: string, i: number): number {
  while (i < src.length && src[i] !== "`") i += src[i] === "\\" ? 2 : 1;
  return Math.min(i, src.length);
}

/**
 * The command substitutions (`$(…)`, backticks) inside text the shell expands
 * without it being a word: arithmetic, `${x:-…}`, unquoted here-documents.
 */
export function substitutionsIn(text: string): string[] {
  const subs: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text.startsWith("$(", i) && text[i + 2] !== "(") {
      const end = closeParen(text, i + 2);
      subs.push(text.slice(i + 2, end));
      i = end;
    } else if (text[i] === "`") {
      const end = closeBacktick(text, i + 1);
      subs.push(text.slice(i + 1, end).replace(/\\([`\\$])/g, "$1"));
      i = end;
    }
  }
  return subs;
}

/** Reads a `$…` expansion at `i` (on the `$`); returns its part and the index after it. */
function expansion(src: string, i: number, quoted: boolean): [Part, number] {
  const next = src[i + 1];
  if (src.startsWith("$((", i)) {
    const end = closeParen(src, closeParen(src, i + 3) + 1);
    const raw = src.slice(i, end + 1);
    return [{ kind: "hole", raw, subs: substitutionsIn(raw.slice(3, -2)) }, end + 1];
  }
  if (next === "(") {
    const end = closeParen(src, i + 2);
    const raw = src.slice(i, end + 1);
    return [{ kind: "sub", code: src.slice(i + 2, end), raw, quoted }, end + 1];
  }
  if (next === "{") {
    const end = closeBrace(src, i + 2);
    const inner = src.slice(i + 2, end);
    const raw = src.slice(i, end + 1);
    if (/^[A-Za-z_]\w*$|^[0-9]+$|^[@*#?$!-]$/.test(inner)) {
      return [{ kind: "var", name: inner, raw, quoted }, end + 1];
    }
    // `${!name}` reads the variable whose name another holds; `${!arr[@]}` lists keys.
    const indirect = /^![A-Za-z_]\w*$/.test(inner);
    return [{ kind: "hole", raw, indirect, subs: substitutionsIn(inner) }, end + 1];
  }
  const m = (VAR.lastIndex = i + 1, VAR.exec(src));
  if (m) return [{ kind: "var", name: m[0], raw: "$" + m[0], quoted }, i + 1 + m[0].length];
  return [{ kind: "lit", text: "$" }, i + 1];
}

function backtick(src: string, i: number, quoted: boolean): [Part, number] {
  const end = closeBacktick(src, i + 1);
  const code = src.slice(i + 1, end).replace(/\\([`\\$])/g, "$1");
  return [{ kind: "sub", code, raw: src.slice(i, end + 1), quoted }, end + 1];
}

/**
 * The part starting at `i` when it is an expansion (`$…`), a backtick
 * substitution or a hole, with the index after it; undefined for plain text.
 */
function specialPart(src: string, i: number, quoted: boolean): [Part, number] | undefined {
  if (src[i] === "$") return expansion(src, i, quoted);
  if (src[i] === "`") return backtick(src, i, quoted);
  if (src[i] === HOLE) return [{ kind: "hole", raw: "…" }, i + 1];
  return undefined;
}

/** Reads one word starting at `i`; returns it and the index after it. */
function readWord(src: string, i: number): [Word, number] {
  const start = i;
  const parts: Part[] = [];
  const lit = (text: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === "lit") last.text += text;
    else parts.push({ kind: "lit", text });
  };
  if ((src[i] === "<" || src[i] === ">") && src[i + 1] === "(") {
    const end = closeParen(src, i + 2);
    parts.push({ kind: "proc", code: src.slice(i + 2, end), raw: src.slice(i, end + 1) });
    i = end + 1;
  }
  while (i < src.length && !BREAK.test(src[i])) {
    const c = src[i];
    if (c === "\\") {
      if (src[i + 1] !== "\n") lit(src[i + 1] ?? "");
      i += 2;
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1);
      const stop = end < 0 ? src.length : end;
      lit(src.slice(i + 1, stop));
      i = stop + 1;
    } else if (c === "$" && src[i + 1] === "'") {
      let j = i + 2;
      while (j < src.length && src[j] !== "'") j += src[j] === "\\" ? 2 : 1;
      lit(decodeEscapes(src.slice(i + 2, j)));
      i = j + 1;
    } else if (c === '"' || (c === "$" && src[i + 1] === '"')) {
      i += c === "$" ? 2 : 1;
      const end = closeDouble(src, i);
      while (i < end) {
        const d = src[i];
        if (d === "\\" && /[$`"\\\n]/.test(src[i + 1] ?? "")) {
          if (src[i + 1] !== "\n") lit(src[i + 1]);
          i += 2;
        } else {
          const special = specialPart(src, i, true);
          if (special) {
            parts.push(special[0]);
            i = special[1];
          } else {
            lit(d);
            i++;
          }
        }
      }
      i = end + 1;
    } else {
      const special = specialPart(src, i, false);
      if (special) {
        parts.push(special[0]);
        i = special[1];
      } else {
        lit(c);
        i++;
      }
    }
  }
  i = Math.min(i, src.length);
  return [{ type: "word", parts, raw: src.slice(start, i), at: start, end: i }, i];
}

/** The literal text of a word, parts that are not literal kept as written. */
export function wordText(word: Word): string {
  return word.parts.map((p) => p.kind === "lit" ? p.text : p.raw).join("");
}

/** Splits shell code into tokens. */
export function lexShell(src: string): Token[] {
  const tokens: Token[] = [];
  const pending: { delimiter: string; strip: boolean; doc: Heredoc }[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "\\" && src[i + 1] === "\n") {
      i += 2;
      continue;
    }
    if (c === "\n") {
      tokens.push({ type: "op", op: "\n", at: i, end: i + 1 });
      i++;
      for (const h of pending.splice(0)) {
        const lines: string[] = [];
        while (i < src.length) {
          const nl = src.indexOf("\n", i);
          const stop = nl < 0 ? src.length : nl;
          let line = src.slice(i, stop);
          if (h.strip) line = line.replace(/^\t+/, "");
          i = stop + 1;
          if (line === h.delimiter) break;
          lines.push(line);
        }
        h.doc.body = lines.join("\n");
      }
      continue;
    }
    if (c === "#") {
      const nl = src.indexOf("\n", i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    const prev = tokens[tokens.length - 1];
    const commandPosition = !prev || prev.type === "op" ||
      (prev.type === "word" && LEADERS.has(prev.raw));
    if (src.startsWith("((", i) && commandPosition) {
      const end = closeParen(src, closeParen(src, i + 2) + 1);
      const raw = src.slice(i, end + 1);
      const parts: Part[] = [{ kind: "lit", text: "((" }];
      // Substitutions inside run: kept as a hole with no text, so the command name stays `((`.
      const subs = substitutionsIn(raw.slice(2, -2));
      if (subs.length > 0) parts.push({ kind: "hole", raw: "", subs });
      tokens.push({ type: "word", parts, raw, at: i, end: end + 1 });
      i = end + 1;
      continue;
    }
    if ((c === "<" || c === ">") && src[i + 1] === "(") {
      const [word, next] = readWord(src, i);
      tokens.push(word);
      i = next;
      continue;
    }
    let fd = i;
    while (fd < src.length && /[0-9]/.test(src[fd])) fd++;
    const opAt = fd > i && (src[fd] === "<" || src[fd] === ">") ? fd : i;
    const op = OPERATORS.find((o) => src.startsWith(o, opAt));
    if (op && (opAt === i || REDIRECTS.has(op))) {
      const end = opAt + op.length;
      if (!REDIRECTS.has(op)) {
        tokens.push({ type: "op", op, at: i, end });
        i = end;
        continue;
      }
      const redir: Redir = { type: "redir", op, at: i, end };
      tokens.push(redir);
      i = end;
      if (op === "<<" || op === "<<-") {
        while (src[i] === " " || src[i] === "\t") i++;
        const [word, next] = readWord(src, i);
        i = next;
        redir.heredoc = { body: "", quoted: /['"\\]/.test(word.raw) };
        pending.push({ delimiter: wordText(word), strip: op === "<<-", doc: redir.heredoc });
      }
      continue;
    }
    const [word, next] = readWord(src, i);
    tokens.push(word);
    i = next > i ? next : i + 1;
  }
  return tokens;
}
