/**
 * The Wayland backend for wlroots compositors (Sway, Hyprland, river...): `grim` for the screen
 * (PPM, decoded here), `wtype` for keys and text, `wl-copy` / `wl-paste` for the clipboard and
 * the primary selection, and `ydotool` (uinput; its daemon must run) for the mouse, which Wayland
 * gives no other program. Command lines are built by `waylandCommand` (unit-checked here; no
 * Wayland compositor runs on the test machine).
 *
 * @module
 */

import type { DesktopBackend, MouseButton, Point } from "./backend.ts";
import { x11Key } from "./keys.ts";
import type { RgbaImage } from "./png.ts";
import { MissingProgramError, runChecked, runProgram } from "./programs.ts";

/** One program call. */
export interface WaylandCommand {
  /** Program name (resolved in the trusted folders). */
  program: string;
  /** Arguments. */
  args: string[];
}

/** wtype's modifier names for Open Interpreter's. */
const MODIFIERS: Record<string, string> = {
  shift: "shift",
  ctrl: "ctrl",
  control: "ctrl",
  alt: "alt",
  option: "alt",
  command: "logo",
  cmd: "logo",
  win: "logo",
  super: "logo",
};

/** ydotool's button codes: 0xC0 + n clicks (down and up), 0x40 + n down, 0x80 + n up. */
const BUTTON: Record<MouseButton, number> = { left: 0, right: 1, middle: 2 };

const hex = (n: number): string => `0x${n.toString(16).toUpperCase()}`;

