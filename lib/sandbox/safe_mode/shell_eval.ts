/**
 * What safe mode can know statically about shell words: variables with one
 * literal value in the whole script, `$(printf '\x72\x6d')` and `$(echo …)`
 * evaluated, word splitting of unquoted expansions, and the literal output of
 * `echo`/`printf`. Anything else is a hole (`HOLE`).
 *
 * @module
 */

import { decodeEscapes, type Word, wordText } from "./shell_lex.ts";
import { parseShell, type Pipeline } from "./shell_parse.ts";
import { HOLE } from "./types.ts";

/** A word after expansion: its text (holes for what is unknown) and the word as written. */
export interface Expanded {
  text: string;
  known: boolean;
  raw: string;
}

/** Called for each command or process substitution met while expanding (it runs, so it is scanned). */
export type OnSubstitution = (code: string, kind: "sub" | "proc") => void;

/** Called for `${!name}` (a variable named by another variable). */
export type OnIndirect = (raw: string) => void;

/** Variables: a literal value, or null when unknown or given different values. */
export type Values = Map<string, string | null>;

/** Expands a word into the words the shell would pass on. */
export function expandWord(
  word: Word,
  values: Values,
  hooks: { onSub?: OnSubstitution; onIndirect?: OnIndirect } = {},
): Expanded[] {
  let text = "";
  let split = false;
  for (const part of word.parts) {
    if (part.kind === "lit") text += part.text;
    else if (part.kind === "var") {
      const value = variable(part.name, values);
      text += value ?? HOLE;
      if (!part.quoted && value !== null) split = true;
    } else if (part.kind === "sub") {
      hooks.onSub?.(part.code, "sub");
      const value = literalOutput(part.code, values);
      text += value === null ? HOLE : value.replace(/\n+$/, "");
      if (!part.quoted && value !== null) split = true;
    } else if (part.kind === "proc") {
      hooks.onSub?.(part.code, "proc");
      text += HOLE;
    } else {
      if (part.indirect) hooks.onIndirect?.(part.raw);
      for (const sub of part.subs ?? []) hooks.onSub?.(sub, "sub");
      if (part.raw !== "") text += HOLE;
    }
  }
  let pieces = [text];
  if (split) {
    // Word splitting on IFS (`IFS=,; c=rm,-rf,~; $c`); an IFS that is not known splits unknowably.
    const ifs = values.has("IFS") ? values.get("IFS") : " \t\n";
    if (ifs === null || ifs === undefined) pieces = [HOLE];
    else {
      const chars = [...new Set([...ifs, " ", "\t", "\n"])].map((c) =>
        c.replace(/[\\\]^-]/g, "\\$&")
      );
      pieces = text.split(new RegExp(`[${chars.join("")}]+`)).filter((p) => p.length > 0);
    }
  }
  // Brace expansion of unquoted words: `{rm,-rf,~}`, `{r..r}m`.
  if (!/['"\\]/.test(word.raw) && /\{[^{}]*(?:,|\.\.)[^{}]*\}/.test(word.raw)) {
    pieces = pieces.flatMap((p) => braces(p, 0));
  }
  return pieces.map((p) => ({ text: p, known: !p.includes(HOLE), raw: word.raw }));
}

/** Bash brace expansion (`a{b,c}d`, `{x..z}`), bounded. */
function braces(text: string, depth: number): string[] {
  if (depth > 8) return [HOLE];
  let open = -1;
  let level = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") {
      if (level++ === 0) open = i;
    } else if (text[i] === "}" && level > 0 && --level === 0) {
      const inner = text.slice(open + 1, i);
      const items: string[] = [];
      let from = 0;
      let d = 0;
      for (let k = 0; k <= inner.length; k++) {
        if (inner[k] === "{") d++;
        else if (inner[k] === "}") d--;
        else if ((inner[k] === "," && d === 0) || k === inner.length) {
          items.push(inner.slice(from, k));
          from = k + 1;
        }
      }
      const range = inner.match(/^(-?\w+)\.\.(-?\w+)$/);
      let options: string[] | null = items.length > 1 ? items : null;
      if (!options && range) {
        const [a, b] = [range[1], range[2]];
        const numeric = /^-?\d+$/.test(a) && /^-?\d+$/.test(b);
        const [x, y] = numeric ? [Number(a), Number(b)] : [a.charCodeAt(0), b.charCodeAt(0)];
        if (numeric || (a.length === 1 && b.length === 1)) {
          options = [];
          for (let v = x; x <= y ? v <= y : v >= y; v += x <= y ? 1 : -1) {
            options.push(numeric ? String(v) : String.fromCharCode(v));
            if (options.length > 256) return [HOLE];
          }
        }
      }
      if (!options) continue;
      const head = text.slice(0, open);
      const tails = braces(text.slice(i + 1), depth + 1);
      const out: string[] = [];
      for (const o of options) {
        for (const expanded of braces(o, depth + 1)) {
          for (const t of tails) out.push(head + expanded + t);
        }
        if (out.length > 256) return [HOLE];
      }
      return out;
    }
  }
  return [text];
}

/** A variable's value: assigned once (or always the same), `HOME` as `~`; else null. */
export function variable(name: string, values: Values): string | null {
  if (values.has(name)) return values.get(name) ?? null;
  if (name === "HOME") return "~";
  return null;
}

