/**
 * Sixel graphics (DEC): an RGBA image as the escape sequence foot, mlterm, Windows Terminal,
 * Konsole and xterm (-ti vt340) draw. Colours are quantized to a 6x6x6 cube (216 registers);
 * each band of 6 rows is written colour by colour with run-length encoding.
 *
 * @module
 */

/** An image as 8-bit RGBA pixels, row after row. */
export interface SixelImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height * 4` bytes. */
  data: Uint8Array;
}

const LEVEL = (v: number): number => Math.min(5, Math.round(v / 51));

/** The sixel escape sequence (DCS ... ST) drawing `image`; transparent pixels are left out. */
export function encodeSixel(image: SixelImage): string {
  const { width, height, data } = image;
  const index = new Int16Array(width * height);
  const used = new Set<number>();
  for (let i = 0; i < width * height; i++) {
    if (data[i * 4 + 3] < 128) {
      index[i] = -1;
      continue;
    }
    const c = LEVEL(data[i * 4]) * 36 + LEVEL(data[i * 4 + 1]) * 6 + LEVEL(data[i * 4 + 2]);
    index[i] = c;
    used.add(c);
  }
  let out = `\x1bP0;1;0q"1;1;${width};${height}`;
  for (const c of [...used].sort((a, b) => a - b)) {
    const r = Math.floor(c / 36), g = Math.floor(c / 6) % 6, b = c % 6;
    out += `#${c};2;${r * 20};${g * 20};${b * 20}`;
  }
  for (let top = 0; top < height; top += 6) {
    const colours = new Set<number>();
    for (let y = top; y < Math.min(height, top + 6); y++) {
      for (let x = 0; x < width; x++) {
        if (index[y * width + x] >= 0) colours.add(index[y * width + x]);
      }
    }
    const rows: string[] = [];
    for (const c of colours) {
      let row = `#${c}`;
      let run = 0;
      let prev = -1;
      const flush = () => {
        if (run === 0) return;
        const ch = String.fromCharCode(63 + prev);
        row += run > 3 ? `!${run}${ch}` : ch.repeat(run);
      };
      for (let x = 0; x < width; x++) {
        let bits = 0;
        for (let k = 0; k < 6 && top + k < height; k++) {
          if (index[(top + k) * width + x] === c) bits |= 1 << k;
        }
        if (bits === prev) run++;
        else {
          flush();
          prev = bits;
          run = 1;
        }
      }
      flush();
      rows.push(row);
    }
    out += rows.join("$") + "-";
  }
  return out + "\x1b\\";
}
