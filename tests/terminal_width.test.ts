/**
 * Columns on screen by grapheme cluster (Intl.Segmenter): emoji with skin
 * tones, ZWJ families and VS16 take two columns, as terminals draw them;
 * wrapping and clipping never split a cluster.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { clipEnd, clipStart, graphemes, visibleWidth } from "../lib/terminal/ansi.ts";
import { wrapStyled } from "../lib/terminal/wrap.ts";

Deno.test("visibleWidth counts grapheme clusters as terminals draw them", () => {
  const cases: [string, number][] = [
    ["👍🏽", 2], // skin tone: one emoji
    ["👨‍👩‍👧", 2], // ZWJ family
    ["✔️", 2], // VS16 makes it an emoji
    ["✔", 1], // control: text presentation
    ["🇫🇷", 2], // flag
    ["1️⃣", 2], // keycap
    ["中文", 4],
    ["e\u0301", 1], // combining accent
    ["abc", 3],
    ["\x1b[1mbold\x1b[0m", 4],
    ["a👍🏽b", 4],
  ];
  for (const [text, width] of cases) assertEquals(visibleWidth(text), width, JSON.stringify(text));
  assertEquals(graphemes("a👨‍👩‍👧b"), ["a", "👨‍👩‍👧", "b"]);
});

Deno.test("clipping and wrapping keep clusters whole and rows within the width", () => {
  const family = "👨‍👩‍👧";
  const text = `${family}${family}${family}${family}${family}`; // 10 columns
  const clipped = clipEnd(text, 7);
  assertEquals(clipped, `${family}${family}${family}…`);
  assertEquals(visibleWidth(clipped), 7);
  assertEquals(clipStart(text, 5), `…${family}${family}`);
  const rows = wrapStyled(`ok ${"👍🏽".repeat(12)} done`, 10, { words: true });
  assert(rows.length > 2, `${rows}`);
  for (const row of rows) {
    assert(visibleWidth(row) <= 10, `too wide: ${row}`);
    assert(!graphemes(row).includes("\u{1F3FD}"), `a skin tone was split off: ${row}`);
  }
  assertEquals(rows.join("").replaceAll(" ", ""), `ok${"👍🏽".repeat(12)}done`);
});
