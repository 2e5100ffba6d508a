/**
 * Image resizing and the size caps of images sent to models: longest edge at most 1568 px and at
 * most 3.75 MB (what Anthropic and OpenAI accept without resizing themselves); screenshots at most
 * 1280 px wide.
 *
 * @module
 */

import { decodePng, encodePng, isPng, pngSize, type RgbaImage } from "./png.ts";

/** The longest edge of an image sent to a model, in pixels. */
const MAX_IMAGE_EDGE = 1568;
/** The most bytes of an image sent to a model. */
export const MAX_IMAGE_BYTES = 3_750_000;
/** The widest a screenshot sent to a model gets, in pixels. */
export const MAX_SCREENSHOT_WIDTH = 1280;

/**
 * Scales an image to `size`: an area average when shrinking (sharp text, no aliasing),
 * bilinear when growing (used to enlarge small text before OCR).
 */
export function resizeImage(
  image: RgbaImage,
  size: { width: number; height: number },
): RgbaImage {
  const width = Math.max(1, Math.round(size.width));
  const height = Math.max(1, Math.round(size.height));
  if (width === image.width && height === image.height) return image;
  const out = new Uint8Array(width * height * 4);
  const sx = image.width / width;
  const sy = image.height / height;
  const src = image.data;
  const sw = image.width;
  if (sx >= 1 && sy >= 1) {
    for (let y = 0; y < height; y++) {
      const y0 = Math.floor(y * sy);
      const y1 = Math.max(y0 + 1, Math.min(image.height, Math.floor((y + 1) * sy)));
      for (let x = 0; x < width; x++) {
        const x0 = Math.floor(x * sx);
        const x1 = Math.max(x0 + 1, Math.min(sw, Math.floor((x + 1) * sx)));
        let r = 0, g = 0, b = 0, a = 0;
        for (let yy = y0; yy < y1; yy++) {
          let p = (yy * sw + x0) * 4;
          for (let xx = x0; xx < x1; xx++, p += 4) {
            r += src[p];
            g += src[p + 1];
            b += src[p + 2];
            a += src[p + 3];
          }
        }
        const n = (y1 - y0) * (x1 - x0);
        const d = (y * width + x) * 4;
        out[d] = r / n;
        out[d + 1] = g / n;
        out[d + 2] = b / n;
        out[d + 3] = a / n;
      }
    }
  } else {
    for (let y = 0; y < height; y++) {
      const fy = Math.min(image.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(image.height - 1, y0 + 1);
      const wy = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(sw - 1, x0 + 1);
        const wx = fx - x0;
        const d = (y * width + x) * 4;
        for (let c = 0; c < 4; c++) {
          const top = src[(y0 * sw + x0) * 4 + c] * (1 - wx) + src[(y0 * sw + x1) * 4 + c] * wx;
          const bottom = src[(y1 * sw + x0) * 4 + c] * (1 - wx) + src[(y1 * sw + x1) * 4 + c] * wx;
          out[d + c] = Math.round(top * (1 - wy) + bottom * wy);
        }
      }
    }
  }
  return { width, height, data: out };
}

/** Options of {@link capImage}. */
export interface CapImageOptions {
  /** Longest edge in pixels (default {@link MAX_IMAGE_EDGE}). */
  maxEdge?: number;
  /** Widest in pixels (default none; {@link MAX_SCREENSHOT_WIDTH} for screenshots). */
  maxWidth?: number;
  /** Most bytes (default {@link MAX_IMAGE_BYTES}). */
  maxBytes?: number;
}

/**
 * Makes an image fit the caps: returns the PNG bytes unchanged when they already fit, else a
 * smaller PNG. Non-PNG images (JPEG, GIF, WebP) are returned unchanged when they fit the byte cap
 * and otherwise refused with a one-line error (only PNG is decoded here).
 */
export function capImage(bytes: Uint8Array, options: CapImageOptions = {}): Uint8Array {
  const maxEdge = options.maxEdge ?? MAX_IMAGE_EDGE;
  const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
  const maxWidth = options.maxWidth ?? Infinity;
  if (!isPng(bytes)) {
    if (bytes.length <= maxBytes) return bytes;
    throw new Error(`the image is ${bytes.length} bytes (at most ${maxBytes}); save it as PNG`);
  }
  const size = pngSize(bytes)!;
  const fits = (w: number, h: number) => Math.max(w, h) <= maxEdge && w <= maxWidth;
  if (fits(size.width, size.height) && bytes.length <= maxBytes) return bytes;
  const image = decodePng(bytes);
  let scale = Math.min(1, maxEdge / Math.max(image.width, image.height), maxWidth / image.width);
  for (let attempt = 0; attempt < 8; attempt++) {
    const out = encodePng(
      resizeImage(image, { width: image.width * scale, height: image.height * scale }),
      { level: 6 },
    );
    if (out.length <= maxBytes) return out;
    scale *= Math.sqrt(maxBytes / out.length) * 0.95;
  }
  throw new Error("the image cannot be made small enough to send");
}
