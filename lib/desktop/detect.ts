/**
 * Picks the desktop backend for this machine: X11 where `DISPLAY` is set (XWayland included),
 * wlroots Wayland (grim, wtype, wl-clipboard; ydotool for the mouse) where only
 * `WAYLAND_DISPLAY` is, macOS through screencapture / osascript / cliclick, and a one-line answer
 * saying exactly what is missing everywhere else (Windows, no display, programs to install).
 *
 * @module
 */

import type { DesktopBackend } from "./backend.ts";
import { macosBackend } from "./macos.ts";
import { findProgram, MissingProgramError } from "./programs.ts";
import { waylandBackend } from "./wayland.ts";
import { x11Backend } from "./x11.ts";

/** What the detection reads (the host's own environment by default). */
export interface DetectOptions {
  /** `Deno.build.os` by default. */
  os?: string;
  /** Environment variables (DISPLAY, XAUTHORITY, WAYLAND_DISPLAY). */
  env?: Record<string, string | undefined>;
  /** Finds a program in the trusted folders (for tests). */
  find?: (name: string) => string | null;
}

const X11_TOOLS: [string, string][] = [["xdotool", "xdotool"], ["xwd", "x11-apps"], [
  "xclip",
  "xclip",
]];
const WAYLAND_TOOLS: [string, string][] = [
  ["grim", "grim"],
  ["wtype", "wtype"],
  ["wl-copy", "wl-clipboard"],
  ["wl-paste", "wl-clipboard"],
];

/**
 * The backend for this machine, or a thrown one-line error naming what is missing (programs to
 * install, a display to start, or the platform).
 */
export function detectBackend(options: DetectOptions = {}): DesktopBackend {
  const os = options.os ?? Deno.build.os;
  const env = options.env ?? Deno.env.toObject();
  const find = options.find ?? ((name: string) => findProgram(name));
  if (os === "windows") {
    throw new Error("the Computer API does not support Windows yet (X11 and macOS only)");
  }
  if (os === "darwin") return macosBackend({ find });
  if (env.DISPLAY) {
    const missing = X11_TOOLS.filter(([program]) => !find(program));
    if (missing.length) {
      throw new MissingProgramError(
        missing.map(([p]) => p),
        `apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(" ")}`,
      );
    }
    return x11Backend({ display: env.DISPLAY, xauthority: env.XAUTHORITY });
  }
  if (env.WAYLAND_DISPLAY) {
    const missing = WAYLAND_TOOLS.filter(([program]) => !find(program));
    if (missing.length) {
      throw new MissingProgramError(
        missing.map(([p]) => p),
        `Wayland (wlroots) needs apt-get install ${
          [...new Set(missing.map(([, pkg]) => pkg))].join(" ")
        } (and ydotool for the mouse), or XWayland with DISPLAY set`,
      );
    }
    const keep: Record<string, string> = {};
    for (const name of ["WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "YDOTOOL_SOCKET"]) {
      if (env[name]) keep[name] = env[name]!;
    }
    return waylandBackend({ env: keep, find });
  }
  throw new Error("no display: DISPLAY is not set (start X11 or Xvfb, or run on a desktop)");
}