/** What `echo …` / `printf …` with literal words prints; null for anything else. */
function literalOutput(code: string, values: Values): string | null {
  const pipelines = parseShell(code);
  if (pipelines.length !== 1 || pipelines[0].commands.length !== 1) return null;
  const command = pipelines[0].commands[0];
  if (command.listOnly || command.redirs.length > 0) return null;
  const argv = command.words.flatMap((w) => expandWord(w, values));
  if (argv.length === 0 || argv.some((a) => !a.known)) return null;
  return printed(argv.map((a) => a.text));
}

/** What `echo`/`printf` prints for this argv (null for other commands). */
export function printed(argv: string[]): string | null {
  const [name, ...args] = argv;
  if (name === "echo") {
    let escapes = false;
    let newline = true;
    while (args.length > 0 && /^-[neE]+$/.test(args[0])) {
      const flags = args.shift()!;
      if (flags.includes("n")) newline = false;
      if (flags.includes("e")) escapes = true;
      if (flags.includes("E")) escapes = false;
    }
    const text = args.join(" ");
    return (escapes ? decodeEscapes(text, true) : text) + (newline ? "\n" : "");
  }
  if (name === "printf") {
    if (args[0] === "--") args.shift();
    if (args.length === 0 || args[0].startsWith("-v")) return null;
    const format = args.shift()!;
    let out = "";
    let guard = 0;
    do {
      out += format.replace(
        /%(%|[-+ #0-9.]*[a-zA-Z])|\\(?:[^0-7xuUc]|0?[0-7]{1,3}|x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|c.)/g,
        (m, spec: string) => {
          if (!spec) return decodeEscapes(m, true);
          if (spec === "%") return "%";
          const arg = args.shift() ?? "";
          const conv = spec[spec.length - 1];
          if (conv === "b") return decodeEscapes(arg, true);
          if (conv === "c") return arg.slice(0, 1);
          return arg;
        },
      );
    } while (args.length > 0 && /%[^%]/.test(format) && ++guard < 100);
    return out;
  }
  return null;
}

/** Options of `declare`-like builtins; `-n` makes a name reference (unknown). */
const DECLARE = new Set(["export", "declare", "typeset", "local", "readonly"]);

/**
 * Variables of a script: each variable assigned a literal value (and never
 * anything else) is known; one assigned twice with different values, in a
 * loop, by `read`, or through a reference is unknown.
 */
export function collectValues(pipelines: Pipeline[], values: Values): void {
  const set = (name: string, value: string | null) => {
    if (values.has(name) && values.get(name) !== value) values.set(name, null);
    else values.set(name, value);
  };
  for (const pipeline of pipelines) {
    for (const command of pipeline.commands) {
      for (const name of command.setsUnknown ?? []) set(name, null);
      if (command.listOnly) continue;
      const words = command.words;
      let k = 0;
      while (k < words.length && assignment(words[k])) k++;
      if (k === words.length) {
        for (const w of words) assign(w, values, set);
        continue;
      }
      const name = wordText(words[k]);
      const args = words.slice(k + 1);
      if (DECLARE.has(name)) {
        const reference = args.some((a) => /^-\w*n/.test(wordText(a)));
        for (const a of args) {
          const m = wordText(a).match(/^([A-Za-z_]\w*)(?:=|$)/);
          if (!m || wordText(a).startsWith("-")) continue;
          if (reference || !assignment(a)) set(m[1], reference ? null : values.get(m[1]) ?? null);
          else assign(a, values, set);
        }
      } else if (["read", "mapfile", "readarray", "unset", "getopts"].includes(name)) {
        for (const a of args) {
          const t = wordText(a);
          if (/^[A-Za-z_]\w*$/.test(t)) set(t, null);
        }
      } else if (name === "printf") {
        const v = args.findIndex((a) => wordText(a) === "-v");
        if (v >= 0 && args[v + 1]) set(wordText(args[v + 1]), null);
      }
    }
  }
}

/** Whether a word is `NAME=value` (or `NAME+=value`). */
export function assignment(word: Word): boolean {
  const first = word.parts[0];
  return first?.kind === "lit" && /^[A-Za-z_]\w*\+?=/.test(first.text);
}

function assign(word: Word, values: Values, set: (name: string, value: string | null) => void) {
  const first = word.parts[0] as { kind: "lit"; text: string };
  const m = first.text.match(/^([A-Za-z_]\w*)(\+?)=/)!;
  const rest: Word = {
    ...word,
    parts: [{ kind: "lit", text: first.text.slice(m[0].length) }, ...word.parts.slice(1)],
  };
  // An assignment does not split words: the value is the whole text.
  let text = "";
  for (const part of rest.parts) {
    if (part.kind === "lit") text += part.text;
    else if (part.kind === "var") text += variable(part.name, values) ?? HOLE;
    else if (part.kind === "sub") {
      const out = literalOutput(part.code, values);
      text += out === null ? HOLE : out.replace(/\n+$/, "");
    } else text += HOLE;
  }
  if (m[2]) text = (variable(m[1], values) ?? HOLE) + text;
  set(m[1], text.includes(HOLE) ? null : text);
}
