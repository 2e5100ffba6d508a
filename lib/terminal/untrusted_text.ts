/**
 * Text the model or generated code wrote, made safe to write to the person's
 * terminal. Raw, such text could erase or redraw what the person reads before
 * approving (`rm -rf ~\x1b[2K\x1b[1Gecho hi` shows as `echo hi`; a right-to-left
 * override reorders a line on terminals that do bidi), set the
 * clipboard (OSC 52), change the title, draw images, or make the terminal
 * answer a query into the program's input. Code and messages show every
 * control character visibly (`␛[2K`); program output keeps its colours (SGR)
 * and carriage returns (progress bars), and loses every other control
 * sequence and character.
 *
 * @module
 */

/** CSI, OSC, DCS/SOS/PM/APC strings, and two-character escapes, from an ESC. */
const SEQUENCE =
  // deno-lint-ignore no-control-regex
  /\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[\x20-\x2f]*[\x30-\x7e]?)/gy;
/** A colour or style sequence (SGR), which output keeps. */
// deno-lint-ignore no-control-regex
const SGR = /^\x1b\[[0-9;:]*m$/;
/** Control characters other than newline and tab (C0, DEL, C1). */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code === 0x1b) return "␛";
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // ␀ … ␟
  if (code === 0x7f) return "␡";
  return `\\u{${code.toString(16)}}`;
}

/** Bidirectional formatting characters: on terminals that reorder text (VTE, Konsole) they make
 * code read differently from what runs ("Trojan Source"). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A message: every control character but newline and tab shown as a visible symbol. */
export function visibleControls(text: string): string {
  return text.replace(CONTROL, visible);
}

/** Code: as {@linkcode visibleControls}, and bidirectional formatting characters as `<U+202E>`. */
export function visibleCode(text: string): string {
  return visibleControls(text).replace(
    BIDI,
    (ch) => `<U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}>`,
  );
}

/** Program output: colours and carriage returns kept, every other control sequence dropped. */
export function safeOutput(text: string): string {
  let out = "";
  let at = 0;
  while (at < text.length) {
    const esc = text.indexOf("\x1b", at);
    const end = esc < 0 ? text.length : esc;
    out += text.slice(at, end).replace(CONTROL, (ch) => ch === "\r" ? ch : "");
    if (esc < 0) break;
    SEQUENCE.lastIndex = esc;
    const m = SEQUENCE.exec(text);
    const sequence = m ? m[0] : "\x1b";
    if (SGR.test(sequence)) out += sequence;
    at = esc + Math.max(1, sequence.length);
  }
  return out;
}
