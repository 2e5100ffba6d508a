/**
 * Reads X Window Dump files (what `xwd -root -silent` writes) into RGBA pixels: ZPixmap images of
 * TrueColor/DirectColor visuals at 16, 24 or 32 bits per pixel, in either byte order.
 *
 * @module
 */

import type { RgbaImage } from "./png.ts";

const HEADER_FIELDS = 25;

function shiftOf(mask: number): number {
  let shift = 0;
  while (mask && !(mask & 1)) {
    mask >>>= 1;
    shift++;
  }
  return shift;
}

function widthOf(mask: number): number {
  let m = mask >>> shiftOf(mask);
  let bits = 0;
  while (m & 1) {
    m >>>= 1;
    bits++;
  }
  return bits;
}

/** Decodes XWD bytes to RGBA; throws a one-line error on a format it does not read. */
export function decodeXwd(bytes: Uint8Array): RgbaImage {
  if (bytes.length < HEADER_FIELDS * 4) throw new Error("XWD: file too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // xwd writes its header most significant byte first; accept the other order too.
  const big = view.getUint32(4, false) === 7;
  if (!big && view.getUint32(4, true) !== 7) throw new Error("XWD: not an X Window Dump (v7)");
  const field = (i: number): number => view.getUint32(i * 4, !big);
  const headerSize = field(0);
  const format = field(2);
  const width = field(4);
  const height = field(5);
  const pixelMsbFirst = field(7) === 1;
  const bitsPerPixel = field(11);
  const bytesPerLine = field(12);
  const visualClass = field(13);
  const masks = [field(14), field(15), field(16)];
  const colours = field(19);
  if (format !== 2) throw new Error("XWD: only ZPixmap images are read");
  if (visualClass !== 4 && visualClass !== 5) {
    throw new Error("XWD: only TrueColor/DirectColor screens are read");
  }
  if (![16, 24, 32].includes(bitsPerPixel)) {
    throw new Error(`XWD: ${bitsPerPixel} bits per pixel is not read`);
  }
  const start = headerSize + colours * 12;
  if (start + bytesPerLine * height > bytes.length) throw new Error("XWD: truncated image");
  const out = new Uint8Array(width * height * 4);
  const step = bitsPerPixel >> 3;
  // The common case: 32-bit pixels B,G,R,X in memory order (little-endian 0xRRGGBB masks).
  if (
    step === 4 && !pixelMsbFirst && masks[0] === 0xff0000 && masks[1] === 0xff00 &&
    masks[2] === 0xff
  ) {
    for (let y = 0; y < height; y++) {
      let s = start + y * bytesPerLine;
      let d = y * width * 4;
      for (let x = 0; x < width; x++, s += 4, d += 4) {
        out[d] = bytes[s + 2];
        out[d + 1] = bytes[s + 1];
        out[d + 2] = bytes[s];
        out[d + 3] = 255;
      }
    }
    return { width, height, data: out };
  }
  const shifts = masks.map(shiftOf);
  const maxes = masks.map((m) => (1 << widthOf(m)) - 1);
  for (let y = 0; y < height; y++) {
    let s = start + y * bytesPerLine;
    let d = y * width * 4;
    for (let x = 0; x < width; x++, s += step, d += 4) {
      let pixel = 0;
      for (let i = 0; i < step; i++) {
        const b = bytes[s + i];
        pixel = pixelMsbFirst ? (pixel << 8) | b : pixel | (b << (8 * i));
      }
      pixel >>>= 0;
      for (let c = 0; c < 3; c++) {
        const v = (pixel & masks[c]) >>> shifts[c];
        out[d + c] = maxes[c] === 255 ? v : Math.round((v * 255) / (maxes[c] || 1));
      }
      out[d + 3] = 255;
    }
  }
  return { width, height, data: out };
}
