/**
 * The Computer API inside real sandboxed sessions (bubblewrap): with display access the Python
 * session's `computer` views the screen (the screenshot joins the run's output), clicks a button
 * by its label, types and uses the clipboard, all through the channel; the code still cannot
 * reach the X server itself (path or abstract socket), whose control (`allowAll()`, no sandbox)
 * shows the test would see it. Without display access every call says the API is off. The same
 * API is callable from the library on the host.
 */

import { Computer } from "../lib/computer/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { allowAll, type Permissions } from "../lib/sandbox/permissions.ts";
import { API_OFF_MESSAGE } from "../lib/desktop/host.ts";
import { x11Backend } from "../lib/desktop/x11.ts";
import { decodePng } from "../lib/desktop/png.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import {
  missingDesktop,
  startChoiceBox,
  startXvfb,
  waitFor,
  type Xvfb,
} from "./helpers/desktop_xvfb.ts";
import { textOf } from "./helpers/computer_helpers.ts";

async function withSession(
  permissions: (cwd: string) => Permissions,
  fn: (computer: Computer, xvfb: Xvfb) => Promise<void>,
): Promise<void> {
  const xvfb = await startXvfb();
  const cwd = await Deno.makeTempDir();
  const data = await Deno.makeTempDir();
  const computer = new Computer({
    cwd,
    dataDir: data,
    permissions: permissions(cwd),
    desktop: { backend: () => x11Backend({ display: xvfb.display }) },
  });
  try {
    await fn(computer, xvfb);
  } finally {
    await computer.terminate();
    await xvfb.stop();
    await Deno.remove(cwd, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
}

const withDisplay = (cwd: string): Permissions => ({
  ...defaultPermissions({ cwd }),
  display: true,
});

// Connects to the X server's sockets directly: what code must never manage inside the sandbox.
const PY_REACH_X = (n: string) => `
import socket
for name, addr in (("abstract", "\\0/tmp/.X11-unix/X${n}"), ("path", "/tmp/.X11-unix/X${n}")):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(addr)
        print(name, "reached")
    except OSError as e:
        print(name, "refused", type(e).__name__)
    finally:
        s.close()
`;

const missing = missingDesktop();

Deno.test({
  name: "session: with --allow-display, Python code views, clicks by label, types, copies",
  ignore: missing !== "",
}, async () => {
  await withSession(withDisplay, async (computer, xvfb) => {
    const box = startChoiceBox(xvfb);
    try {
      await waitFor(
        async () => String(await computer.display.get_text()).includes("choose"),
        "xmessage",
      );
      const messages = await computer.run(
        "python",
        `img = computer.display.view()
print("size", img.width, img.height)
computer.clipboard.copy("copied in the sandbox")
print("clip", computer.clipboard.view())
computer.mouse.click("Proceed")
print("clicked")`,
      );
      const text = textOf(messages);
      assertStringIncludes(text, "size 1280 800");
      assertStringIncludes(text, "clip copied in the sandbox");
      assertStringIncludes(text, "clicked");
      const image = messages.find((m) => m.type === "image");
      assert(image, JSON.stringify(messages).slice(0, 500));
      const png = Uint8Array.from(atob(String(image.content)), (c) => c.charCodeAt(0));
      assertEquals(decodePng(png).width, 1280);
      assertEquals((await box.result).code, 7);
      // The display is served through the channel only: the X server stays out of reach.
      const n = xvfb.display.slice(1);
      const reach = textOf(await computer.run("python", PY_REACH_X(n)));
      assertStringIncludes(reach, "abstract refused");
      assertStringIncludes(reach, "path refused");
      const env = textOf(
        await computer.run("python", `import os; print(os.environ.get("DISPLAY"))`),
      );
      assertEquals(env.trim(), "None");
    } finally {
      await box.kill();
    }
  });
});

Deno.test({
  name: "session: without display access every call says the API is off; X unreachable",
  ignore: missing !== "",
}, async () => {
  await withSession((cwd) => defaultPermissions({ cwd }), async (computer, xvfb) => {
    const out = textOf(
      await computer.run(
        "python",
        `for f in (computer.display.view, lambda: computer.mouse.click(1, 2), computer.clipboard.view):
    try:
        f(); print("ran")
    except Exception as e:
        print(type(e).__name__, e)
import os; print("socket var", os.environ.get("INTERPRETER_COMPUTER_SOCKET"))`,
      ),
    );
    const lines = out.trim().split("\n");
    assertEquals(
      lines.filter((l) => l === `ComputerError ${API_OFF_MESSAGE}`).length,
      3,
      out,
    );
    assert(!out.includes("ran"), out);
    assert(lines.includes("socket var None"), out);
    const reach = textOf(await computer.run("python", PY_REACH_X(xvfb.display.slice(1))));
    assertStringIncludes(reach, "abstract refused");
    assertStringIncludes(reach, "path refused");
    await assertRejects(() => computer.display.view(), Error, API_OFF_MESSAGE);
  });
});

Deno.test({
  name: "control: unconfined (allowAll) code reaches the X server directly",
  ignore: missing !== "",
}, async () => {
  await withSession(() => allowAll(), async (computer, xvfb) => {
    const reach = textOf(await computer.run("python", PY_REACH_X(xvfb.display.slice(1))));
    assertStringIncludes(reach, "abstract reached");
    assertStringIncludes(reach, "path reached");
  });
});

Deno.test({
  name: "library: interpreter.computer.display and mouse on the host with display access",
  ignore: missing !== "",
}, async () => {
  await withSession(withDisplay, async (computer) => {
    assertEquals(await computer.display.size(), [1280, 800]);
    await computer.mouse.move({ x: 10, y: 20 });
    assertEquals(await computer.mouse.position(), [10, 20]);
    await assertRejects(() => computer.display.nothing(), Error, "no method nothing");
  });
});

Deno.test({
  name: "session: the JavaScript session's computer (promises) with and without display access",
  ignore: missing !== "",
}, async () => {
  await withSession(withDisplay, async (computer) => {
    const out = textOf(
      await computer.run(
        "javascript",
        `const size = await computer.display.size();
console.log("size", JSON.stringify(size));
await computer.clipboard.copy("from deno");
console.log("clip", await computer.clipboard.view());
await computer.mouse.move(12, 34);
console.log("pos", JSON.stringify(await computer.mouse.position()));
try { await computer.keyboard.press("nosuchkey"); } catch (e) { console.log(e.name, e.message); }`,
      ),
    );
    assertStringIncludes(out, "size [1280,800]");
    assertStringIncludes(out, "clip from deno");
    assertStringIncludes(out, "pos [12,34]");
    assertStringIncludes(out, 'ComputerError unknown key "nosuchkey"');
  });
  await withSession((cwd) => defaultPermissions({ cwd }), async (computer) => {
    const out = textOf(
      await computer.run(
        "javascript",
        `try { await computer.display.view(); } catch (e) { console.log(e.name, e.message); }`,
      ),
    );
    assertStringIncludes(out, `ComputerError ${API_OFF_MESSAGE}`);
  });
});
