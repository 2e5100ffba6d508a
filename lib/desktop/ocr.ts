/**
 * Optical character recognition with the `tesseract` command (TSV output, one thread:
 * `OMP_THREAD_LIMIT=1` made it 2.3x faster on this 2-core machine), and finding a text on the
 * screen by matching across the words of one line.
 *
 * @module
 */

import { encodePng, type RgbaImage } from "./png.ts";
import { resizeImage } from "./resize.ts";
import { runProgram } from "./programs.ts";

/** The bound of one tesseract run, in ms. */
const OCR_TIMEOUT_MS = 20_000;

/** One word tesseract read, in the pixels of the image it was given. */
export interface OcrWord {
  /** The word as read. */
  text: string;
  /** Left edge. */
  left: number;
  /** Top edge. */
  top: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Confidence 0-100. */
  confidence: number;
  /** The line it belongs to (block, paragraph and line numbers joined). */
  line: string;
}

/** A box on the screen where a text was found (its centre is `x`, `y`). */
export interface TextMatch {
  /** The words that matched, as read. */
  text: string;
  /** Centre, horizontal. */
  x: number;
  /** Centre, vertical. */
  y: number;
  /** Left edge. */
  left: number;
  /** Top edge. */
  top: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** Parses tesseract's TSV output into words (level 5 rows with text). */
export function parseTsv(tsv: string): OcrWord[] {
  const words: OcrWord[] = [];
  for (const row of tsv.split("\n").slice(1)) {
    const f = row.split("\t");
    if (f.length < 12 || f[0] !== "5") continue;
    const text = f.slice(11).join("\t").trim();
    if (!text) continue;
    words.push({
      text,
      left: Number(f[6]),
      top: Number(f[7]),
      width: Number(f[8]),
      height: Number(f[9]),
      confidence: Number(f[10]),
      line: `${f[1]}.${f[2]}.${f[3]}.${f[4]}`,
    });
  }
  return words;
}

/** Runs tesseract on an image and returns the words it read. */
export async function recognize(
  image: RgbaImage,
  options: { timeoutMs?: number } = {},
): Promise<OcrWord[]> {
  const result = await runProgram("tesseract", ["stdin", "stdout", "tsv"], {
    stdin: encodePng(image, { level: 1 }),
    env: { OMP_THREAD_LIMIT: "1" },
    timeoutMs: options.timeoutMs ?? OCR_TIMEOUT_MS,
  });
  if (result.code !== 0) {
    throw new Error(`tesseract failed: ${result.stderr.split("\n")[0] || result.code}`);
  }
  return parseTsv(new TextDecoder().decode(result.stdout));
}

function normalizeWord(word: string): string {
  return word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
}

/** Groups words by line, each line's words left to right. */
function groupLines(words: OcrWord[]): OcrWord[][] {
  const lines = new Map<string, OcrWord[]>();
  for (const w of words) {
    const list = lines.get(w.line) ?? [];
    list.push(w);
    lines.set(w.line, list);
  }
  return [...lines.values()].map((l) => l.sort((a, b) => a.left - b.left));
}

/** The text read, one line per OCR line, top to bottom. */
export function wordsToText(words: OcrWord[]): string {
  return groupLines(words)
    .sort((a, b) => a[0].top - b[0].top || a[0].left - b[0].left)
    .map((line) => line.map((w) => w.text).join(" "))
    .join("\n");
}

/**
 * Finds `query` in the words read: case and the punctuation around words are ignored, and a
 * query of several words matches consecutive words of one line (a query word may be part of the
 * first or last word, "Proc" finds "Proceed"). Returns one box per place found.
 */
export function findText(words: OcrWord[], query: string): TextMatch[] {
  const wanted = query.split(/\s+/).map(normalizeWord).filter(Boolean);
  if (wanted.length === 0) return [];
  const matches: TextMatch[] = [];
  for (const line of groupLines(words)) {
    const norm = line.map((w) => normalizeWord(w.text));
    for (let i = 0; i + wanted.length <= line.length; i++) {
      let ok = true;
      for (let k = 0; k < wanted.length && ok; k++) {
        const have = norm[i + k];
        const want = wanted[k];
        if (wanted.length === 1) ok = have.includes(want);
        else if (k === 0) ok = have.endsWith(want);
        else if (k === wanted.length - 1) ok = have.startsWith(want);
        else ok = have === want;
      }
      if (!ok) continue;
      const span = line.slice(i, i + wanted.length);
      const left = Math.min(...span.map((w) => w.left));
      const top = Math.min(...span.map((w) => w.top));
      const right = Math.max(...span.map((w) => w.left + w.width));
      const bottom = Math.max(...span.map((w) => w.top + w.height));
      matches.push({
        text: span.map((w) => w.text).join(" "),
        left,
        top,
        width: right - left,
        height: bottom - top,
        x: Math.round((left + right) / 2),
        y: Math.round((top + bottom) / 2),
      });
    }
  }
  return matches;
}

/** The text of an image, line by line; read again enlarged 2x when nothing was read (small fonts). */
export async function readText(image: RgbaImage): Promise<string> {
  const words = await recognize(image);
  if (words.length) return wordsToText(words);
  return wordsToText(
    await recognize(resizeImage(image, { width: image.width * 2, height: image.height * 2 })),
  );
}
