/**
 * Units of lib/desktop that need no display: PNG encode/decode (checked against Python's zlib and
 * the PNGs other programs write), resizing and the model's image caps, XWD decoding of a real
 * `xwd` dump, tesseract TSV parsing and line matching, key names, backend detection messages, the
 * macOS command lines, and trusted program resolution.
 */

import { uniqueMatch } from "../lib/desktop/api.ts";
import { detectBackend } from "../lib/desktop/detect.ts";
import { keyScript, macosCommand } from "../lib/desktop/macos.ts";
import { decodePpm, waylandCommand } from "../lib/desktop/wayland.ts";
import { findText, parseTsv, wordsToText } from "../lib/desktop/ocr.ts";
import { decodePng, encodePng, isPng, pngSize, type RgbaImage } from "../lib/desktop/png.ts";
import { findProgram, runProgram } from "../lib/desktop/programs.ts";
import { capImage, resizeImage } from "../lib/desktop/resize.ts";
import { x11Key } from "../lib/desktop/keys.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./helpers/assert.ts";

function gradient(width: number, height: number, { alpha = 255 } = {}): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4;
      data[d] = x & 255;
      data[d + 1] = y & 255;
      data[d + 2] = (x * y) & 255;
      data[d + 3] = alpha;
    }
  }
  return { width, height, data };
}

Deno.test("PNG: encode then decode gives the same pixels, with and without alpha", () => {
  for (const alpha of [255, 100]) {
    const image = gradient(37, 19, { alpha });
    const png = encodePng(image);
    assert(isPng(png));
    assertEquals(pngSize(png), { width: 37, height: 19 });
    assertEquals(decodePng(png), image);
  }
});

Deno.test("PNG: Python's zlib reads our PNG: chunk CRCs, header, data size", async () => {
  const png = encodePng(gradient(5, 3));
  const script = `
import sys, zlib, struct
b = sys.stdin.buffer.read()
assert b[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
at = 8; idat = b''
while at < len(b):
    n, = struct.unpack('>I', b[at:at+4]); t = b[at+4:at+8]; body = b[at+8:at+8+n]
    crc, = struct.unpack('>I', b[at+8+n:at+12+n])
    assert zlib.crc32(t + body) == crc, t
    if t == b'IHDR': w, h, depth, ct = struct.unpack('>IIBB', body[:10])
    if t == b'IDAT': idat += body
    at += 12 + n
raw = zlib.decompress(idat)
print(w, h, depth, ct, len(raw))
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(png);
  await w.close();
  const result = await out.output();
  assertEquals(new TextDecoder().decode(result.stdout).trim(), `5 3 8 2 ${(5 * 3 + 1) * 3}`);
});

Deno.test("PNG: a grey 1-bit PNG from Python decodes to black and white pixels", async () => {
  const script = `
import sys, zlib, struct
def chunk(t, body): return struct.pack('>I', len(body)) + t + body + struct.pack('>I', zlib.crc32(t + body))
rows = b''.join(b'\\x00' + bytes([0b10100000]) for _ in range(2))  # 3 px wide: 1,0,1
sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 3, 2, 1, 0, 0, 0, 0))
  + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
