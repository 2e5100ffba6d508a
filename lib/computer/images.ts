/**
 * Images a session hands over (a matplotlib figure): accepted only as bytes
 * that are a complete PNG, JPEG, GIF or WebP file of at most
 * {@linkcode MAX_IMAGE_BYTES}. The structure is walked, not just the first
 * bytes: anything else (text, a forged record's junk, a truncated file) is refused.
 *
 * @module
 */

import type { LmcChunk } from "../wire/lmc.ts";

/** The largest image a run may hand over, in bytes (10 MiB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** An image format the computer passes on. */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp";

/** The format of `bytes` when they are a well-formed image of a known kind, else undefined. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length > MAX_IMAGE_BYTES) return undefined;
  if (isPng(bytes)) return "png";
  if (isJpeg(bytes)) return "jpeg";
  if (isGif(bytes)) return "gif";
  if (isWebp(bytes)) return "webp";
  return undefined;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
}

function u32le(bytes: Uint8Array, at: number): number {
  return bytes[at] + (bytes[at + 1] << 8) + (bytes[at + 2] << 16) + ((bytes[at + 3] << 24) >>> 0);
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Signature, IHDR first, every chunk whole with a correct CRC, IEND last and at the end. */
function isPng(bytes: Uint8Array): boolean {
  if (!startsWith(bytes, PNG_SIGNATURE)) return false;
  let at = 8;
  let first = true;
  while (at + 12 <= bytes.length) {
    const length = u32be(bytes, at);
    const type = ascii(bytes, at + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type) || at + 12 + length > bytes.length) return false;
    if (first && (type !== "IHDR" || length !== 13)) return false;
    if (first && (u32be(bytes, at + 8) === 0 || u32be(bytes, at + 12) === 0)) return false;
    first = false;
    const crc = u32be(bytes, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== crc) return false;
    at += 12 + length;
    if (type === "IEND") return at === bytes.length;
  }
  return false;
}

/** SOI, well-formed segments up to a frame header and a scan, EOI at the end. */
function isJpeg(bytes: Uint8Array): boolean {
  if (!startsWith(bytes, [0xff, 0xd8, 0xff])) return false;
  if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) return false;
  let at = 2;
  let frame = false;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return false;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (
      marker === 0xd8 || marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)
    ) {
      return false; // no standalone marker belongs before the first scan
    }
    const length = (bytes[at + 2] << 8) + bytes[at + 3];
    if (length < 2 || at + 2 + length > bytes.length) return false;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) frame = true;
    if (marker === 0xda) return frame && at + 2 + length <= bytes.length - 2;
    at += 2 + length;
  }
  return false;
}

/** Header, screen descriptor, blocks (extensions and images with their sub-blocks), trailer. */
function isGif(bytes: Uint8Array): boolean {
  const header = ascii(bytes, 0, 6);
  if ((header !== "GIF87a" && header !== "GIF89a") || bytes.length < 14) return false;
  let at = 13;
  if (bytes[10] & 0x80) at += 3 * (1 << ((bytes[10] & 0x07) + 1));
  const subBlocks = (from: number): number => {
    let p = from;
    while (p < bytes.length) {
      const size = bytes[p];
      p += 1 + size;
      if (size === 0) return p;
    }
    return -1;
  };
  let images = 0;
  while (at < bytes.length) {
    const block = bytes[at];
    if (block === 0x3b) return images > 0 && at === bytes.length - 1;
    if (block === 0x21) {
      at = subBlocks(at + 2);
    } else if (block === 0x2c) {
      if (at + 10 > bytes.length) return false;
      const flags = bytes[at + 9];
      at += 10;
      if (flags & 0x80) at += 3 * (1 << ((flags & 0x07) + 1));
      at = subBlocks(at + 1); // after the LZW minimum code size
      images++;
    } else return false;
    if (at < 0) return false;
  }
  return false;
}

/** RIFF size matching the data, WEBP, chunks that fill it exactly, a VP8/VP8L/VP8X chunk first. */
function isWebp(bytes: Uint8Array): boolean {
  if (bytes.length < 20 || ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 4) !== "WEBP") {
    return false;
  }
  if (u32le(bytes, 4) + 8 !== bytes.length) return false;
  let at = 12;
  let first = true;
  while (at + 8 <= bytes.length) {
    const type = ascii(bytes, at, 4);
    const size = u32le(bytes, at + 4);
    if (first && !["VP8 ", "VP8L", "VP8X"].includes(type)) return false;
    first = false;
    at += 8 + size + (size & 1);
    if (at > bytes.length) return false;
  }
  return !first && at === bytes.length;
}

/** Where a run collects an image that arrives in base64 pieces (`I` records). */
export interface ImageReceiver {
  /** Base64 pieces of the image being received, and their length; undefined: none. */
  image: { pieces: string[]; length: number } | undefined;
  /** Notes about images that were refused (shown once, at the end). */
  imageNotes: Set<string>;
  /** Where the finished image chunk goes. */
  feed: { push(chunk: LmcChunk): void };
}

/**
 * Takes one piece of an image (`""` ends it): pieces must be base64 and the
 * image at most {@linkcode MAX_IMAGE_BYTES}; the finished image is pushed only
 * when it is a complete PNG, JPEG, GIF or WebP file, else a note says why not.
 */
export function receiveImagePiece(run: ImageReceiver, piece: string): void {
  if (piece !== "") {
    if (!/^[A-Za-z0-9+/=]+$/.test(piece)) {
      run.image = undefined;
      run.imageNotes.add("[an image was left out: its data was not base64]");
      return;
    }
    run.image ??= { pieces: [], length: 0 };
    run.image.length += piece.length;
    if (run.image.length > Math.ceil(MAX_IMAGE_BYTES / 3) * 4) {
      run.image = undefined;
      run.imageNotes.add(
        `[an image was left out: it is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MiB]`,
      );
      return;
    }
    run.image.pieces.push(piece);
    return;
  }
  const image = run.image;
  run.image = undefined;
  if (!image) return;
  const content = image.pieces.join("");
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(content), (c) => c.charCodeAt(0));
  } catch {
    run.imageNotes.add("[an image was left out: its data was not base64]");
    return;
  }
  const format = imageFormat(bytes);
  if (!format) {
    run.imageNotes.add("[an image was left out: it is not a complete PNG, JPEG, GIF or WebP]");
    return;
  }
  run.feed.push({ role: "computer", type: "image", format: `base64.${format}`, content });
}
