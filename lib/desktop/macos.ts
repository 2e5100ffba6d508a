/**
 * The macOS backend: `screencapture` for the screen, `cliclick` for the mouse (Homebrew; macOS has
 * no mouse command), `osascript` (System Events) for keys, notifications and the selected text
 * (read through the accessibility API, so the clipboard is untouched), `pbcopy` / `pbpaste` for the
 * clipboard. Written and unit-checked on Linux (the command lines are built by `macosCommand`);
 * it needs the Accessibility and Screen Recording grants on the Mac.
 *
 * @module
 */

import type { DesktopBackend, MouseButton, Point } from "./backend.ts";
import { macKey } from "./keys.ts";
import { decodePng } from "./png.ts";
import { MissingProgramError, runChecked } from "./programs.ts";

/** One program call: the program's bare name and its arguments. */
export interface MacCommand {
  /** Program name (resolved in the trusted folders). */
  program: string;
  /** Arguments. */
  args: string[];
  /** Standard input, when the program reads one. */
  stdin?: string;
}

function appleString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function xy(p: Point): string {
  return `${Math.round(p.x)},${Math.round(p.y)}`;
}

const CLICK: Record<MouseButton, string> = { left: "c", right: "rc", middle: "c" };

/** System Events script lines pressing `keys` one after the other, or together (`chord`). */
export function keyScript(keys: string[], chord: boolean): string {
  const mapped = keys.map(macKey);
  const press = (k: ReturnType<typeof macKey>, using: string[]): string => {
    const suffix = using.length ? ` using {${using.join(", ")}}` : "";
    if ("keyCode" in k) return `key code ${k.keyCode}${suffix}`;
    if ("character" in k) return `keystroke ${appleString(k.character)}${suffix}`;
    return "";
  };
  const lines: string[] = [];
  if (chord) {
    const modifiers = mapped.flatMap((k) => ("modifier" in k ? [k.modifier] : []));
    const rest = mapped.filter((k) => !("modifier" in k));
    if (rest.length === 0) throw new Error("a hotkey needs a key besides the modifiers");
    for (const k of rest) lines.push(press(k, modifiers));
  } else {
    for (const k of mapped) {
      if ("modifier" in k) {
        const down = k.modifier;
        lines.push(`key down ${down.replace(" down", "")}`, `key up ${down.replace(" down", "")}`);
      } else lines.push(press(k, []));
    }
  }
  return `tell application "System Events"\n${lines.join("\n")}\nend tell`;
}

