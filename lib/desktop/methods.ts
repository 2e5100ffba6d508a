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
import { type MethodSignature, SIGNATURES } from "./signatures.ts";

/** Positional and keyword arguments of one call. */
export interface CallArgs {
  /** Positional arguments. */
  args: unknown[];
  /** Keyword arguments. */
  kwargs: Record<string, unknown>;
}

/** One method of the API: its signature and doc (`signatures.ts`) and how it runs. */
export interface MethodSpec extends MethodSignature {
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
function imageResult(shot: Screenshot): ImageResult {
  return { $image: "base64.png", data: base64(shot.png), width: shot.width, height: shot.height };
}

/** Where an argument is: its position and its keyword name. */
type ArgAt = [index: number, name: string];

function arg(call: CallArgs, [index, name]: ArgAt): unknown {
  return name in call.kwargs ? call.kwargs[name] : call.args[index];
}

function str(
  call: CallArgs,
  at: ArgAt,
  { optional = false }: { optional?: boolean } = {},
): string | undefined {
  const name = at[1];
  const v = arg(call, at);
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new Error(`${name} is required`);
  }
  if (typeof v !== "string") throw new Error(`${name} must be a string`);
  if (v.length > 1_000_000) throw new Error(`${name} is too long`);
  return v;
}

function num(call: CallArgs, at: ArgAt, { fallback }: { fallback?: number } = {}): number {
  const name = at[1];
  const v = arg(call, at);
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is required`);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${name} must be a number`);
  return v;
}

