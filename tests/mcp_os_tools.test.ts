/**
 * `interpreter --mcp --os`: the Computer API's methods are MCP tools; on a
 * real X server (Xvfb) the SDK client reads the screen size and gets a
 * screenshot as an image. Without --os they are not offered (the control).
 */

import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { startXvfb } from "./helpers/desktop_xvfb.ts";
import { type Piece, stdioClient } from "./helpers/mcp_client.ts";
import { signatureParams } from "../lib/mcp/os_tools.ts";

Deno.test("mcp --os: signatures become argument lists", () => {
  assertEquals(signatureParams('click(text=None, x=None, y=None, button="left", clicks=1)'), [
    { name: "text", rest: false, optional: true },
    { name: "x", rest: false, optional: true },
    { name: "y", rest: false, optional: true },
    { name: "button", rest: false, optional: true },
    { name: "clicks", rest: false, optional: true },
  ]);
  assertEquals(signatureParams("press(*keys, presses=1)"), [
    { name: "keys", rest: true, optional: false },
    { name: "presses", rest: false, optional: true },
  ]);
  assertEquals(signatureParams("view()"), []);
});

Deno.test("mcp --os: the Computer API as tools on a real X display", async () => {
  const xvfb = await startXvfb(800, 600);
  const withOs = await stdioClient({ args: ["--os"], env: xvfb.env });
  const without = await stdioClient({ env: xvfb.env });
  try {
    const names = ((await withOs.client.listTools()).tools as { name: string }[]).map((t) =>
      t.name
    );
    for (
      const name of ["execute", "display_view", "display_size", "mouse_click", "keyboard_write"]
    ) {
      assert(names.includes(name), `${name} missing from ${names.join(", ")}`);
    }
    assert(!names.some((n) => n.startsWith("ai_")), names.join(", "));
    const plain = ((await without.client.listTools()).tools as { name: string }[]).map((t) =>
      t.name
    );
    assertEquals(plain.sort(), ["execute", "languages", "reset"]);

    const size = await withOs.client.callTool({ name: "display_size", arguments: {} });
    const text = ((size.content ?? []) as Piece[])[0].text ?? "";
    assertMatch(text, /^\[\d+,\s*\d+\]$/);
    const view = await withOs.client.callTool({ name: "display_screenshot", arguments: {} });
    const image = ((view.content ?? []) as Piece[]).find((p) => p.type === "image");
    assert(image, JSON.stringify(view).slice(0, 300));
    assertMatch(image.data ?? "", /^iVBORw0KGgo/);
  } finally {
    await withOs.close();
    await without.close();
    await xvfb.stop();
  }
});
