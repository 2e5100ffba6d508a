/**
 * Vision: the person's image files and code's images reach vision models capped (OpenAI image_url
 * data URLs and Anthropic image blocks, decoded here: PNG signature and size), a model without
 * vision gets the image's OCR text, `--os`-style limits keep only the last images, a path named
 * by code is never read; the terminal draws images inline (kitty, iTerm2) or saves them and shows
 * the path, finds image paths in a message, and `%image PATH` attaches one.
 */

import { Interpreter } from "../lib/core/interpreter.ts";
import type { LmcMessage } from "../lib/wire/lmc.ts";
import { decodePng, encodePng, isPng, type RgbaImage } from "../lib/desktop/png.ts";
import { prepareImages } from "../lib/desktop/vision.ts";
import { x11Backend } from "../lib/desktop/x11.ts";
import { DesktopApi } from "../lib/desktop/api.ts";
import {
  detectImageProtocol,
  imagePathsIn,
  inlineImage,
  loadImageSupport,
} from "../lib/terminal/image.ts";
import { encodeSixel } from "../lib/terminal/sixel.ts";
import { runMagic } from "../lib/terminal/magic.ts";
import { Renderer } from "../lib/terminal/renderer.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { FakeComputer } from "./helpers/fake_computer.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { startClient, startXvfb, waitFor } from "./helpers/desktop_xvfb.ts";

function picture(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = (i / 4) % 256;
    data[i + 1] = 128;
    data[i + 2] = 40;
    data[i + 3] = 255;
  }
  return { width, height, data };
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

const anthropicText = [
  { type: "message_start", message: { usage: { input_tokens: 90, output_tokens: 1 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "A picture." } },
  { type: "content_block_stop", index: 0 },
  { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 5 } },
  { type: "message_stop" },
].map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");