/** Decodes a binary PPM (P6, 8-bit), as `grim -t ppm` writes. */
export function decodePpm(bytes: Uint8Array): RgbaImage {
  const head = new TextDecoder().decode(bytes.subarray(0, 64));
  const m = /^P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(head);
  if (!m || m[3] !== "255") throw new Error("not an 8-bit binary PPM image");
  const width = Number(m[1]), height = Number(m[2]);
  const start = m[0].length;
  if (bytes.length < start + width * height * 3) throw new Error("PPM: truncated image");
  const data = new Uint8Array(width * height * 4);
  for (let i = 0, s = start; i < width * height; i++, s += 3) {
    data[i * 4] = bytes[s];
    data[i * 4 + 1] = bytes[s + 1];
    data[i * 4 + 2] = bytes[s + 2];
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

function wtypeKeys(keys: string[], mode: "tap" | "chord" | "down" | "up"): string[] {
  const args: string[] = [];
  const mods = keys.filter((k) => MODIFIERS[k.toLowerCase()]);
  const rest = keys.filter((k) => !MODIFIERS[k.toLowerCase()]);
  if (mode === "chord") {
    for (const m of mods) args.push("-M", MODIFIERS[m.toLowerCase()]);
    for (const k of rest) args.push("-k", x11Key(k));
    for (const m of [...mods].reverse()) args.push("-m", MODIFIERS[m.toLowerCase()]);
    return args;
  }
  for (const k of keys) {
    const mod = MODIFIERS[k.toLowerCase()];
    if (mode === "tap") args.push(...(mod ? ["-M", mod, "-m", mod] : ["-k", x11Key(k)]));
    else if (mode === "down") args.push(...(mod ? ["-M", mod] : ["-P", x11Key(k)]));
    else args.push(...(mod ? ["-m", mod] : ["-p", x11Key(k)]));
  }
  return args;
}

/** The command line of one backend operation on Wayland. */
export function waylandCommand(op: string, args: Record<string, unknown> = {}): WaylandCommand {
  const xy = (p: Point) => ["-x", String(Math.round(p.x)), "-y", String(Math.round(p.y))];
  switch (op) {
    case "screenshot":
      return { program: "grim", args: ["-t", "ppm", "-"] };
    case "move":
      return { program: "ydotool", args: ["mousemove", "--absolute", ...xy(args.to as Point)] };
    case "click": {
      const clicks = Number(args.clicks ?? 1);
      const code = 0xC0 + BUTTON[(args.button as MouseButton) ?? "left"];
      return {
        program: "ydotool",
        args: ["click", "--repeat", String(clicks), "--next-delay", "60", hex(code)],
      };
    }
    case "button": {
      const code = (args.down ? 0x40 : 0x80) + BUTTON[(args.button as MouseButton) ?? "left"];
      return { program: "ydotool", args: ["click", hex(code)] };
    }
    case "scroll":
      return {
        program: "ydotool",
        args: [
          "mousemove",
          "--wheel",
          "-x",
          String(Math.round(Number(args.dx ?? 0))),
          "-y",
          String(-Math.round(Number(args.dy ?? 0))),
        ],
      };
    case "type":
      return { program: "wtype", args: ["--", String(args.text)] };
    case "press":
      return { program: "wtype", args: wtypeKeys(args.keys as string[], "tap") };
    case "hotkey":
      return { program: "wtype", args: wtypeKeys(args.keys as string[], "chord") };
    case "key":
      return {
        program: "wtype",
        args: wtypeKeys(args.keys as string[], args.down ? "down" : "up"),
      };
    case "readClipboard":
      return { program: "wl-paste", args: ["--no-newline"] };
    case "writeClipboard":
      return { program: "wl-copy", args: [] };
    case "selectedText":
      return { program: "wl-paste", args: ["--primary", "--no-newline"] };
    case "notify":
      return { program: "notify-send", args: ["--", "Open Interpreter", String(args.text)] };
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

/** Makes the Wayland backend; `env` carries WAYLAND_DISPLAY and XDG_RUNTIME_DIR. */
export function waylandBackend(
  options: { env: Record<string, string>; find: (name: string) => string | null },
): DesktopBackend {
  const { env } = options;
  const run = async (op: string, args: Record<string, unknown> = {}): Promise<Uint8Array> => {
    const c = waylandCommand(op, args);
    if (c.program === "ydotool" && !options.find("ydotool")) {
      throw new MissingProgramError(
        ["ydotool"],
        "the mouse on Wayland needs ydotool and its daemon ydotoold (apt-get install ydotool)",
      );
    }
    return await runChecked(c.program, c.args, { env });
  };
  const paste = async (op: string): Promise<string> => {
    const c = waylandCommand(op);
    const r = await runProgram(c.program, c.args, { env, timeoutMs: 5_000 });
    return r.code === 0 ? new TextDecoder().decode(r.stdout) : ""; // empty clipboard: exit 1
  };
  let size: { width: number; height: number } | undefined;
  return {
    name: "wayland",
    async screenshot() {
      const image = decodePpm(await run("screenshot"));
      size = { width: image.width, height: image.height };
      return image;
    },
    async screenSize() {
      if (!size) await this.screenshot();
      return size!;
    },
    pointer() {
      return Promise.reject(
        new Error("Wayland does not tell other programs where the pointer is: use x, y you chose"),
      );
    },
    async move(to) {
      await run("move", { to });
    },
    async click(to, opts) {
      if (to) await run("move", { to });
      await run("click", opts);
    },
    async button(button, down) {
      await run("button", { button, down });
    },
    async scroll(dx, dy) {
      await run("scroll", { dx, dy });
    },
    async drag(from, to) {
      await run("move", { to: from });
      await run("button", { button: "left", down: true });
      await run("move", { to });
      await run("button", { button: "left", down: false });
    },
    async type(text) {
      if (text) await run("type", { text });
    },
    async press(keys) {
      if (keys.length) await run("press", { keys });
    },
    async hotkey(keys) {
      if (keys.length) await run("hotkey", { keys });
    },
    async key(keys, down) {
      if (keys.length) await run("key", { keys, down });
    },
    readClipboard: () => paste("readClipboard"),
    async writeClipboard(text) {
      // wl-copy forks a process that serves the clipboard: its pipes are never read.
      const r = await runProgram("wl-copy", [], { env, stdin: text, discardOutput: true });
      if (r.code !== 0) throw new Error(`wl-copy failed with exit status ${r.code}`);
    },
    selectedText: () => paste("selectedText"),
    async notify(text) {
      await run("notify", { text });
    },
  };
}
