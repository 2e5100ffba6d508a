/**
 * The Computer API on the host, with Open Interpreter's names: `display`, `mouse`, `keyboard`,
 * `clipboard`, `os` (this module), `browser`, `files`, `ai`, `skills` (their own modules).
 * Coordinates are screenshot pixels (what `display.view()` shows the model), scaled to the screen.
 * The backend is picked on first use (`detect.ts`), so making the object costs nothing.
 *
 * @module
 */

import type { DesktopBackend, MouseButton, Point } from "./backend.ts";
import { detectBackend } from "./detect.ts";
import type { TextMatch } from "./ocr.ts";
import { Screen, type Screenshot } from "./screen.ts";

/** Options of {@link DesktopApi}. */
export interface DesktopApiOptions {
  /** The backend, or how to make it (default: {@link detectBackend} on first use). */
  backend?: DesktopBackend | (() => DesktopBackend);
  /** Widest screenshot in pixels (default 1280). */
  maxScreenshotWidth?: number;
}

/** Where and how to click. */
export interface ClickOptions {
  /** Button (default left). */
  button?: MouseButton;
  /** Number of clicks (default 1). */
  clicks?: number;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

/** The one place found for `text`, or a one-line error (not found / found several times). */
export function uniqueMatch(text: string, matches: TextMatch[]): TextMatch {
  if (matches.length === 0) {
    throw new Error(
      `could not find ${quote(text)} on the screen (display.get_text() shows what is there)`,
    );
  }
  if (matches.length > 1) {
    const where = matches.map((m) => `(${m.x}, ${m.y})`).join(", ");
    throw new Error(
      `${quote(text)} is on the screen ${matches.length} times, at ${where}: click one by its x, y`,
    );
  }
  return matches[0];
}

/** The desktop part of the Computer API (display, mouse, keyboard, clipboard, os). */
export class DesktopApi {
  #options: DesktopApiOptions;
  #screen: Screen | null = null;

  /** Makes the API; nothing is started until a method is called. */
  constructor(options: DesktopApiOptions = {}) {
    this.#options = options;
  }

  /** The screen (and its backend), made on first use. */
  get screen(): Screen {
    if (!this.#screen) {
      const b = this.#options.backend;
      const backend = typeof b === "function" ? b() : b ?? detectBackend();
      this.#screen = new Screen(backend, { maxWidth: this.#options.maxScreenshotWidth });
    }
    return this.#screen;
  }

  #backend(): DesktopBackend {
    return this.screen.backend;
  }

