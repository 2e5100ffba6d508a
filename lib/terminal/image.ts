/**
 * Images in the terminal: shown inline where the terminal can draw them (kitty's graphics
 * protocol; iTerm2's inline images, also in WezTerm; sixel in foot, mlterm, Windows Terminal,
 * Konsole), otherwise saved to a private temporary folder and shown as the file's path. Also
 * finds the image files a person names in a message.
 *
 * @module
 */

import { encodeSixel, type SixelImage } from "./sixel.ts";

/** How this terminal draws images. */
export type ImageProtocol = "kitty" | "iterm" | "sixel" | "none";

/** Picks the protocol from the environment (TERM, TERM_PROGRAM, KITTY_WINDOW_ID). */
export function detectImageProtocol(env: Record<string, string | undefined>): ImageProtocol {
  const program = env.TERM_PROGRAM ?? "";
  if (env.KITTY_WINDOW_ID || env.TERM === "xterm-kitty" || program === "ghostty") return "kitty";
  if (program === "iTerm.app" || program === "WezTerm") return "iterm";
  const term = env.TERM ?? "";
  if (
    /^(foot|mlterm)/.test(term) || term.includes("sixel") || env.WT_SESSION ||
    env.KONSOLE_VERSION
  ) return "sixel";
  return "none";
}

/** The widest a sixel image is drawn, in pixels. */
const SIXEL_MAX_WIDTH = 800;

let decodeForSixel: ((png: Uint8Array) => SixelImage) | undefined;

/** Loads the PNG decoder sixel needs (only for sixel terminals: it costs node:zlib). */
export async function loadImageSupport(protocol: ImageProtocol): Promise<void> {
  if (protocol !== "sixel" || decodeForSixel) return;
  const [{ decodePng }, { resizeImage }] = await Promise.all([
    import("../desktop/png.ts"),
    import("../desktop/resize.ts"),
  ]);
  decodeForSixel = (png) => {
    const image = decodePng(png);
    return image.width > SIXEL_MAX_WIDTH
      ? resizeImage(image, {
        width: SIXEL_MAX_WIDTH,
        height: (image.height * SIXEL_MAX_WIDTH) / image.width,
      })
      : image;
  };
}

/**
 * The escape sequence drawing a base64 PNG (kitty, sixel) or image (iTerm2) inline, then a
 * newline; null when it cannot be drawn (sixel of a non-PNG, or without `loadImageSupport`).
 */
export function inlineImage(
  base64: string,
  protocol: Exclude<ImageProtocol, "none">,
): string | null {
  if (protocol === "sixel") {
    if (!decodeForSixel) return null;
    try {
      return encodeSixel(decodeForSixel(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))) +
        "\n";
    } catch {
      return null;
    }
  }
  if (protocol === "iterm") {
    const size = Math.floor((base64.length * 3) / 4);
    return `\x1b]1337;File=inline=1;size=${size};preserveAspectRatio=1:${base64}\x07\n`;
  }
  // kitty: PNG data (f=100) sent in chunks of at most 4096 base64 characters.
  let out = "";
  for (let at = 0; at < base64.length; at += 4096) {
    const last = at + 4096 >= base64.length;
    const head = at === 0 ? "a=T,f=100," : "";
    out += `\x1b_G${head}m=${last ? 0 : 1};${base64.slice(at, at + 4096)}\x1b\\`;
  }
  return out + "\n";
}

let folder: string | undefined;
let count = 0;

/** Saves a base64 image to this process's private image folder; returns the file's path. */
export function saveImage(base64: string, format: string): string {
  folder ??= Deno.makeTempDirSync({ prefix: "interpreter-images-" });
  const ext = format.includes("jpeg") || format.includes("jpg") ? "jpg" : "png";
  const path = `${folder}/image-${++count}.${ext}`;
  Deno.writeFileSync(path, Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)), {
    createNew: true,
    mode: 0o600,
  });
  return path;
}

const IMAGE_FILE = /\.(png|jpe?g|gif|webp)$/i;

/**
 * The image files named in a message (absolute, `~/`, or relative to `cwd` paths ending in .png,
 * .jpg, .jpeg, .gif or .webp, possibly quoted) that exist as files.
 */
export function imagePathsIn(
  text: string,
  { cwd, home = Deno.env.get("HOME") }: { cwd: string; home?: string },
): string[] {
  const found: string[] = [];
  const candidates = text.match(/"[^"]+"|'[^']+'|\S+/g) ?? [];
  for (let word of candidates) {
    word = word.replace(/^["']|["']$/g, "").replace(/[),.;:!?]+$/, "");
    if (!IMAGE_FILE.test(word)) continue;
    let path = word;
    if (path.startsWith("~/") && home) path = `${home}${path.slice(1)}`;
    else if (!path.startsWith("/")) path = `${cwd}/${path}`;
    try {
      if (Deno.statSync(path).isFile && !found.includes(path)) found.push(path);
    } catch { /* not a file: ordinary words */ }
  }
  return found;
}