`;
  const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", script], stdout: "piped" })
    .output();
  const image = decodePng(out.stdout);
  assertEquals([image.width, image.height], [3, 2]);
  assertEquals([...image.data.subarray(0, 12)], [
    255,
    255,
    255,
    255,
    0,
    0,
    0,
    255,
    255,
    255,
    255,
    255,
  ]);
});

Deno.test("PNG: not a PNG and a truncated one are one-line errors", () => {
  assertThrows(() => decodePng(new Uint8Array([1, 2, 3])), Error, "not a PNG");
  const png = encodePng(gradient(10, 10));
  assertThrows(() => decodePng(png.subarray(0, 40)), Error, "PNG");
});

Deno.test("resize: halving averages 2x2 blocks; growing interpolates", () => {
  const image: RgbaImage = {
    width: 2,
    height: 2,
    data: new Uint8Array([0, 0, 0, 255, 100, 0, 0, 255, 0, 100, 0, 255, 100, 100, 40, 255]),
  };
  const half = resizeImage(image, { width: 1, height: 1 });
  assertEquals([...half.data], [50, 50, 10, 255]);
  const big = resizeImage(image, { width: 4, height: 4 });
  assertEquals([big.width, big.height], [4, 4]);
  assertEquals([...big.data.subarray(0, 4)], [0, 0, 0, 255]);
});

Deno.test("capImage: longest edge 1568, screenshots 1280 wide, byte cap, small ones untouched", () => {
  const small = encodePng(gradient(100, 50));
  assertEquals(capImage(small), small);
  const wide = capImage(encodePng(gradient(2000, 500)));
  assertEquals(pngSize(wide), { width: 1568, height: 392 });
  const shot = capImage(encodePng(gradient(1600, 1000)), { maxWidth: 1280 });
  assertEquals(pngSize(shot), { width: 1280, height: 800 });
  // Noise does not compress: a byte cap forces a smaller image.
  const noise = gradient(800, 800);
  crypto.getRandomValues(noise.data.subarray(0, 65536));
  for (let i = 65536; i < noise.data.length; i += 65536) {
    crypto.getRandomValues(noise.data.subarray(i, Math.min(noise.data.length, i + 65536)));
  }
  for (let i = 3; i < noise.data.length; i += 4) noise.data[i] = 255;
  const capped = capImage(encodePng(noise), { maxBytes: 500_000 });
  assert(capped.length <= 500_000, `${capped.length} bytes`);
  assert(pngSize(capped)!.width < 800);
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]);
  assertEquals(capImage(jpeg), jpeg);
  assertThrows(() => capImage(jpeg, { maxBytes: 3 }), Error, "save it as PNG");
});

Deno.test("tesseract TSV: words grouped by line, phrases match within a line only", () => {
  const tsv = [
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
    "5\t1\t1\t1\t1\t1\t23\t10\t34\t9\t90\tHello",
    "5\t1\t1\t1\t1\t2\t65\t10\t40\t10\t94\tthere,",
    "5\t1\t1\t1\t1\t3\t114\t10\t34\t9\t96\tclick",
    "5\t1\t1\t1\t1\t4\t156\t10\t48\t9\t92\tProceed",
    "5\t1\t2\t1\t1\t1\t5\t33\t59\t13\t91\t(Proceed)",
    "5\t1\t2\t1\t1\t2\t68\t33\t52\t13\t81\t(Cancel)",
    "4\t1\t2\t1\t1\t0\t5\t33\t100\t13\t-1\t",
  ].join("\n");
  const words = parseTsv(tsv);
  assertEquals(words.length, 6);
  assertEquals(wordsToText(words), "Hello there, click Proceed\n(Proceed) (Cancel)");
  assertEquals(findText(words, "proceed").length, 2);
  const phrase = findText(words, "Click  proceed");
  assertEquals(phrase.length, 1);
  assertEquals(phrase[0], {
    text: "click Proceed",
    left: 114,
    top: 10,
    width: 90,
    height: 9,
    x: 159,
    y: 15,
  });
  assertEquals(findText(words, "proceed cancel").length, 1);
  assertEquals(findText(words, "proceed hello").length, 0);
  assertEquals(findText(words, "  ").length, 0);
  const err = assertThrows(() => uniqueMatch("Proceed", findText(words, "proceed")));
  assertStringIncludes(err.message, "(180, 15), (35, 40)");
});

Deno.test("key names map to X11 keysyms; unknown keys say which names exist", () => {
  assertEquals(
    ["enter", "command", "option", "ctrl", "pagedown", "f5", "a", ",", "Esc"].map(x11Key),
    ["Return", "super", "alt", "ctrl", "Next", "F5", "a", "comma", "Escape"],
  );
  assertThrows(() => x11Key("hyperdrive"), Error, "unknown key");
});

Deno.test("detection: Windows, Wayland-only, no display, missing X11 tools", () => {
  assertThrows(() => detectBackend({ os: "windows", env: {} }), Error, "Windows");
  const wayland = assertThrows(() =>
    detectBackend({ os: "linux", env: { WAYLAND_DISPLAY: "wayland-0" }, find: () => null })
  );
  assertEquals(
    wayland.message,
    "missing grim, wtype, wl-copy, wl-paste: Wayland (wlroots) needs apt-get install grim wtype " +
      "wl-clipboard (and ydotool for the mouse), or XWayland with DISPLAY set",
  );
  assertEquals(
    detectBackend({
      os: "linux",
      env: { WAYLAND_DISPLAY: "wayland-0" },
      find: (p) => `/usr/bin/${p}`,
    })
      .name,
    "wayland",
  );
  assertThrows(() => detectBackend({ os: "linux", env: {}, find: () => "/x" }), Error, "DISPLAY");
  const missing = assertThrows(() =>
    detectBackend({
      os: "linux",
      env: { DISPLAY: ":9" },
      find: (p) => p === "xdotool" ? "/usr/bin/xdotool" : null,
    })
  );
  assertEquals(missing.message, "missing xwd, xclip: apt-get install x11-apps xclip");
  const mac = assertThrows(() => detectBackend({ os: "darwin", env: {}, find: () => null }));
  assertStringIncludes(mac.message, "brew install cliclick");
  assertEquals(
    detectBackend({ os: "darwin", env: {}, find: (p) => `/usr/bin/${p}` }).name,
    "macos",
  );
});

Deno.test("macOS command lines: screencapture, cliclick, System Events, pbcopy", () => {
  assertEquals(macosCommand("screenshot", { path: "/t/s.png" }), {
    program: "screencapture",
    args: ["-x", "-C", "-t", "png", "/t/s.png"],
  });
  assertEquals(macosCommand("click", { to: { x: 10.4, y: 20 }, button: "left", clicks: 2 }).args, [
    "dc:10,20",
  ]);
  assertEquals(macosCommand("click", { to: null, button: "right", clicks: 1 }).args, ["rc:."]);
  assertEquals(macosCommand("drag", { from: { x: 1, y: 2 }, to: { x: 3, y: 4 } }).args, [
    "dd:1,2",
    "dm:3,4",
    "du:3,4",
  ]);
  assertEquals(
    keyScript(["command", "c"], true),
    'tell application "System Events"\nkeystroke "c" using {command down}\nend tell',
  );
  assertEquals(
    keyScript(["enter", "a"], false),
    'tell application "System Events"\nkey code 36\nkeystroke "a"\nend tell',
  );
  // Text is quoted for AppleScript: a quote cannot end the string and run a command.
  assertEquals(
    macosCommand("type", { text: 'a"; do shell script "x' }).args[1],
    'tell application "System Events" to keystroke "a\\"; do shell script \\"x"',
  );
  assertEquals(macosCommand("writeClipboard", { text: "hi" }), {
    program: "pbcopy",
    args: [],
    stdin: "hi",
  });
});

Deno.test("programs come from trusted folders only, and every call is bounded", async () => {
  assertEquals(
    findProgram("sh")?.startsWith("/usr/bin/") || findProgram("sh")?.startsWith("/bin/"),
    true,
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/evil`, "#!/bin/sh\necho planted\n", { mode: 0o755 });
    // A world-writable folder (like /tmp) is never trusted, nor a program only on PATH.
    await Deno.chmod(dir, 0o777);
    assertEquals(findProgram("evil", [dir]), null);
    assertEquals(findProgram("evil"), null);
    assertThrows(() => findProgram("../bin/sh"), Error, "bare names");
    // Control: the same program in a root-owned 0755 folder is found.
    await Deno.chmod(dir, 0o755);
    assertEquals(findProgram("evil", [dir]), `${dir}/evil`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const started = Date.now();
  const err = await runProgram("sleep", ["30"], { timeoutMs: 300 }).catch((e) => e);
  assertStringIncludes(String(err), "did not finish within 300 ms");
  assert(Date.now() - started < 20_000);
});

