/**
 * PNG encoding and decoding of 8-bit RGBA images, with node:zlib for the compression.
 * Decodes what screenshots, plots and photos saved as PNG use: bit depth 8 (and 1/2/4 for
 * grey and palette images), colour types grey, RGB, palette, grey+alpha, RGBA, all five filters;
 * interlaced images and 16-bit depth are decoded too (16-bit is cut to its high byte).
 *
 * @module
 */

import { deflateSync, inflateSync } from "node:zlib";

/** An image as 8-bit RGBA pixels, row after row. */
export interface RgbaImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height * 4` bytes: red, green, blue, alpha. */
  data: Uint8Array;
}

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE: Uint8Array = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** zlib level 0-9 (default 1: screenshots compress well and fast). */
  level?: number;
  /** Drop the alpha channel (colour type 2) when every pixel is opaque (default true). */
  dropOpaqueAlpha?: boolean;
}

/** Encodes an RGBA image as PNG bytes (filter "up" per row, which suits screenshots). */
export function encodePng(image: RgbaImage, options: EncodePngOptions = {}): Uint8Array {
  const { width, height, data } = image;
  if (data.length !== width * height * 4) throw new Error("image data does not match its size");
  let opaque = options.dropOpaqueAlpha ?? true;
  if (opaque) {
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] !== 255) {
        opaque = false;
        break;
      }
    }
  }
  const channels = opaque ? 3 : 4;
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  const row = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    let o = 0;
    let p = y * width * 4;
    if (channels === 4) {
      row.set(data.subarray(p, p + stride));
    } else {
      for (let x = 0; x < width; x++, p += 4) {
        row[o++] = data[p];
        row[o++] = data[p + 1];
        row[o++] = data[p + 2];
      }
    }
    const base = y * (stride + 1);
    raw[base] = 2; // Up
    for (let i = 0; i < stride; i++) raw[base + 1 + i] = (row[i] - prev[i]) & 0xff;
    prev.set(row);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8;
  header[9] = opaque ? 2 : 6;
  const idat = new Uint8Array(deflateSync(raw, { level: options.level ?? 1 }));
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The width and height from a PNG's header, without decoding it (null when not a PNG). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24 || !isPng(bytes)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Undoes the row filters of one (sub)image starting at `at` in the inflated data. */
function unfilter(
  data: Uint8Array,
  { at, rowBytes, rows, bpp }: { at: number; rowBytes: number; rows: number; bpp: number },
): { rows: Uint8Array; next: number } {
  if (at + rows * (rowBytes + 1) > data.length) throw new Error("PNG: damaged image data");
  const out = new Uint8Array(rowBytes * rows);
  for (let y = 0; y < rows; y++) {
    const type = data[at++];
    const o = y * rowBytes;
    for (let x = 0; x < rowBytes; x++) {
      const v = data[at++];
      const a = x >= bpp ? out[o + x - bpp] : 0;
      const b = y > 0 ? out[o - rowBytes + x] : 0;
      const c = x >= bpp && y > 0 ? out[o - rowBytes + x - bpp] : 0;
      let r: number;
      switch (type) {
        case 0:
          r = v;
          break;
        case 1:
          r = v + a;
          break;
        case 2:
          r = v + b;
          break;
        case 3:
          r = v + ((a + b) >> 1);
          break;
        case 4: { // Paeth: the neighbour nearest to a + b - c
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          r = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`PNG: unknown filter type ${type}`);
      }
      out[o + x] = r & 0xff;
    }
  }
  return { rows: out, next: at };
}

/** Decodes PNG bytes to RGBA; throws a one-line error on anything it cannot read. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  if (!isPng(bytes)) throw new Error("not a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new Error("PNG: truncated file");
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = bytes[at + 16];
      colour = bytes[at + 17];
      interlace = bytes[at + 20];
    } else if (type === "PLTE") palette = body;
    else if (type === "tRNS") trns = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") {
      ended = true;
      break;
    }
    at += 12 + length;
  }
  if (!width || !height) throw new Error("PNG: no image header");
  if (!ended) throw new Error("PNG: truncated file");
  if (width * height > 100_000_000) throw new Error("PNG: image too large");
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour];
  if (!channels) throw new Error(`PNG: unknown colour type ${colour}`);
  const joined = new Uint8Array(idat.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of idat) {
    joined.set(b, o);
    o += b.length;
  }
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(inflateSync(joined));
  } catch (e) {
    throw new Error(`PNG: damaged image data (${e instanceof Error ? e.message : e})`);
  }
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const out = new Uint8Array(width * height * 4);
  const passes = interlace
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [
      0,
      1,
      1,
      2,
    ]]
    : [[0, 0, 1, 1]];
  let pos = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    const { rows, next } = unfilter(raw, { at: pos, rowBytes, rows: ph, bpp });
    pos = next;
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const sample = (i: number): number => {
          if (depth === 8) return rows[y * rowBytes + x * channels + i];
          if (depth === 16) return rows[y * rowBytes + (x * channels + i) * 2];
          const bit = (x * channels + i) * depth;
          const byte = rows[y * rowBytes + (bit >> 3)];
          const v = (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
          return colour === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
        };
        const d = ((y0 + y * dy) * width + x0 + x * dx) * 4;
        if (colour === 3) {
          const i = sample(0);
          if (!palette || i * 3 + 2 >= palette.length) throw new Error("PNG: bad palette index");
          out[d] = palette[i * 3];
          out[d + 1] = palette[i * 3 + 1];
          out[d + 2] = palette[i * 3 + 2];
          out[d + 3] = trns && i < trns.length ? trns[i] : 255;
        } else if (colour === 0 || colour === 4) {
          const g = sample(0);
          out[d] = out[d + 1] = out[d + 2] = g;
          out[d + 3] = colour === 4 ? sample(1) : 255;
        } else {
          out[d] = sample(0);
          out[d + 1] = sample(1);
          out[d + 2] = sample(2);
          out[d + 3] = colour === 6 ? sample(3) : 255;
        }
      }
    }
  }
  return { width, height, data: out };
}