function button(call: CallArgs, index: number): MouseButton {
  const v = arg(call, [index, "button"]) ?? "left";
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
    const x = num(call, [0, "x"]);
    const y = num(call, [1, "y"]);
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
    ...SIGNATURES["display.view"],
    run: async (api) => imageResult(await api.display.view()),
  },
  "display.screenshot": {
    ...SIGNATURES["display.screenshot"],
    run: async (api) => imageResult(await api.display.screenshot()),
  },
  "display.size": {
    ...SIGNATURES["display.size"],
    run: (api) => api.display.size(),
  },
  "display.center": {
    ...SIGNATURES["display.center"],
    run: (api) => api.display.center(),
  },
  "display.find_text": {
    ...SIGNATURES["display.find_text"],
    run: (api, c) => api.display.find_text(str(c, [0, "text"])!),
  },
  "display.get_text": {
    ...SIGNATURES["display.get_text"],
    run: (api) => api.display.get_text(),
  },
  "mouse.click": {
    ...SIGNATURES["mouse.click"],
    run: (api, c) => {
      const t = target(c, true);
      return ok(api.mouse.click(t.target, {
        button: button(c, t.used),
        clicks: num(c, [t.used + 1, "clicks"], { fallback: 1 }),
      }));
    },
  },
  "mouse.double_click": {
    ...SIGNATURES["mouse.double_click"],
    run: (api, c) => ok(api.mouse.double_click(target(c, true).target)),
  },
  "mouse.right_click": {
    ...SIGNATURES["mouse.right_click"],
    run: (api, c) => ok(api.mouse.right_click(target(c, true).target)),
  },
  "mouse.move": {
    ...SIGNATURES["mouse.move"],
    run: (api, c) => ok(api.mouse.move(target(c, false).target!)),
  },
  "mouse.position": {
    ...SIGNATURES["mouse.position"],
    run: (api) => api.mouse.position(),
  },
  "mouse.scroll": {
    ...SIGNATURES["mouse.scroll"],
    run: (api, c) =>
      ok(api.mouse.scroll(num(c, [0, "clicks"]), num(c, [1, "horizontal"], { fallback: 0 }))),
  },
  "mouse.down": {
    ...SIGNATURES["mouse.down"],
    run: (api, c) => ok(api.mouse.down(button(c, 0))),
  },
  "mouse.up": {
    ...SIGNATURES["mouse.up"],
    run: (api, c) => ok(api.mouse.up(button(c, 0))),
  },
  "mouse.drag": {
    ...SIGNATURES["mouse.drag"],
    run: (api, c) =>
      ok(api.mouse.drag(
        { x: num(c, [0, "x1"]), y: num(c, [1, "y1"]) },
        { x: num(c, [2, "x2"]), y: num(c, [3, "y2"]) },
      )),
  },
  "keyboard.write": {
    ...SIGNATURES["keyboard.write"],
    run: (api, c) => ok(api.keyboard.write(str(c, [0, "text"])!)),
  },
  "keyboard.press": {
    ...SIGNATURES["keyboard.press"],
    run: (api, c) =>
      ok(
        api.keyboard.press(
          keys({ args: c.args, kwargs: {} }),
          num(c, [99, "presses"], { fallback: 1 }),
        ),
      ),
  },
  "keyboard.hotkey": {
    ...SIGNATURES["keyboard.hotkey"],
    run: (api, c) => ok(api.keyboard.hotkey(keys(c))),
  },
  "keyboard.down": {
    ...SIGNATURES["keyboard.down"],
    run: (api, c) => ok(api.keyboard.down(keys(c))),
  },
  "keyboard.up": {
    ...SIGNATURES["keyboard.up"],
    run: (api, c) => ok(api.keyboard.up(keys(c))),
  },
  "clipboard.view": {
    ...SIGNATURES["clipboard.view"],
    run: (api) => api.clipboard.view(),
  },
  "clipboard.copy": {
    ...SIGNATURES["clipboard.copy"],
    run: (api, c) => ok(api.clipboard.copy(str(c, [0, "text"], { optional: true }))),
  },
  "clipboard.paste": {
    ...SIGNATURES["clipboard.paste"],
    run: (api) => ok(api.clipboard.paste()),
  },
  "os.get_selected_text": {
    ...SIGNATURES["os.get_selected_text"],
    run: (api) => api.os.get_selected_text(),
  },
  "os.notify": {
    ...SIGNATURES["os.notify"],
    run: (api, c) => ok(api.os.notify(str(c, [0, "text"])!)),
  },
  "browser.go_to_url": {
    ...SIGNATURES["browser.go_to_url"],
    run: (api, c) => ok(api.browser.go_to_url(str(c, [0, "url"])!)),
  },
  "browser.search": {
    ...SIGNATURES["browser.search"],
    run: (api, c) => api.browser.search(str(c, [0, "query"])!),
  },
  "browser.read": {
    ...SIGNATURES["browser.read"],
    run: (api) => api.browser.read(),
  },
  "browser.screenshot": {
    ...SIGNATURES["browser.screenshot"],
    run: async (api) => imageResult(await api.browser.screenshot()),
  },
  "ai.chat": {
    ...SIGNATURES["ai.chat"],
    run: (api, c) => api.ai.chat(str(c, [0, "text"])!, imageArg(arg(c, [1, "image"]))),
  },
  "ai.summarize": {
    ...SIGNATURES["ai.summarize"],
    run: (api, c) => api.ai.summarize(str(c, [0, "text"])!),
  },
  "ai.query": {
    ...SIGNATURES["ai.query"],
    run: (api, c) => api.ai.query(str(c, [0, "text"])!, str(c, [1, "question"])!),
  },
  "skills.list": {
    ...SIGNATURES["skills.list"],
    run: (api) => api.skills.list(),
  },
  "skills.search": {
    ...SIGNATURES["skills.search"],
    run: (api, c) => api.skills.search(str(c, [0, "query"])!),
  },
  "skills.save": {
    ...SIGNATURES["skills.save"],
    run: (api, c) =>
      api.skills.save(str(c, [0, "name"])!, str(c, [1, "code"])!, {
        language: str(c, [2, "language"], { optional: true }),
      }),
  },
  "skills.get": {
    ...SIGNATURES["skills.get"],
    run: (api, c) => api.skills.get(str(c, [0, "name"])!),
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
