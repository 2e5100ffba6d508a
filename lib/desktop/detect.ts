/**
 * Picks the desktop backend for this machine: X11 where `DISPLAY` is set (XWayland included),
 * macOS through screencapture / osascript / cliclick, and a one-line answer saying exactly what is
 * missing everywhere else (Wayland without XWayland, Windows, no display at all).
 *
 * @module
 */

import type { DesktopBackend } from "./backend.ts";
import { macosBackend } from "./macos.ts";
import { findProgram, MissingProgramError } from "./programs.ts";
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
const WAYLAND_TOOLS: [string, string][] = [["grim", "grim"], ["wtype", "wtype"], [
  "wl-paste",
  "wl-clipboard",
]];

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
    const missing = WAYLAND_TOOLS.filter(([program]) => !find(program)).map(([, pkg]) => pkg);
    throw new Error(
      "Wayland without XWayland is not supported: start XWayland (set DISPLAY) to drive X11 apps" +
        (missing.length
          ? `; a Wayland backend would also need ${missing.join(", ")}`
          : "; grim, wtype and wl-clipboard are installed but not used yet"),
    );
  }
  throw new Error("no display: DISPLAY is not set (start X11 or Xvfb, or run on a desktop)");
}
