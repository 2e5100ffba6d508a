/**
 * The Computer API's methods as the session calls them over the channel: each has its signature
 * and docstring (listed for the model in the system message), checks its arguments (the session
 * is untrusted: only JSON values arrive, never host paths), and returns JSON (images as base64
 * PNG bytes).
 *
 * @module
 */

import type { MouseButton, Point } from "./backend.ts";
import type { ComputerApi } from "./computer_api.ts";
import { isPng } from "./png.ts";
import { capImage } from "./resize.ts";
import type { Screenshot } from "./screen.ts";

/** Positional and keyword arguments of one call. */
export interface CallArgs {
  /** Positional arguments. */
  args: unknown[];
  /** Keyword arguments. */
  kwargs: Record<string, unknown>;
}

/** One method of the API. */
export interface MethodSpec {
  /** Python-style signature, e.g. `click(text=None, x=None, y=None, button="left", clicks=1)`. */
  signature: string;
  /** One line saying what it does. */
  doc: string;
  /** Runs it. */
  run(api: ComputerApi, call: CallArgs): Promise<unknown>;
}

/** An image result: base64 PNG with its size. */
export interface ImageResult {
  /** Marks an image. */
  $image: "base64.png";
  /** Base64 PNG bytes. */
  data: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** A screenshot as a JSON image result. */
export function imageResult(shot: Screenshot): ImageResult {
  return { $image: "base64.png", data: base64(shot.png), width: shot.width, height: shot.height };
}

function arg(call: CallArgs, index: number, name: string): unknown {
  return name in call.kwargs ? call.kwargs[name] : call.args[index];
}

function str(call: CallArgs, index: number, name: string, optional = false): string | undefined {
  const v = arg(call, index, name);
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new Error(`${name} is required`);
  }
  if (typeof v !== "string") throw new Error(`${name} must be a string`);
  if (v.length > 1_000_000) throw new Error(`${name} is too long`);
  return v;
}

function num(call: CallArgs, index: number, name: string, fallback?: number): number {
  const v = arg(call, index, name);
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is required`);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${name} must be a number`);
  return v;
}

function button(call: CallArgs, index: number): MouseButton {
  const v = arg(call, index, "button") ?? "left";
  if (v !== "left" && v !== "right" && v !== "middle") {
    throw new Error('button is "left", "right" or "middle"');
  }
  return v;
}

/** A click target: `text`, or `x, y` (positional or keyword), or nothing (where the pointer is). */
function target(
  call: CallArgs,
  optional: boolean,
): { target: string | Point | null; used: number } {
  const first = call.args[0];
  if (typeof first === "string") return { target: first, used: 1 };
  if (typeof call.kwargs.text === "string") return { target: call.kwargs.text, used: 0 };
  if (typeof first === "number" || "x" in call.kwargs) {
    const x = num(call, 0, "x");
    const y = num(call, 1, "y");
    return { target: { x, y }, used: 2 };
  }
  if (optional && (first === undefined || first === null)) return { target: null, used: 0 };
  throw new Error("give a text on the screen, or x and y");
}

function keys(call: CallArgs): string[] {
  const list = call.args.length === 1 && Array.isArray(call.args[0]) ? call.args[0] : call.args;
  if (list.length === 0 || list.length > 32 || !list.every((k) => typeof k === "string")) {
    throw new Error("give one or more key names (strings)");
  }
  return list as string[];
}

function imageArg(v: unknown): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined;
  const data = (v as ImageResult)?.$image === "base64.png" ? (v as ImageResult).data : v;
  if (typeof data !== "string" || data.length > 8_000_000) {
    throw new Error("image must be a screenshot or base64 PNG");
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  } catch {
    throw new Error("image is not valid base64");
  }
  if (!isPng(bytes)) throw new Error("image must be a PNG");
  return capImage(bytes);
}

const ok = async (p: Promise<unknown>): Promise<null> => {
  await p;
  return null;
};

