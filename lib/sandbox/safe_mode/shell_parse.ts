/**
 * Groups shell tokens into pipelines of simple commands, skipping the
 * grammar around them (`if … then`, `for x in …; do`, `case … esac`,
 * function definitions, array assignments), so that the analyser sees each
 * command with its words, redirections and here-documents.
 *
 * @module
 */

import { lexShell, type Redir, type Token, type Word, wordText } from "./shell_lex.ts";

/** A redirection of a command, with its target word. */
export interface Redirection {
  op: string;
  target?: Word;
  heredoc?: Redir["heredoc"];
}

/** A simple command. `setsUnknown` marks a loop or array variable (`for x in`, `a=(…)`). */
export interface Command {
  words: Word[];
  redirs: Redirection[];
  at: number;
  /** Not a command: only its words' substitutions run (`for x in $(…)`). */
  listOnly?: boolean;
  /** Variables this construct sets to something unknown. */
  setsUnknown?: string[];
}

/** Commands joined by `|`. */
export interface Pipeline {
  commands: Command[];
  at: number;
}

const RESERVED = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "{",
  "}",
  "!",
  "time",
  "esac",
  "in",
]);

/** Parses shell code into pipelines, in the order they appear. */
export function parseShell(src: string): Pipeline[] {
  const tokens = lexShell(src);
  const pipelines: Pipeline[] = [];
  let current: Command | null = null;
  let pipe: Command[] = [];
  let casePatterns = false;
  const command = (at: number): Command => (current ??= { words: [], redirs: [], at });
  const endCommand = () => {
    if (current && (current.words.length > 0 || current.redirs.length > 0)) pipe.push(current);
    current = null;
  };
  const endPipeline = () => {
    endCommand();
    if (pipe.length > 0) pipelines.push({ commands: pipe, at: pipe[0].at });
    pipe = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const t: Token = tokens[i];
    if (t.type === "op") {
      if (t.op === "|" || t.op === "|&") endCommand();
      else {
        endPipeline();
        if (t.op === ";;" || t.op === ";&" || t.op === ";;&") casePatterns = true;
      }
      continue;
    }
    if (t.type === "redir") {
      const next = tokens[i + 1];
      const target = !t.heredoc && next?.type === "word" ? next : undefined;
      if (target) i++;
      command(t.at).redirs.push({ op: t.op, target, heredoc: t.heredoc });
      continue;
    }
    const text = wordText(t);
    if (casePatterns) {
      // `pattern)` starts a case branch; `esac` ends the case.
      if (text === "esac") {
        casePatterns = false;
        continue;
      }
      while (
        i < tokens.length && !(tokens[i].type === "op" && (tokens[i] as { op: string }).op === ")")
      ) i++;
      casePatterns = false;
      continue;
    }
    const words = (current as Command | null)?.words ?? [];
    if (words.length === 0) {
      if (RESERVED.has(text) && t.parts.every((p) => p.kind === "lit")) continue;
      if (text === "for" || text === "select" || text === "case") {
        // `for x in a b c; do`: x is unknown; the list's substitutions still run.
        const name = tokens[i + 1]?.type === "word" ? wordText(tokens[i + 1] as Word) : "";
        const list: Command = { words: [], redirs: [], at: t.at, listOnly: true, setsUnknown: [] };
        if (text !== "case") list.setsUnknown!.push(name);
        i += 2;
        while (i < tokens.length) {
          const u = tokens[i];
          if (u.type === "op" && (u.op === ";" || u.op === "\n")) break;
          if (u.type === "word") {
            const w = wordText(u);
            if (w === "do" || (text === "case" && w === "in")) break;
            if (w !== "in") list.words.push(u);
          }
          i++;
        }
        pipelines.push({ commands: [list], at: t.at });
        if (text === "case") casePatterns = true;
        continue;
      }
      if (text === "function") {
        i++; // the function's name
        continue;
      }
      const open = tokens[i + 1];
      const close = tokens[i + 2];
      if (open?.type === "op" && open.op === "(" && close?.type === "op" && close.op === ")") {
        i += 2; // `name()`: a function definition
        continue;
      }
      const array = text.match(/^([A-Za-z_]\w*)\+?=$/);
      if (array && open?.type === "op" && open.op === "(" && open.at === t.end) {
        // `a=(x y $(z))`: the variable is unknown; the substitutions still run.
        const list: Command = {
          words: [],
          redirs: [],
          at: t.at,
          listOnly: true,
          setsUnknown: [array[1]],
        };
        let depth = 0;
        for (i++; i < tokens.length; i++) {
          const u = tokens[i];
          if (u.type === "op" && u.op === "(") depth++;
          else if (u.type === "op" && u.op === ")" && --depth === 0) break;
          else if (u.type === "word") list.words.push(u);
        }
        pipelines.push({ commands: [list], at: t.at });
        continue;
      }
    }
    command(t.at).words.push(t);
  }
  endPipeline();
  return pipelines;
}
