/**
 * Wrapping styled text (ANSI SGR codes included) to the terminal's width:
 * at word boundaries for prose and notes, anywhere for code. Styles carry
 * over: a row that ends inside a styled span closes it (`\x1b[0m`) and the
 * next row reopens the same state, so a prefix such as a frame bar is never
 * coloured by mistake. One pass over the text (linear in its length).
 *
 * @module
 */

import { graphemes, graphemeWidth, visibleWidth } from "./ansi.ts";

/** Options of {@linkcode wrapStyled}. */
export interface WrapOptions {
  /** Break at spaces (prose); otherwise anywhere (code). Words longer than a row still break. */
  words?: boolean;
  /** Put in front of every row after the first (counts against the width). */
  continuation?: string;
}

/** The SGR state in force: replayed at the start of a continuation row. */
interface SgrState {
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  fg: string;
  bg: string;
}

function freshState(): SgrState {
  return {
    bold: false,
    dim: false,
    italic: false,
    underline: false,
    inverse: false,
    fg: "",
    bg: "",
  };
}

function applySgr(state: SgrState, params: string): void {
  const p = params === "" ? ["0"] : params.split(";");
  for (let i = 0; i < p.length; i++) {
    const n = Number(p[i]);
    if (n === 0) Object.assign(state, freshState());
    else if (n === 1) state.bold = true;
    else if (n === 2) state.dim = true;
    else if (n === 22) state.bold = state.dim = false;
    else if (n === 3) state.italic = true;
    else if (n === 23) state.italic = false;
    else if (n === 4) state.underline = true;
    else if (n === 24) state.underline = false;
    else if (n === 7) state.inverse = true;
    else if (n === 27) state.inverse = false;
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) state.fg = String(n);
    else if (n === 39) state.fg = "";
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) state.bg = String(n);
    else if (n === 49) state.bg = "";
    else if (n === 38 || n === 48) {
      // 38;5;n or 38;2;r;g;b
      const take = p[i + 1] === "5" ? 2 : p[i + 1] === "2" ? 4 : 0;
      const value = p.slice(i, i + 1 + take).join(";");
      if (n === 38) state.fg = value;
      else state.bg = value;
      i += take;
    }
  }
}

function replay(state: SgrState): string {
  const codes: string[] = [];
  if (state.bold) codes.push("1");
  if (state.dim) codes.push("2");
  if (state.italic) codes.push("3");
  if (state.underline) codes.push("4");
  if (state.inverse) codes.push("7");
  if (state.fg) codes.push(state.fg);
  if (state.bg) codes.push(state.bg);
  return codes.length ? `\x1b[${codes.join(";")}m` : "";
}

function isPlain(state: SgrState): boolean {
  return replay(state) === "";
}

// deno-lint-ignore no-control-regex
const TOKEN_RE = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|[^\x1b]+|\x1b/gu;

/** Escape sequences (with their SGR parameters) and the grapheme clusters of the text between. */
function* tokens(line: string): Generator<{ token: string; sgr?: string; escape: boolean }> {
  for (const match of line.matchAll(TOKEN_RE)) {
    if (match[0].length > 1 && match[0].charCodeAt(0) === 0x1b) {
      yield { token: match[0], sgr: match[2] === "m" ? match[1] : undefined, escape: true };
    } else {
      for (const cluster of graphemes(match[0])) yield { token: cluster, escape: false };
    }
  }
}

/**
 * Splits one styled line into rows of at most `width` columns (the first row
 * has the whole width; later rows start with `continuation`). Returns at
 * least one row.
 */
export function wrapStyled(line: string, width: number, options: WrapOptions = {}): string[] {
  const room = Math.max(1, width);
  if (visibleWidth(line) <= room) return [line];
  const continuation = options.continuation ?? "";
  const contWidth = visibleWidth(continuation);
  const rows: string[] = [];
  const state = freshState();
  /** Tokens of the row being built: text and zero-width escape sequences. */
  let row: string[] = [];
  let rowWidth = 0;
  let limit = room;
  let rowStart = ""; // the continuation prefix plus the style replay
  // The last place the row may break: after a space (index into `row`, width so far, style).
  let breakAt = -1;
  let breakWidth = 0;
  let breakState: SgrState | undefined;

  const flush = (tokens: string[], endState: SgrState) => {
    let text = rowStart + tokens.join("");
    // deno-lint-ignore no-control-regex
    text = text.replace(/ +((?:\x1b\[[0-9;]*m)*)$/, "$1"); // no trailing spaces
    rows.push(isPlain(endState) ? text : text + "\x1b[0m");
  };
  const startRow = (carried: SgrState) => {
    rowStart = continuation + replay(carried);
    limit = Math.max(1, room - contWidth);
  };

  for (const { token, sgr, escape } of tokens(line)) {
    if (escape) {
      if (sgr !== undefined) applySgr(state, sgr);
      row.push(token);
      continue;
    }
    const w = graphemeWidth(token);
    if (rowWidth + w > limit && rowWidth > 0) {
      if (options.words && breakAt > 0 && token !== " ") {
        // Move the words after the last space to the next row.
        const rest = row.slice(breakAt);
        flush(row.slice(0, breakAt), breakState!);
        startRow(breakState!);
        row = rest;
        rowWidth = rowWidth - breakWidth;
      } else {
        flush(row, state);
        startRow(state);
        row = [];
        rowWidth = 0;
        if (token === " " && options.words) {
          breakAt = -1;
          continue; // a space at a row break is dropped
        }
      }
      breakAt = -1;
    }
    row.push(token);
    rowWidth += w;
    if (token === " " && options.words) {
      breakAt = row.length;
      breakWidth = rowWidth;
      breakState = { ...state };
    }
  }
  flush(row, state);
  return rows;
}
