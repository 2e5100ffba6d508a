/**
 * The Computer API's view of the screen: screenshots scaled to at most 1280 px wide, OCR, and the
 * conversion between screenshot pixels (what the model sees and gives) and screen pixels (what
 * the backend takes).
 *
 * @module
 */

import type { DesktopBackend, Point } from "./backend.ts";
import { findText, readText, recognize, type TextMatch } from "./ocr.ts";
import { encodePng, type RgbaImage } from "./png.ts";
import { MAX_SCREENSHOT_WIDTH, resizeImage } from "./resize.ts";

/** A screenshot as sent to the model and shown to the person. */
export interface Screenshot {
  /** PNG bytes. */
  png: Uint8Array;
  /** Width in screenshot pixels. */
  width: number;
  /** Height in screenshot pixels. */
  height: number;
}

/** A screen reader bound to one backend. */
export class Screen {
  #backend: DesktopBackend;
  #maxWidth: number;
  #size: { width: number; height: number } | null = null;

  /** Reads `backend`'s screen; screenshots at most `maxWidth` px wide. */
  constructor(backend: DesktopBackend, options: { maxWidth?: number } = {}) {
    this.#backend = backend;
    this.#maxWidth = options.maxWidth ?? MAX_SCREENSHOT_WIDTH;
  }

  /** The backend in use. */
  get backend(): DesktopBackend {
    return this.#backend;
  }

  /** The screen's size in screen pixels (read once, refreshed by each screenshot). */
  async screenSize(): Promise<{ width: number; height: number }> {
    this.#size ??= await this.#backend.screenSize();
    return this.#size;
  }

  /** Screenshot pixels per screen pixel (at most 1). */
  async scale(): Promise<number> {
    const { width } = await this.screenSize();
    return Math.min(1, this.#maxWidth / width);
  }

  /** The screen's size in screenshot pixels. */
  async size(): Promise<{ width: number; height: number }> {
    const s = await this.screenSize();
    const k = await this.scale();
    return { width: Math.round(s.width * k), height: Math.round(s.height * k) };
  }

  /** A screenshot-pixel point in screen pixels. */
  async toScreen(p: Point): Promise<Point> {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new Error("x and y must be numbers");
    const k = await this.scale();
    const s = await this.screenSize();
    return {
      x: Math.min(s.width - 1, Math.max(0, Math.round(p.x / k))),
      y: Math.min(s.height - 1, Math.max(0, Math.round(p.y / k))),
    };
  }

  /** A screen-pixel point in screenshot pixels. */
  async fromScreen(p: Point): Promise<Point> {
    const k = await this.scale();
    return { x: Math.round(p.x * k), y: Math.round(p.y * k) };
  }

  /** The whole screen in screen pixels (also refreshes the cached size). */
  async capture(): Promise<RgbaImage> {
    const image = await this.#backend.screenshot();
    // A retina screen gives more pixels than the input's points: the size stays the backend's.
    this.#size ??= await this.#backend.screenSize();
    return image;
  }

  /** A screenshot at most `maxWidth` wide, as PNG. */
  async screenshot(): Promise<Screenshot> {
    const image = await this.capture();
    const target = await this.size();
    const scaled = resizeImage(image, { width: target.width, height: target.height });
    return { png: encodePng(scaled), width: scaled.width, height: scaled.height };
  }

  /**
   * Where `text` is on the screen, in screenshot pixels. OCR runs on the full-resolution screen;
   * when nothing is found it runs again on the screen enlarged 2x (small terminal fonts).
   */
  async findText(text: string): Promise<TextMatch[]> {
    const image = await this.capture();
    const s = await this.screenSize();
    // Screen pixels per image pixel (a retina capture has more image pixels than points).
    const imageToScreen = s.width / image.width;
    let matches = findText(await recognize(image), text);
    let factor = imageToScreen;
    if (matches.length === 0) {
      const big = resizeImage(image, { width: image.width * 2, height: image.height * 2 });
      matches = findText(await recognize(big), text);
      factor = imageToScreen / 2;
    }
    const k = (await this.scale()) * factor;
    return matches.map((m) => ({
      text: m.text,
      x: Math.round(m.x * k),
      y: Math.round(m.y * k),
      left: Math.round(m.left * k),
      top: Math.round(m.top * k),
      width: Math.round(m.width * k),
      height: Math.round(m.height * k),
    }));
  }

  /** The text on the screen, line by line (read again enlarged 2x when nothing was read). */
  text(): Promise<string> {
    return this.capture().then(readText);
  }
}