Deno.test("Wayland command lines: grim, wtype chords, ydotool buttons, wl-clipboard; PPM", () => {
  assertEquals(waylandCommand("screenshot").args, ["-t", "ppm", "-"]);
  assertEquals(waylandCommand("hotkey", { keys: ["ctrl", "shift", "t"] }).args, [
    "-M",
    "ctrl",
    "-M",
    "shift",
    "-k",
    "t",
    "-m",
    "shift",
    "-m",
    "ctrl",
  ]);
  assertEquals(waylandCommand("press", { keys: ["enter", "a"] }).args, ["-k", "Return", "-k", "a"]);
  assertEquals(waylandCommand("key", { keys: ["command", "f5"], down: true }).args, [
    "-M",
    "logo",
    "-P",
    "F5",
  ]);
  assertEquals(waylandCommand("click", { button: "right", clicks: 2 }).args, [
    "click",
    "--repeat",
    "2",
    "--next-delay",
    "60",
    "0xC1",
  ]);
  assertEquals(waylandCommand("button", { button: "left", down: false }).args, ["click", "0x80"]);
  assertEquals(waylandCommand("move", { to: { x: 10.6, y: 3 } }).args, [
    "mousemove",
    "--absolute",
    "-x",
    "11",
    "-y",
    "3",
  ]);
  assertEquals(waylandCommand("type", { text: "-rf /" }).args, ["--", "-rf /"]);
  assertEquals(waylandCommand("selectedText").args, ["--primary", "--no-newline"]);
  const ppm = new Uint8Array([
    ...new TextEncoder().encode("P6\n# grim\n2 1\n255\n"),
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  assertEquals(decodePpm(ppm), {
    width: 2,
    height: 1,
    data: new Uint8Array([1, 2, 3, 255, 4, 5, 6, 255]),
  });
  assertThrows(() => decodePpm(new Uint8Array([80, 54, 10])), Error, "PPM");
});
