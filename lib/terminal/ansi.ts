/**
 * Terminal styling. A {@link Style} either wraps text in ANSI SGR codes or, when
 * colour is off (`NO_COLOR`, `--plain`, not a terminal), returns it unchanged.
 *
 * @module
 */

/** Text styling functions; all return the text unchanged when colour is off. */
export interface Style {
  /** True when styles emit escape codes. */
  readonly enabled: boolean;
  /** Bold. */
  bold(s: string): string;
  /** Dim (faint). */
  dim(s: string): string;
  /** Italic. */
  italic(s: string): string;
  /** Underlined. */
  underline(s: string): string;
  /** Reverse video (used for the running line). */
  inverse(s: string): string;
  /** Red (errors). */
  red(s: string): string;
  /** Green (strings). */
  green(s: string): string;
  /** Yellow (numbers, warnings). */
  yellow(s: string): string;
  /** Blue (headings, links). */
  blue(s: string): string;
  /** Magenta (keywords). */
  magenta(s: string): string;
  /** Cyan (built-ins, inline code). */
  cyan(s: string): string;
  /** Grey (comments, frames). */
  gray(s: string): string;
}

function sgr(open: number, close: number): (s: string) => string {
  return (s) => s === "" ? s : `\x1b[${open}m${s}\x1b[${close}m`;
}

const identity = (s: string): string => s;

/** Makes a style set; `enabled` false gives plain text. */
export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    return {
      enabled,
      bold: identity,
      dim: identity,
      italic: identity,
      underline: identity,
      inverse: identity,
      red: identity,
      green: identity,
      yellow: identity,
      blue: identity,
      magenta: identity,
      cyan: identity,
      gray: identity,
    };
  }
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    italic: sgr(3, 23),
    underline: sgr(4, 24),
    inverse: sgr(7, 27),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
    gray: sgr(90, 39),
  };
}

// deno-lint-ignore no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/** Removes ANSI escape sequences. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, "");
}

/** Columns a string takes on screen (escape codes excluded; wide CJK/emoji count 2). */
export function visibleWidth(s: string): number {
  let width = 0;
  for (const ch of stripAnsi(s)) width += charWidth(ch.codePointAt(0)!);
  return width;
}

/** Columns one code point takes: 0 for controls and combining marks, 2 for wide ones. */
export function charWidth(cp: number): number {
  if (cp < 32 || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) {
    return 0;
  }
  return isWide(cp) ? 2 : 1;
}

function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

/** Keeps the last characters of plain text so it fits in `width` columns, marking the cut. */
export function clipStart(s: string, width: number): string {
  if (width <= 1) return "";
  if (visibleWidth(s) <= width) return s;
  const chars = [...s];
  let out = "";
  let w = 1; // the ellipsis
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = visibleWidth(chars[i]);
    if (w + cw > width) break;
    out = chars[i] + out;
    w += cw;
  }
  return "…" + out;
}

/** Cuts plain text so it fits in `width` columns, marking the cut. */
export function clipEnd(s: string, width: number): string {
  if (width <= 1) return "";
  if (visibleWidth(s) <= width) return s;
  let out = "";
  let w = 1;
  for (const ch of s) {
    const cw = visibleWidth(ch);
    if (w + cw > width) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/** Erases the current screen row and returns the cursor to its start. */
export const CLEAR_LINE = "\r\x1b[2K";