/** The command line of one backend operation on macOS. */
export function macosCommand(op: string, args: Record<string, unknown> = {}): MacCommand {
  const osa = (script: string): MacCommand => ({ program: "osascript", args: ["-e", script] });
  switch (op) {
    case "screenshot":
      return { program: "screencapture", args: ["-x", "-C", "-t", "png", String(args.path)] };
    case "size":
      return osa('tell application "Finder" to get bounds of window of desktop');
    case "pointer":
      return { program: "cliclick", args: ["p:."] };
    case "move":
      return { program: "cliclick", args: [`m:${xy(args.to as Point)}`] };
    case "click": {
      const button = (args.button as MouseButton) ?? "left";
      const clicks = Number(args.clicks ?? 1);
      const to = args.to ? xy(args.to as Point) : ".";
      const verb = button === "left" && clicks === 2
        ? "dc"
        : button === "left" && clicks === 3
        ? "tc"
        : CLICK[button];
      const times = verb === "dc" || verb === "tc" ? 1 : clicks;
      return { program: "cliclick", args: Array.from({ length: times }, () => `${verb}:${to}`) };
    }
    case "button":
      return { program: "cliclick", args: [`${args.down ? "dd" : "du"}:.`] };
    case "drag":
      return {
        program: "cliclick",
        args: [
          `dd:${xy(args.from as Point)}`,
          `dm:${xy(args.to as Point)}`,
          `du:${xy(args.to as Point)}`,
        ],
      };
    case "scroll": {
      const dy = -Math.round(Number(args.dy ?? 0));
      const dx = -Math.round(Number(args.dx ?? 0));
      // System Events has no wheel; a scroll event via JavaScript for Automation (CoreGraphics).
      return {
        program: "osascript",
        args: [
          "-l",
          "JavaScript",
          "-e",
          `ObjC.import("CoreGraphics");$.CGEventPost(0,$.CGEventCreateScrollWheelEvent(null,0,2,${dy},${dx}))`,
        ],
      };
    }
    case "type":
      return osa(`tell application "System Events" to keystroke ${appleString(String(args.text))}`);
    case "press":
      return osa(keyScript(args.keys as string[], false));
    case "hotkey":
      return osa(keyScript(args.keys as string[], true));
    case "key": {
      const verb = args.down ? "key down" : "key up";
      const lines = (args.keys as string[]).map((name) => {
        const k = macKey(name);
        if ("modifier" in k) return `${verb} ${k.modifier.replace(" down", "")}`;
        if ("keyCode" in k) return `${verb} (key code ${k.keyCode})`;
        return `${verb} ${appleString(k.character)}`;
      });
      return osa(`tell application "System Events"\n${lines.join("\n")}\nend tell`);
    }
    case "readClipboard":
      return { program: "pbpaste", args: [] };
    case "writeClipboard":
      return { program: "pbcopy", args: [], stdin: String(args.text) };
    case "selectedText":
      return osa(
        'tell application "System Events" to tell (first process whose frontmost is true) ' +
          'to get value of attribute "AXSelectedText" of (value of attribute "AXFocusedUIElement")',
      );
    case "notify":
      return osa(
        `display notification ${appleString(String(args.text))} with title "Open Interpreter"`,
      );
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

/** Makes the macOS backend. */
export function macosBackend(
  options: { find: (name: string) => string | null },
): DesktopBackend {
  const missing = ["screencapture", "osascript", "cliclick", "pbcopy", "pbpaste"].filter((p) =>
    !options.find(p)
  );
  if (missing.length) {
    throw new MissingProgramError(
      missing,
      missing.includes("cliclick") ? "brew install cliclick" : undefined,
    );
  }
  const text = async (op: string, args: Record<string, unknown> = {}): Promise<string> => {
    const c = macosCommand(op, args);
    return new TextDecoder().decode(await runChecked(c.program, c.args, { stdin: c.stdin }));
  };
  const parsePoint = (s: string): Point => {
    const [x, y] = s.trim().split(",").map(Number);
    return { x, y };
  };
  return {
    name: "macos",
    async screenshot() {
      const dir = await Deno.makeTempDir({ prefix: "interpreter-shot-" });
      try {
        const path = `${dir}/screen.png`;
        await text("screenshot", { path });
        return decodePng(await Deno.readFile(path));
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
    async screenSize() {
      const [, , width, height] = (await text("size")).split(",").map((s) => Number(s.trim()));
      return { width, height };
    },
    async pointer() {
      return parsePoint(await text("pointer"));
    },
    async move(to) {
      await text("move", { to });
    },
    async click(to, opts) {
      await text("click", { to, ...opts });
    },
    async button(_button, down) {
      await text("button", { down });
    },
    async scroll(dx, dy) {
      await text("scroll", { dx, dy });
    },
    async drag(from, to) {
      await text("drag", { from, to });
    },
    async type(t) {
      await text("type", { text: t });
    },
    async press(keys) {
      await text("press", { keys });
    },
    async hotkey(keys) {
      await text("hotkey", { keys });
    },
    async key(keys, down) {
      await text("key", { keys, down });
    },
    readClipboard: () => text("readClipboard"),
    async writeClipboard(t) {
      await text("writeClipboard", { text: t });
    },
    selectedText: () => text("selectedText").catch(() => ""),
    async notify(t) {
      await text("notify", { text: t });
    },
  };
}