async function withImageFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/big picture.png`;
    await Deno.writeFile(path, encodePng(picture(2000, 1000)));
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("vision: a person's image file goes to OpenAI as a capped PNG data URL", async () => {
  await withImageFile(async (path) => {
    const fake = startFakeOpenAI({ script: [{ text: "A picture." }] });
    try {
      const it = new Interpreter({
        computer: new FakeComputer(),
        llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "k", supportsVision: true },
      });
      await it.chat([
        { role: "user", type: "image", format: "path", content: path },
        { role: "user", type: "message", content: "What is this?" },
      ]);
      const user = (fake.requests[0].messages as { role: string; content: unknown }[]).at(-1)!;
      const parts = user.content as { type: string; image_url?: { url: string } }[];
      const url = parts.find((p) => p.type === "image_url")!.image_url!.url;
      assert(url.startsWith("data:image/png;base64,"), url.slice(0, 40));
      const png = fromBase64(url.slice("data:image/png;base64,".length));
      assert(isPng(png));
      const image = decodePng(png);
      assertEquals([image.width, image.height], [1568, 784]);
      // The stored conversation keeps the path, not a copy of the image.
      assertEquals(it.messages[0].content, path);
    } finally {
      await fake.close();
    }
  });
});

Deno.test("vision: Anthropic gets an image block with the capped PNG", async () => {
  await withImageFile(async (path) => {
    const fake = startFakeOpenAI({ script: [{ sse: anthropicText }] });
    try {
      const it = new Interpreter({
        computer: new FakeComputer(),
        llm: { model: "anthropic/claude-sonnet-4-20250514", apiBase: fake.url, apiKey: "k" },
      });
      await it.chat([
        { role: "user", type: "image", format: "path", content: path },
        { role: "user", type: "message", content: "What is this?" },
      ]);
      const messages = fake.requests[0].messages as { content: Record<string, unknown>[] }[];
      const block = messages.flatMap((m) => m.content).find((b) => b.type === "image")!;
      const source = block.source as { type: string; media_type: string; data: string };
      assertEquals([source.type, source.media_type], ["base64", "image/png"]);
      const image = decodePng(fromBase64(source.data));
      assertEquals([image.width, image.height], [1568, 784]);
    } finally {
      await fake.close();
    }
  });
});

Deno.test("vision: a model without vision gets the screenshot's OCR text", async () => {
  const xvfb = await startXvfb(800, 600);
  const box = startClient(xvfb, ["/usr/bin/xmessage", "Please choose what to do next"]);
  const fake = startFakeOpenAI({ script: [{ text: "ok" }] });
  try {
    const api = new DesktopApi({ backend: x11Backend({ display: xvfb.display }) });
    await waitFor(async () => (await api.display.get_text()).includes("choose"), "xmessage");
    const shot = await api.display.view();
    const it = new Interpreter({
      computer: new FakeComputer(),
      llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "k", supportsVision: false },
    });
    await it.chat([
      { role: "user", type: "image", format: "base64.png", content: toBase64(shot.png) },
      { role: "user", type: "message", content: "What does it say?" },
    ]);
    const sent = JSON.stringify(fake.requests[0].messages);
    assertStringIncludes(sent, "read by OCR");
    assertStringIncludes(sent, "choose what to do next");
    assert(!sent.includes("image_url"));
  } finally {
    await fake.close();
    await box.kill();
    await xvfb.stop();
  }
});

Deno.test("prepareImages: keeps the last images, never reads a path code named", async () => {
  const png = toBase64(encodePng(picture(10, 10)));
  const messages: LmcMessage[] = [
    { role: "computer", type: "image", format: "base64.png", content: png },
    { role: "computer", type: "console", format: "output", content: "x" },
    { role: "computer", type: "image", format: "base64.png", content: png },
    { role: "computer", type: "image", format: "base64.png", content: png },
    { role: "computer", type: "image", format: "path", content: "/etc/hostname" },
  ];
  const out = await prepareImages(messages, { vision: true, keepLast: 3 });
  assertEquals(out[0], {
    role: "computer",
    type: "image",
    format: "text",
    content: "(an earlier image, left out to save room)",
  });
  assertEquals(out[1], messages[1]);
  assertEquals(out[2], messages[2]); // small PNGs pass unchanged
  assertEquals(out[4].format, "text");
  assertEquals(out[4].content, "(an image file the code named; not read)");
  // The control: the same path given by the person is read (and is not an image).
  const person = await prepareImages([{ ...messages[4], role: "user" }], { vision: true });
  assertEquals(person[0].content, "(a file that is not a PNG, JPEG, GIF or WebP image)");
  const jpeg = toBase64(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const j = await prepareImages([{
    role: "user",
    type: "image",
    format: "base64.jpeg",
    content: jpeg,
  }], {
    vision: true,
  });
  assertEquals(j[0].format, "base64.jpeg");
});

Deno.test("terminal: inline images for kitty and iTerm2, else the saved file's path", () => {
  assertEquals(detectImageProtocol({ KITTY_WINDOW_ID: "1" }), "kitty");
  assertEquals(detectImageProtocol({ TERM: "xterm-kitty" }), "kitty");
  assertEquals(detectImageProtocol({ TERM_PROGRAM: "iTerm.app" }), "iterm");
  assertEquals(detectImageProtocol({ TERM: "xterm-256color" }), "none");
  const b64 = "A".repeat(9000);
  const kitty = inlineImage(b64, "kitty")!;
  assert(kitty.startsWith("\x1b_Ga=T,f=100,m=1;"));
  assertEquals(kitty.split("\x1b_G").length - 1, 3);
  assertStringIncludes(kitty, "\x1b_Gm=0;");
  assertStringIncludes(inlineImage("QUJD", "iterm")!, "\x1b]1337;File=inline=1;size=3;");

  const png = toBase64(encodePng(picture(4, 4)));
  let written = "";
  const target = { write: (s: string) => (written += s), columns: () => 80 };
  new Renderer(target, { color: false, live: true, images: "kitty" })
    .chunk({ role: "computer", type: "image", format: "base64.png", content: png });
  assertStringIncludes(written, `\x1b_Ga=T,f=100,m=0;${png}\x1b\\`);
  written = "";
  new Renderer(target, { color: false, live: false })
    .chunk({ role: "computer", type: "image", format: "base64.png", content: png });
  const path = /: (\/\S+\.png)\]/.exec(written)?.[1];
  assert(path, written);
  assertEquals(Deno.readFileSync(path), fromBase64(png));
});

Deno.test("terminal: image paths in a message, and %image PATH", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/shot.png`, encodePng(picture(2, 2)));
    await Deno.writeFile(`${dir}/my photo.jpg`, new Uint8Array([0xff, 0xd8, 0xff]));
    assertEquals(
      imagePathsIn(`look at shot.png, and "${dir}/my photo.jpg" but not missing.png`, { cwd: dir }),
      [`${dir}/shot.png`, `${dir}/my photo.jpg`],
    );
    let messages: LmcMessage[] = [];
    const printed: string[] = [];
    const ctx = {
      cwd: dir,
      get messages() {
        return messages;
      },
      setMessages: (m: LmcMessage[]) => (messages = m),
      print: (...lines: string[]) => printed.push(...lines),
    } as unknown as Parameters<typeof runMagic>[1];
    await runMagic("%image shot.png", ctx);
    assertEquals(messages, [{
      role: "user",
      type: "image",
      format: "path",
      content: `${dir}/shot.png`,
    }]);
    await runMagic("%image nope.png", ctx);
    assertStringIncludes(printed.at(-1)!, "no such image file");
    assertEquals(messages.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A small sixel decoder for the test: register colours (percent) per pixel, null where unset. */
function decodeSixel(
  seq: string,
  { width, height }: { width: number; height: number },
): (string | null)[] {
  const body = seq.slice(seq.indexOf("q") + 1, seq.lastIndexOf("\x1b\\"));
  const colours = new Map<number, string>();
  const pixels: (string | null)[] = Array(width * height).fill(null);
  let colour = 0, x = 0, band = 0;
  const tokens = body.replace(/^"[\d;]+/, "").match(/#\d+(;2;\d+;\d+;\d+)?|!\d+.|[?-~]|\$|-/g) ??
    [];
  for (const t of tokens) {
    if (t.startsWith("#")) {
      const [n, , r, g, b] = t.slice(1).split(";");
      colour = Number(n);
      if (r !== undefined) colours.set(colour, `${r},${g},${b}`);
    } else if (t === "$") x = 0;
    else if (t === "-") {
      x = 0;
      band++;
    } else {
      const count = t.startsWith("!") ? Number(t.slice(1, -1)) : 1;
      const bits = t.charCodeAt(t.length - 1) - 63;
      for (let i = 0; i < count; i++, x++) {
        for (let k = 0; k < 6; k++) {
          const y = band * 6 + k;
          if (bits & (1 << k) && y < height) pixels[y * width + x] = colours.get(colour)!;
        }
      }
    }
  }
  return pixels;
}

Deno.test("terminal: sixel for foot/mlterm/Windows Terminal, pixels round-trip", async () => {
  assertEquals(detectImageProtocol({ TERM: "foot" }), "sixel");
  assertEquals(detectImageProtocol({ WT_SESSION: "x", TERM: "xterm-256color" }), "sixel");
  // 7 wide, 8 high (two bands): red, a run of blue, a transparent hole, white.
  const width = 7, height = 8;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const [r, g, b, a] = x === 0
      ? [255, 0, 0, 255]
      : x === 6
      ? [0, 0, 0, 0]
      : i === 12
      ? [255, 255, 255, 255]
      : [0, 0, 255, 255];
    data.set([r, g, b, a], i * 4);
  }
  const seq = encodeSixel({ width, height, data });
  assert(seq.startsWith('\x1bP0;1;0q"1;1;7;8'));
  assert(seq.includes("!5"), "runs are length-encoded");
  const pixels = decodeSixel(seq, { width, height });
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const want = x === 0 ? "100,0,0" : x === 6 ? null : i === 12 ? "100,100,100" : "0,0,100";
    assertEquals(pixels[i], want, `pixel ${i}`);
  }
  // The renderer draws sixel once the decoder is loaded.
  await loadImageSupport("sixel");
  const png = toBase64(encodePng(picture(4, 4)));
  assertStringIncludes(inlineImage(png, "sixel")!, '\x1bP0;1;0q"1;1;4;4');
  let written = "";
  new Renderer({ write: (t: string) => (written += t), columns: () => 80 }, {
    color: false,
    live: true,
    images: "sixel",
  }).chunk({ role: "computer", type: "image", format: "base64.png", content: png });
  assertStringIncludes(written, "\x1bP0;1;0q");
});