/** Every method the session can call, by `namespace.name`. */
export const METHODS: Record<string, MethodSpec> = {
  "display.view": {
    signature: "view()",
    doc: "Screenshot shown to you and the user (screenshot pixels are the coordinates to use).",
    run: async (api) => imageResult(await api.display.view()),
  },
  "display.screenshot": {
    signature: "screenshot()",
    doc: "Screenshot returned as an image object (not shown).",
    run: async (api) => imageResult(await api.display.screenshot()),
  },
  "display.size": {
    signature: "size()",
    doc: "[width, height] of the screen in screenshot pixels.",
    run: (api) => api.display.size(),
  },
  "display.center": {
    signature: "center()",
    doc: "[x, y] of the screen's centre.",
    run: (api) => api.display.center(),
  },
  "display.find_text": {
    signature: "find_text(text)",
    doc: "Where text is shown (OCR): a list of {text, x, y, left, top, width, height}.",
    run: (api, c) => api.display.find_text(str(c, 0, "text")!),
  },
  "display.get_text": {
    signature: "get_text()",
    doc: "All the text on the screen (OCR), line by line.",
    run: (api) => api.display.get_text(),
  },
  "mouse.click": {
    signature: 'click(text=None, x=None, y=None, button="left", clicks=1)',
    doc:
      "Click on a text shown on screen, or at x, y; fails listing each place if text is there twice.",
    run: (api, c) => {
      const t = target(c, true);
      return ok(api.mouse.click(t.target, {
        button: button(c, t.used),
        clicks: num(c, t.used + 1, "clicks", 1),
      }));
    },
  },
  "mouse.double_click": {
    signature: "double_click(text=None, x=None, y=None)",
    doc: "Double-click on a text or at x, y.",
    run: (api, c) => ok(api.mouse.double_click(target(c, true).target)),
  },
  "mouse.right_click": {
    signature: "right_click(text=None, x=None, y=None)",
    doc: "Right-click on a text or at x, y.",
    run: (api, c) => ok(api.mouse.right_click(target(c, true).target)),
  },
  "mouse.move": {
    signature: "move(text=None, x=None, y=None)",
    doc: "Move the pointer onto a text or to x, y.",
    run: (api, c) => ok(api.mouse.move(target(c, false).target!)),
  },
  "mouse.position": {
    signature: "position()",
    doc: "[x, y] of the pointer.",
    run: (api) => api.mouse.position(),
  },
  "mouse.scroll": {
    signature: "scroll(clicks, horizontal=0)",
    doc: "Scroll by wheel clicks: positive down, negative up.",
    run: (api, c) => ok(api.mouse.scroll(num(c, 0, "clicks"), num(c, 1, "horizontal", 0))),
  },
  "mouse.down": {
    signature: 'down(button="left")',
    doc: "Press a mouse button.",
    run: (api, c) => ok(api.mouse.down(button(c, 0))),
  },
  "mouse.up": {
    signature: 'up(button="left")',
    doc: "Release a mouse button.",
    run: (api, c) => ok(api.mouse.up(button(c, 0))),
  },
  "mouse.drag": {
    signature: "drag(x1, y1, x2, y2)",
    doc: "Drag with the left button from x1, y1 to x2, y2.",
    run: (api, c) =>
      ok(api.mouse.drag(
        { x: num(c, 0, "x1"), y: num(c, 1, "y1") },
        { x: num(c, 2, "x2"), y: num(c, 3, "y2") },
      )),
  },
  "keyboard.write": {
    signature: "write(text)",
    doc: "Type text.",
    run: (api, c) => ok(api.keyboard.write(str(c, 0, "text")!)),
  },
  "keyboard.press": {
    signature: "press(*keys, presses=1)",
    doc: 'Press keys one after another, e.g. press("enter"); names: enter, tab, esc, up, f5...',
    run: (api, c) =>
      ok(api.keyboard.press(keys({ args: c.args, kwargs: {} }), num(c, 99, "presses", 1))),
  },
  "keyboard.hotkey": {
    signature: "hotkey(*keys)",
    doc: 'Press keys together, e.g. hotkey("ctrl", "c"); command and option are the Mac names.',
    run: (api, c) => ok(api.keyboard.hotkey(keys(c))),
  },
  "keyboard.down": {
    signature: "down(*keys)",
    doc: "Hold keys down.",
    run: (api, c) => ok(api.keyboard.down(keys(c))),
  },
  "keyboard.up": {
    signature: "up(*keys)",
    doc: "Release held keys.",
    run: (api, c) => ok(api.keyboard.up(keys(c))),
  },
  "clipboard.view": {
    signature: "view()",
    doc: "The clipboard's text.",
    run: (api) => api.clipboard.view(),
  },
  "clipboard.copy": {
    signature: "copy(text=None)",
    doc: "Put text on the clipboard (without text: copy the selection).",
    run: (api, c) => ok(api.clipboard.copy(str(c, 0, "text", true))),
  },
  "clipboard.paste": {
    signature: "paste()",
    doc: "Paste (ctrl/command+v).",
    run: (api) => ok(api.clipboard.paste()),
  },
  "os.get_selected_text": {
    signature: "get_selected_text()",
    doc: "The selected text, read without touching the clipboard.",
    run: (api) => api.os.get_selected_text(),
  },
  "os.notify": {
    signature: "notify(text)",
    doc: "Show a desktop notification.",
    run: (api, c) => ok(api.os.notify(str(c, 0, "text")!)),
  },
  "browser.go_to_url": {
    signature: "go_to_url(url)",
    doc: "Open a web page in the headless browser (the network permissions apply).",
    run: (api, c) => ok(api.browser.go_to_url(str(c, 0, "url")!)),
  },
  "browser.search": {
    signature: "search(query)",
    doc: "Search the web; returns the results page's text.",
    run: (api, c) => api.browser.search(str(c, 0, "query")!),
  },
  "browser.read": {
    signature: "read()",
    doc: "The text of the open page.",
    run: (api) => api.browser.read(),
  },
  "browser.screenshot": {
    signature: "screenshot()",
    doc: "Screenshot of the open page.",
    run: async (api) => imageResult(await api.browser.screenshot()),
  },
  "ai.chat": {
    signature: "chat(text, image=None)",
    doc: "Ask the model (optionally about an image); returns its answer.",
    run: (api, c) => api.ai.chat(str(c, 0, "text")!, imageArg(arg(c, 1, "image"))),
  },
  "ai.summarize": {
    signature: "summarize(text)",
    doc: "A short summary of text.",
    run: (api, c) => api.ai.summarize(str(c, 0, "text")!),
  },
  "ai.query": {
    signature: "query(text, question)",
    doc: "Answer a question about text.",
    run: (api, c) => api.ai.query(str(c, 0, "text")!, str(c, 1, "question")!),
  },
  "skills.list": {
    signature: "list()",
    doc: "Saved skills: [{name, language, description}].",
    run: (api) => api.skills.list(),
  },
  "skills.search": {
    signature: "search(query)",
    doc: "Saved skills matching the words of query.",
    run: (api, c) => api.skills.search(str(c, 0, "query")!),
  },
  "skills.save": {
    signature: 'save(name, code, language="python")',
    doc: "Save code as a skill for later sessions (first line: what it does).",
    run: (api, c) =>
      api.skills.save(str(c, 0, "name")!, str(c, 1, "code")!, str(c, 2, "language", true)),
  },
  "skills.get": {
    signature: "get(name)",
    doc: "A skill's code.",
    run: (api, c) => api.skills.get(str(c, 0, "name")!),
  },
};

/** Methods that run inside the session (their signatures, for the system message). */
export const SESSION_METHODS: Record<string, { signature: string; doc: string }> = {
  "files.search": {
    signature: 'search(query, path=".")',
    doc: "Lines containing query in the files under path: [{path, line, text}].",
  },
  "files.edit": {
    signature: "edit(path, old, new)",
    doc: "Replace the one occurrence of old in a file; suggests close matches if old is not there.",
  },
  "skills.import_skills": {
    signature: "import_skills()",
    doc: "Run every saved skill of this language so its functions are defined.",
  },
};

/** Calls `method` on `api` (one-line errors for unknown methods and bad arguments). */
export function callMethod(api: ComputerApi, method: string, call: CallArgs): Promise<unknown> {
  const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!spec) return Promise.reject(new Error(`computer has no method ${method}`));
  try {
    return Promise.resolve(spec.run(api, call));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The API as listed for the model: one line per method, grouped by namespace. */
export function describeApi(): string {
  const all = { ...METHODS, ...SESSION_METHODS };
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(all)) {
    const ns = name.split(".")[0];
    lines.push(`computer.${ns}.${spec.signature}  # ${spec.doc}`);
  }
  return lines.join("\n");
}
