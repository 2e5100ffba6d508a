/**
 * The Computer API's desktop part against a private Xvfb: screenshots, clicking a button by its
 * label (xmessage's exit status proves which button), keys and buttons (xev prints them), the
 * clipboard and the selection (read back with xclip), coordinates scaled between screenshot and
 * screen pixels.
 */

import { DesktopApi } from "../lib/desktop/api.ts";
import { decodePng, isPng } from "../lib/desktop/png.ts";
import { x11Backend } from "../lib/desktop/x11.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import {
  missingDesktop,
  startChoiceBox,
  startClient,
  startXvfb,
  waitFor,
  type Xvfb,
} from "./helpers/desktop_xvfb.ts";

const missing = missingDesktop();

async function withDesktop(
  size: [number, number],
  fn: (api: DesktopApi, xvfb: Xvfb) => Promise<void>,
): Promise<void> {
  const xvfb = await startXvfb(...size);
  try {
    await fn(new DesktopApi({ backend: x11Backend({ display: xvfb.display }) }), xvfb);
  } finally {
    await xvfb.stop();
  }
}

async function xclipOut(xvfb: Xvfb, selection: string): Promise<string> {
  const out = await new Deno.Command("/usr/bin/xclip", {
    args: ["-selection", selection, "-o"],
    env: xvfb.env,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** Waits until OCR sees `text` (the client has mapped its window and drawn). */
async function waitForText(api: DesktopApi, text: string): Promise<void> {
  await waitFor(async () => (await api.display.get_text()).includes(text), `"${text}" on screen`);
}

Deno.test(
  { name: "display.view returns a PNG of the screen at its size", ignore: missing !== "" },
  async () => {
    await withDesktop([1280, 800], async (api) => {
      const shot = await api.display.view();
      assert(isPng(shot.png));
      const image = decodePng(shot.png);
      assertEquals([image.width, image.height], [1280, 800]);
      assertEquals(await api.display.size(), [1280, 800]);
      assertEquals(await api.display.center(), [640, 400]);
    });
  },
);

Deno.test({
  name: "mouse.click by label clicks xmessage's Proceed button (exit status 7)",
  ignore: missing !== "",
}, async () => {
  await withDesktop([1280, 800], async (api, xvfb) => {
    const box = startChoiceBox(xvfb);
    try {
      await waitForText(api, "choose");
      await api.mouse.click("Proceed");
      assertEquals((await box.result).code, 7);
    } finally {
      await box.kill();
    }
  });
});

Deno.test({
  name: "control: clicking Cancel by label ends xmessage with 3",
  ignore: missing !== "",
}, async () => {
  await withDesktop([1280, 800], async (api, xvfb) => {
    const box = startChoiceBox(xvfb);
    try {
      await waitForText(api, "choose");
      await api.mouse.click("Cancel");
      assertEquals((await box.result).code, 3);
    } finally {
      await box.kill();
    }
  });
});

Deno.test({
  name: "a text shown twice is an error naming each place; a missing text too",
  ignore: missing !== "",
}, async () => {
  await withDesktop([1280, 800], async (api, xvfb) => {
    const box = startClient(xvfb, [
      "/usr/bin/xmessage",
      "-buttons",
      "Proceed:7,Cancel:3",
      "Press Proceed to go on",
    ]);
    try {
      await waitForText(api, "go on");
      const found = await api.display.find_text("proceed");
      assertEquals(found.length, 2);
      const err = await assertRejects(() => api.mouse.click("Proceed"));
      assertStringIncludes(err.message, "2 times");
      for (const m of found) assertStringIncludes(err.message, `(${m.x}, ${m.y})`);
      // A phrase across the words of one line finds only the message.
      const phrase = await api.display.find_text("proceed to go");
      assertEquals(phrase.length, 1);
      await assertRejects(() => api.mouse.click("Nowhere to be seen"), Error, "could not find");
      // Nothing was clicked: xmessage still runs.
      const still = await Promise.race([
        box.result.then(() => "exited"),
        new Promise<string>((r) => setTimeout(() => r("running"), 300)),
      ]);
      assertEquals(still, "running");
    } finally {
      await box.kill();
    }
  });
});

Deno.test(
  { name: "keyboard and mouse events reach a window (xev)", ignore: missing !== "" },
  async () => {
    await withDesktop([1280, 800], async (api, xvfb) => {
      const xev = startClient(xvfb, ["/usr/bin/xev", "-geometry", "400x300+0+0"]);
      try {
        // xev's window shows no text; wait until it is mapped by watching the screen change.
        await waitFor(async () => {
          const out = await new Deno.Command("/usr/bin/xdotool", {
            args: ["search", "--name", "Event Tester"],
            env: xvfb.env,
            stdout: "piped",
            stderr: "null",
          }).output();
          return out.code === 0;
        }, "the xev window");
        await api.mouse.move({ x: 200, y: 150 });
        await api.mouse.click({ x: 200, y: 150 });
        await api.mouse.right_click({ x: 210, y: 160 });
        await api.mouse.scroll(2);
        await api.keyboard.write("hi");
        await api.keyboard.press(["enter"]);
        await api.keyboard.hotkey(["ctrl", "a"]);
        assertEquals(await api.mouse.position(), [210, 160]);
      } finally {
        await new Promise((r) => setTimeout(r, 200));
        await xev.kill();
      }
      const out = (await xev.result).stdout;
      assertStringIncludes(out, "ButtonPress event");
      assertStringIncludes(out, "button 1,");
      assertStringIncludes(out, "button 3,");
      assertStringIncludes(out, "button 5,");
      assertStringIncludes(out, "(keysym 0x68, h)");
      assertStringIncludes(out, "(keysym 0x69, i)");
      assertStringIncludes(out, "Return)");
      assertStringIncludes(out, "Control_L)");
      assertStringIncludes(out, "(keysym 0x61, a)");
    });
  },
);

Deno.test({
  name: "clipboard: copy then view, read back by xclip; the selection is read apart",
  ignore: missing !== "",
}, async () => {
  await withDesktop([640, 480], async (api, xvfb) => {
    assertEquals(await api.clipboard.view(), "");
    await api.clipboard.copy("héllo wörld\nline 2");
    assertEquals(await api.clipboard.view(), "héllo wörld\nline 2");
    assertEquals(await xclipOut(xvfb, "clipboard"), "héllo wörld\nline 2");
    // The primary selection (what is highlighted) is read without touching the clipboard.
    const child = new Deno.Command("/usr/bin/xclip", {
      args: ["-selection", "primary", "-i"],
      env: xvfb.env,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("selected words"));
    await w.close();
    await child.status;
    // xclip's background child takes the selection a moment after its parent exits.
    await waitFor(async () => (await xclipOut(xvfb, "primary")) === "selected words", "xclip");
    assertEquals(await api.os.get_selected_text(), "selected words");
    assertEquals(await api.clipboard.view(), "héllo wörld\nline 2");
  });
});

Deno.test({
  name: "a 2560x1600 screen: screenshots are 1280 wide, coordinates scale back",
  ignore: missing !== "",
}, async () => {
  await withDesktop([2560, 1600], async (api, xvfb) => {
    const shot = await api.display.screenshot();
    assertEquals([shot.width, shot.height], [1280, 800]);
    assertEquals(await api.display.size(), [1280, 800]);
    await api.mouse.move({ x: 100, y: 50 });
    const out = await new Deno.Command("/usr/bin/xdotool", {
      args: ["getmouselocation", "--shell"],
      env: xvfb.env,
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertStringIncludes(text, "X=200\nY=100");
    assertEquals(await api.mouse.position(), [100, 50]);
  });
});

Deno.test(
  { name: "unknown keys and bad counts are one-line errors", ignore: missing !== "" },
  async () => {
    await withDesktop([640, 480], async (api) => {
      await assertRejects(() => api.keyboard.press(["nosuchkey"]), Error, "unknown key");
      await assertRejects(() => api.mouse.click({ x: 1, y: 1 }, { clicks: 0 }), Error, "clicks");
      await assertRejects(() => api.mouse.scroll(Number.NaN), Error, "scroll");
    });
  },
);
