/**
 * Images on their way to the model: the person's image files are read (only images the person
 * gave, role `user`; never a path code could have written), every image is capped (longest edge
 * 1568 px, 3.75 MB), in `--os` mode only the last few images are kept (older ones become a
 * one-line note), and a model without vision gets the image's text read by OCR instead.
 * Results are cached per message object, so a long conversation is not re-read every turn.
 *
 * @module
 */

import { readText } from "./ocr.ts";
import { decodePng, isPng } from "./png.ts";
import { capImage, MAX_IMAGE_BYTES } from "./resize.ts";

/** The parts of an LMC message this module reads and writes. */
export interface ImageMessageLike {
  /** Who sent it. */
  role: string;
  /** `image` for images. */
  type: string;
  /** `base64.png`, `base64.jpeg`, `path`, ... and `text` for what this module replaces. */
  format?: string;
  /** The image (base64 or path), or the note's text. */
  content?: unknown;
}

/** Options of {@link prepareImages}. */
export interface PrepareImagesOptions {
  /** The model accepts images. */
  vision: boolean;
  /** Keep only the last this many images (older: a note). Default: all. */
  keepLast?: number;
  /** Read the text of an image for models without vision (default: tesseract). */
  ocr?: (png: Uint8Array) => Promise<string>;
  /** The largest image file read from a person's path (default 50 MB). */
  maxFileBytes?: number;
}

// One cache per kind of model: images (vision) or OCR notes (no vision).
const caches = {
  vision: new WeakMap<object, ImageMessageLike>(),
  text: new WeakMap<object, ImageMessageLike>(),
};

function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function base64ToBytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The image format of some bytes by their signature, or null. */
function imageKind(bytes: Uint8Array): "png" | "jpeg" | "gif" | "webp" | null {
  if (isPng(bytes)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (String.fromCharCode(...bytes.subarray(0, 4)) === "GIF8") return "gif";
  if (
    String.fromCharCode(...bytes.subarray(0, 4)) === "RIFF" &&
    String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP"
  ) return "webp";
  return null;
}

function note<T extends ImageMessageLike>(m: T, text: string): T {
  return { ...m, format: "text", content: text };
}

function defaultOcr(png: Uint8Array): Promise<string> {
  return readText(decodePng(png));
}

/** An image as bytes, or a note saying why it cannot be sent. */
async function loadImage(
  m: ImageMessageLike,
  maxFileBytes: number,
): Promise<{ bytes: Uint8Array } | { note: string }> {
  const format = m.format ?? "base64.png";
  if (typeof m.content !== "string") return { note: "(an image with no content)" };
  if (format === "path") {
    // Only the person's own image files are read: code could have written any other path.
    if (m.role !== "user") return { note: "(an image file the code named; not read)" };
    try {
      const info = await Deno.stat(m.content);
      if (!info.isFile) return { note: `(${m.content} is not a file)` };
      if (info.size > maxFileBytes) return { note: `(${m.content} is too large to send)` };
      return { bytes: await Deno.readFile(m.content) };
    } catch (e) {
      return { note: `(could not read the image ${m.content}: ${(e as Error).message})` };
    }
  }
  if (format.startsWith("base64")) {
    try {
      return { bytes: base64ToBytes(m.content) };
    } catch {
      return { note: "(an image that is not valid base64)" };
    }
  }
  return { note: `(an image in the ${format} format, not sent)` };
}

async function prepareOne<T extends ImageMessageLike>(
  m: T,
  options: PrepareImagesOptions,
): Promise<T> {
  const loaded = await loadImage(m, options.maxFileBytes ?? 50_000_000);
  if ("note" in loaded) return note(m, loaded.note);
  const kind = imageKind(loaded.bytes);
  if (!kind) return note(m, "(a file that is not a PNG, JPEG, GIF or WebP image)");
  if (!options.vision) {
    if (kind !== "png") return note(m, "(an image this model cannot see)");
    try {
      const text = (await (options.ocr ?? defaultOcr)(loaded.bytes)).trim();
      return note(
        m,
        text
          ? `(an image this model cannot see; its text, read by OCR:)\n${text}`
          : "(an image this model cannot see; OCR found no text in it)",
      );
    } catch (e) {
      return note(m, `(an image this model cannot see; OCR failed: ${(e as Error).message})`);
    }
  }
  if (kind !== "png") {
    if (loaded.bytes.length > MAX_IMAGE_BYTES) return note(m, "(an image too large to send)");
    return { ...m, format: `base64.${kind}`, content: bytesToBase64(loaded.bytes) };
  }
  try {
    const capped = capImage(loaded.bytes);
    if (capped === loaded.bytes && m.format === "base64.png") return m;
    return { ...m, format: "base64.png", content: bytesToBase64(capped) };
  } catch (e) {
    return note(m, `(an image that could not be sent: ${(e as Error).message})`);
  }
}

/**
 * The messages with their images ready for the model (see the module doc). Messages that are not
 * images are returned as they are; the array is new, the input is not changed.
 */
export async function prepareImages<T extends ImageMessageLike>(
  messages: readonly T[],
  options: PrepareImagesOptions,
): Promise<T[]> {
  const images = messages.flatMap((m, i) => (m.type === "image" && m.format !== "text" ? [i] : []));
  const dropped = new Set(
    options.keepLast === undefined
      ? []
      : images.slice(0, Math.max(0, images.length - options.keepLast)),
  );
  const out: T[] = [];
  for (const [i, m] of messages.entries()) {
    if (m.type !== "image" || m.format === "text") {
      out.push(m);
    } else if (dropped.has(i)) {
      out.push(note(m, "(an earlier image, left out to save room)"));
    } else {
      const cache = options.vision ? caches.vision : caches.text;
      const ready = (cache.get(m) as T | undefined) ?? await prepareOne(m, options);
      cache.set(m, ready);
      out.push(ready);
    }
  }
  return out;
}
