/**
 * What a desktop backend (X11, Wayland, macOS) offers: screen pixels and input, always in the
 * screen's own pixels. The Computer API (`api.ts`) scales to screenshot pixels and adds OCR.
 *
 * @module
 */

import type { RgbaImage } from "./png.ts";

/** A mouse button. */
export type MouseButton = "left" | "middle" | "right";

/** A point on the screen. */
export interface Point {
  /** Horizontal, from the left. */
  x: number;
  /** Vertical, from the top. */
  y: number;
}

/** The operations every desktop backend implements. */
export interface DesktopBackend {
  /** The backend's name: `x11`, `wayland`, `macos`. */
  readonly name: string;
  /** The whole screen. */
  screenshot(): Promise<RgbaImage>;
  /** The screen's size in pixels. */
  screenSize(): Promise<{ width: number; height: number }>;
  /** Where the pointer is. */
  pointer(): Promise<Point>;
  /** Moves the pointer. */
  move(to: Point): Promise<void>;
  /** Moves the pointer to `to` (when given) and clicks `clicks` times. */
  click(to: Point | null, options: { button: MouseButton; clicks: number }): Promise<void>;
  /** Presses (`down`) or releases a mouse button where the pointer is. */
  button(button: MouseButton, down: boolean): Promise<void>;
  /** Scrolls by wheel clicks: positive `dy` down, positive `dx` right. */
  scroll(dx: number, dy: number): Promise<void>;
  /** Holds the left button from `from` to `to`. */
  drag(from: Point, to: Point): Promise<void>;
  /** Types text as keystrokes. */
  type(text: string): Promise<void>;
  /** Presses and releases each key in turn (Open Interpreter key names). */
  press(keys: string[]): Promise<void>;
  /** Holds all keys together, then releases them (a chord such as ctrl+c). */
  hotkey(keys: string[]): Promise<void>;
  /** Holds (`down`) or releases keys. */
  key(keys: string[], down: boolean): Promise<void>;
  /** The clipboard's text ("" when empty). */
  readClipboard(): Promise<string>;
  /** Replaces the clipboard's text. */
  writeClipboard(text: string): Promise<void>;
  /** The selected text, read without touching the clipboard ("" when none). */
  selectedText(): Promise<string>;
  /** Shows a desktop notification. */
  notify(text: string): Promise<void>;
}