  async #target(target: string | Point): Promise<Point> {
    if (typeof target === "string") {
      const m = uniqueMatch(target, await this.screen.findText(target));
      return await this.screen.toScreen(m);
    }
    return await this.screen.toScreen(target);
  }

  /** The screen. */
  readonly display = {
    /** A screenshot (at most 1280 px wide) to show the person and the model. */
    view: (): Promise<Screenshot> => this.screen.screenshot(),
    /** A screenshot (at most 1280 px wide). */
    screenshot: (): Promise<Screenshot> => this.screen.screenshot(),
    /** The screen's size in screenshot pixels, `[width, height]`. */
    size: async (): Promise<[number, number]> => {
      const s = await this.screen.size();
      return [s.width, s.height];
    },
    /** The screen's centre in screenshot pixels, `[x, y]`. */
    center: async (): Promise<[number, number]> => {
      const s = await this.screen.size();
      return [Math.round(s.width / 2), Math.round(s.height / 2)];
    },
    /** Every place `text` is shown (OCR), in screenshot pixels. */
    find_text: (text: string): Promise<TextMatch[]> => this.screen.findText(text),
    /** All the text on the screen (OCR), line by line. */
    get_text: (): Promise<string> => this.screen.text(),
  };

  /** The mouse. */
  readonly mouse = {
    /** Clicks on a text shown on the screen, or at `x, y` (screenshot pixels), or where it is. */
    click: async (target?: string | Point | null, options: ClickOptions = {}): Promise<void> => {
      const to = target === undefined || target === null ? null : await this.#target(target);
      const clicks = options.clicks ?? 1;
      if (!Number.isInteger(clicks) || clicks < 1 || clicks > 10) {
        throw new Error("clicks must be a whole number from 1 to 10");
      }
      await this.#backend().click(to, { button: options.button ?? "left", clicks });
    },
    /** Double-clicks on a text or at `x, y`. */
    double_click: (target?: string | Point | null, options: ClickOptions = {}): Promise<void> =>
      this.mouse.click(target, { ...options, clicks: 2 }),
    /** Right-clicks on a text or at `x, y`. */
    right_click: (target?: string | Point | null): Promise<void> =>
      this.mouse.click(target, { button: "right" }),
    /** Moves the pointer onto a text or to `x, y`. */
    move: async (target: string | Point): Promise<void> => {
      await this.#backend().move(await this.#target(target));
    },
    /** Where the pointer is, in screenshot pixels. */
    position: async (): Promise<[number, number]> => {
      const p = await this.screen.fromScreen(await this.#backend().pointer());
      return [p.x, p.y];
    },
    /** Scrolls by wheel clicks: positive `dy` down, positive `dx` right. */
    scroll: async (dy: number, dx = 0): Promise<void> => {
      if (
        !Number.isFinite(dy) || !Number.isFinite(dx) || Math.abs(dy) > 200 || Math.abs(dx) > 200
      ) {
        throw new Error("scroll amounts are numbers of wheel clicks, at most 200");
      }
      await this.#backend().scroll(dx, dy);
    },
    /** Presses a button where the pointer is. */
    down: (button: MouseButton = "left"): Promise<void> => this.#backend().button(button, true),
    /** Releases a button where the pointer is. */
    up: (button: MouseButton = "left"): Promise<void> => this.#backend().button(button, false),
    /** Drags with the left button from one place (text or point) to another. */
    drag: async (from: string | Point, to: string | Point): Promise<void> => {
      await this.#backend().drag(await this.#target(from), await this.#target(to));
    },
  };

  /** The keyboard (key names as Open Interpreter's: enter, tab, command, option, ctrl...). */
  readonly keyboard = {
    /** Types text. */
    write: (text: string): Promise<void> => this.#backend().type(text),
    /** Presses each key in turn, `presses` times. */
    press: async (keys: string[], presses = 1): Promise<void> => {
      if (!Number.isInteger(presses) || presses < 1 || presses > 100) {
        throw new Error("presses must be a whole number from 1 to 100");
      }
      for (let i = 0; i < presses; i++) await this.#backend().press(keys);
    },
    /** Presses keys together (a chord such as command+c). */
    hotkey: (keys: string[]): Promise<void> => this.#backend().hotkey(keys),
    /** Holds keys down. */
    down: (keys: string[]): Promise<void> => this.#backend().key(keys, true),
    /** Releases held keys. */
    up: (keys: string[]): Promise<void> => this.#backend().key(keys, false),
  };

  /** The clipboard. */
  readonly clipboard = {
    /** The clipboard's text. */
    view: (): Promise<string> => this.#backend().readClipboard(),
    /** Puts `text` on the clipboard; without it, copies the selection (command/ctrl+c). */
    copy: async (text?: string): Promise<void> => {
      if (text !== undefined) return await this.#backend().writeClipboard(text);
      await this.#backend().hotkey([this.#backend().name === "macos" ? "command" : "ctrl", "c"]);
    },
    /** Pastes (command/ctrl+v). */
    paste: (): Promise<void> =>
      this.#backend().hotkey([this.#backend().name === "macos" ? "command" : "ctrl", "v"]),
  };

  /** The operating system. */
  readonly os = {
    /** The selected text, read without touching the clipboard. */
    get_selected_text: (): Promise<string> => this.#backend().selectedText(),
    /** Shows a desktop notification. */
    notify: (text: string): Promise<void> => this.#backend().notify(text),
  };
}
