/**
 * The X11 backend: `xwd` for screenshots (decoded here, `xwd.ts`), `xdotool` for the mouse and
 * keyboard (XTest), `xclip` for the clipboard and the primary selection, `notify-send` for
 * notifications. Every program comes from a trusted folder and every call is bounded.
 *
 * Pitfalls handled: `xdotool mousemove --sync` to where the pointer already is stalls 15 s, so
 * moves never use `--sync` (a move and a click in one xdotool call are ordered by the X server
 * anyway); `xclip -i` forks a process that serves the selection and keeps the pipes open, so it
 * runs with stdout and stderr discarded, and its parent exits before the child owns the
 * selection, so a copy waits until the clipboard reads back.
 *
 * @module
 */

import type { DesktopBackend, MouseButton, Point } from "./backend.ts";
import { x11Key } from "./keys.ts";
import type { RgbaImage } from "./png.ts";
import { MissingProgramError, runChecked, runProgram } from "./programs.ts";
import { decodeXwd } from "./xwd.ts";

/** How to reach the X server. */
export interface X11Options {
  /** The display, e.g. `:0`. */
  display: string;
  /** The authority file, when the server needs one. */
  xauthority?: string;
  /** Bound of each program call in ms (default 10 s). */
  timeoutMs?: number;
}

const BUTTONS: Record<MouseButton, string> = { left: "1", middle: "2", right: "3" };

function point(p: Point): string[] {
  return [String(Math.round(p.x)), String(Math.round(p.y))];
}

/** Makes the X11 backend for a display. */
export function x11Backend(options: X11Options): DesktopBackend {
  const env: Record<string, string> = { DISPLAY: options.display };
  if (options.xauthority) env.XAUTHORITY = options.xauthority;
  const timeoutMs = options.timeoutMs;
  const xdotool = (args: string[]): Promise<Uint8Array> =>
    runChecked("xdotool", args, { env, timeoutMs });
  const readSelection = async (selection: string): Promise<string> => {
    const r = await runProgram("xclip", ["-selection", selection, "-o"], {
      env,
      timeoutMs: timeoutMs ?? 5_000,
    });
    // Nobody owns the selection: xclip says "target STRING not available" and exits 1.
    if (r.code !== 0) return "";
    return new TextDecoder().decode(r.stdout);
  };
  return {
    name: "x11",
    async screenshot(): Promise<RgbaImage> {
      return decodeXwd(await runChecked("xwd", ["-root", "-silent"], { env, timeoutMs }));
    },
    async screenSize() {
      const out = new TextDecoder().decode(await xdotool(["getdisplaygeometry"])).trim();
      const [width, height] = out.split(/\s+/).map(Number);
      if (!width || !height) throw new Error(`xdotool: unexpected screen size "${out}"`);
      return { width, height };
    },
    async pointer() {
      const out = new TextDecoder().decode(await xdotool(["getmouselocation", "--shell"]));
      const x = Number(/^X=(\d+)/m.exec(out)?.[1]);
      const y = Number(/^Y=(\d+)/m.exec(out)?.[1]);
      return { x, y };
    },
    async move(to) {
      await xdotool(["mousemove", ...point(to)]);
    },
    async click(to, { button, clicks }) {
      const move = to ? ["mousemove", ...point(to)] : [];
      await xdotool([
        ...move,
        "click",
        "--repeat",
        String(Math.max(1, Math.floor(clicks))),
        "--delay",
        "60",
        BUTTONS[button],
      ]);
    },
    async button(button, down) {
      await xdotool([down ? "mousedown" : "mouseup", BUTTONS[button]]);
    },
    async scroll(dx, dy) {
      const args: string[] = [];
      const add = (n: number, pos: string, neg: string) => {
        const count = Math.round(Math.abs(n));
        if (count) args.push("click", "--repeat", String(count), n > 0 ? pos : neg);
      };
      add(dy, "5", "4");
      add(dx, "7", "6");
      if (args.length) await xdotool(args);
    },
    async drag(from, to) {
      await xdotool([
        "mousemove",
        ...point(from),
        "mousedown",
        "1",
        "mousemove",
        ...point({ x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 }),
        "mousemove",
        ...point(to),
        "mouseup",
        "1",
      ]);
    },
    async type(text) {
      if (text) await xdotool(["type", "--delay", "2", "--", text]);
    },
    async press(keys) {
      if (keys.length) await xdotool(["key", "--delay", "20", "--", ...keys.map(x11Key)]);
    },
    async hotkey(keys) {
      if (keys.length) await xdotool(["key", "--", keys.map(x11Key).join("+")]);
    },
    async key(keys, down) {
      if (keys.length) await xdotool([down ? "keydown" : "keyup", "--", ...keys.map(x11Key)]);
    },
    readClipboard: () => readSelection("clipboard"),
    async writeClipboard(text) {
      const r = await runProgram("xclip", ["-selection", "clipboard", "-i"], {
        env,
        stdin: text,
        discardOutput: true,
        timeoutMs: timeoutMs ?? 5_000,
      });
      if (r.code !== 0) throw new Error(`xclip failed with exit status ${r.code}`);
      // xclip's parent exits before its background child owns the selection: wait (bounded)
      // until the clipboard holds the text, so a read right after sees it.
      const until = Date.now() + 3_000;
      while (await readSelection("clipboard") !== text) {
        if (Date.now() > until) throw new Error("xclip did not take the clipboard within 3 s");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    selectedText: () => readSelection("primary"),
    async notify(text) {
      try {
        await runChecked("notify-send", ["--", "Open Interpreter", text], { env, timeoutMs });
      } catch (e) {
        if (e instanceof MissingProgramError) {
          throw new MissingProgramError(["notify-send"], "apt-get install libnotify-bin");
        }
        throw e;
      }
    },
  };
}
