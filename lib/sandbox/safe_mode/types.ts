/**
 * Shared types of the safe-mode analysers (one module per language).
 *
 * @module
 */

/** How bad a finding is. */
export type FindingLevel = "warning" | "unsafe";

/** One thing found, on a 1-based line of the scanned code. */
export interface Finding {
  /** How bad it is. */
  level: FindingLevel;
  /** What it is, in words the person and the model understand. */
  reason: string;
  /** 1-based line. */
  line: number;
}

/** A text the pattern rules read, and the line of the scanned code each index falls on. */
export interface TextView {
  /** The text (code as written, normalised code, or a command string). */
  text: string;
  /** The line of the scanned code an index of `text` belongs to. */
  lineAt: (index: number) => number;
}

/** Code in another language found inside the scanned code (`python3 -c '…'`, `exec('…')`). */
export interface NestedCode {
  /** Its language (`shell`, `python`, `javascript`, `perl`, `ruby`). */
  language: string;
  /** The code, fully known. */
  code: string;
  /** The line of the scanned code it sits on. */
  line: number;
}

/** What a language analyser hands back to the scanner. */
export interface Analysis {
  /** Findings of its own (code that cannot be read statically, downloads run later…). */
  findings: Finding[];
  /** Command strings to scan as shell (normalised: quotes, variables, escapes resolved). */
  shellViews: TextView[];
  /** Normalised source for the language's own rules (names resolved, strings folded). */
  sourceViews: TextView[];
  /** Code in other languages (or the same) to scan in turn. */
  nested: NestedCode[];
}

/**
 * Stands for a part of a string the scanner cannot know (a variable, a call's
 * result). Private-use character, so it never occurs in real code.
 */
export const HOLE = "\u{F8FF}";

/** A line function for a text: binary search over the starts of its lines, plus an offset. */
export function lineFinder(text: string, firstLine = 1): (index: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (index: number) => firstLine + lastAtOrBefore(starts, index);
}

/** The position of the last of the ascending `starts` (the first is 0) at or before `index`. */
function lastAtOrBefore(starts: number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A short excerpt of code for a reason, in backticks: one line, at most 40 characters. */
export function excerpt(text: string): string {
  const one = text.replaceAll(HOLE, "…").replace(/\s+/g, " ").trim();
  return "`" + (one.length > 40 ? one.slice(0, 39) + "…" : one) + "`";
}

/**
 * Several views as one (joined by newlines, duplicates dropped), so that each
 * rule runs once over all of them; indexes map back to each view's lines.
 */
export function combine(views: TextView[]): TextView {
  const seen = new Set<string>();
  const kept = views.filter((v) => !seen.has(v.text) && seen.add(v.text));
  const starts: number[] = [];
  let at = 0;
  for (const v of kept) {
    starts.push(at);
    at += v.text.length + 1;
  }
  const text = kept.map((v) => v.text).join("\n");
  const lineAt = (index: number) => {
    const lo = lastAtOrBefore(starts, index);
    return kept[lo]?.lineAt(index - starts[lo]) ?? 1;
  };
  return { text, lineAt };
}
