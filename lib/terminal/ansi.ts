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

let segmenter: Intl.Segmenter | undefined;

/**
 * The user-perceived characters (grapheme clusters) of plain text, as
 * `Intl.Segmenter` splits them: 👍🏽, 👨‍👩‍👧, ✔️ and e + combining accent are one each.
 */
export function graphemes(s: string): string[] {
  // Text with nothing that joins code points (the common case) needs no segmenter.
  if (SIMPLE.test(s)) return [...s];
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(segmenter.segment(s), (part) => part.segment);
}

/**
 * Text in which every code point is its own cluster of plain width: no marks, joiners,
 * variation selectors, keycaps, flags, emoji or astral characters.
 */
const SIMPLE =
  /^[^\p{M}\p{Emoji_Presentation}\p{Regional_Indicator}\u200d\ufe0e\ufe0f\u20e3\u{10000}-\u{10FFFF}]*$/u;
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}/u;
const EMOJI = /^\p{Emoji}/u;
const REGIONAL_PAIR = /^\p{Regional_Indicator}\p{Regional_Indicator}/u;

/**
 * Columns one grapheme cluster takes, as terminals draw it: an emoji (by default, or made one
 * by VS16 as in ✔️, with skin tones or joined by ZWJ as in 👨‍👩‍👧) and a flag take 2, wide
 * CJK 2, controls and lone combining marks 0, the rest 1.
 */
export function graphemeWidth(cluster: string): number {
  const first = cluster.codePointAt(0);
  if (first === undefined) return 0;
  if (cluster.length > 1) {
    if (REGIONAL_PAIR.test(cluster) || EMOJI_PRESENTATION.test(cluster)) return 2;
    if (EMOJI.test(cluster) && (cluster.includes("\ufe0f") || cluster.includes("\u200d"))) {
      return first < 0x80 && !cluster.includes("\u20e3") ? charWidth(first) : 2;
    }
  } else if (first > 0xff && EMOJI_PRESENTATION.test(cluster)) return 2;
  return charWidth(first);
}

/** Columns a string takes on screen (escape codes excluded; by grapheme cluster, see graphemeWidth). */
export function visibleWidth(s: string): number {
  const plain = stripAnsi(s);
  if (/^[\x20-\x7e]*$/.test(plain)) return plain.length;
  let width = 0;
  if (SIMPLE.test(plain)) {
    for (let i = 0; i < plain.length; i++) width += charWidth(plain.charCodeAt(i));
    return width;
  }
  for (const cluster of graphemes(plain)) width += graphemeWidth(cluster);
  return width;
}

/** Columns one code point takes: 0 for controls and combining marks, 2 for wide ones. */
function charWidth(cp: number): number {
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
  const chars = graphemes(s);
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
  for (const ch of graphemes(s)) {
    const cw = visibleWidth(ch);
    if (w + cw > width) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/** Erases the current screen row and returns the cursor to its start. */
export const CLEAR_LINE = "\r\x1b[2K";
