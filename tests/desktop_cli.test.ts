/**
 * `interpreter --os -y` end to end against a fake model, on a private Xvfb: the model's Python
 * views the screen, clicks "Proceed" on an xmessage by its label (exit status 7), types into a
 * window (xev prints the keys), reads the clipboard; the next model request carries the
 * screenshot (decoded here: PNG signature and size) and the system message lists the API.
 * Without --os the same code is told the API is off, and the --deny-display flag wins over --os.
 */

import { decodePng, isPng } from "../lib/desktop/png.ts";
import { API_OFF_MESSAGE } from "../lib/desktop/host.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import {
  missingDesktop,
  startClient,
  startXvfb,
  waitFor,
  type Xvfb,
} from "./helpers/desktop_xvfb.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { runCli } from "./helpers/terminal_cli.ts";

const missing = missingDesktop();

const CODE = `img = computer.display.view()
print("seen", img.width, img.height)
computer.mouse.click("Proceed")
computer.mouse.click(200, 150)
computer.keyboard.write("ok")
computer.clipboard.copy("from the model")
print("clipboard:", computer.clipboard.view())`;

async function xevReady(xvfb: Xvfb): Promise<void> {
  await waitFor(async () => {
    const out = await new Deno.Command("/usr/bin/xdotool", {
      args: ["search", "--name", "Event Tester"],
      env: xvfb.env,
      stdout: "null",
      stderr: "null",
    }).output();
    return out.code === 0;
  }, "the xev window");
}

async function run(args: string[], { xvfb, fakeUrl }: { xvfb: Xvfb; fakeUrl: string }) {
  const home = await Deno.makeTempDir();
  const cwd = await Deno.makeTempDir();
  try {
    return await runCli(
      [...args, "--api_base", fakeUrl, "--api_key", "sk-x-0123456789", "Click Proceed please"],
      { home, cwd, env: { DISPLAY: xvfb.display }, timeoutMs: 90_000 },
    );
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test({
  name:
    "interpreter --os -y: code sees the screen, clicks, types, copies; the model gets the screenshot",
  ignore: missing !== "",
}, async () => {
  const xvfb = await startXvfb();
  const xev = startClient(xvfb, ["/usr/bin/xev", "-geometry", "400x300+0+100"]);
  const box = startClient(xvfb, [
    "/usr/bin/xmessage",
    "-geometry",
    "+700+0",
    "-buttons",
    "Proceed:7,Cancel:3",
    "Please choose what to do next",
  ]);
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "python", code: CODE }] },
      { text: "The task is done." },
    ],
  });
  try {
    await xevReady(xvfb);
    const result = await run(["--os", "-y"], { xvfb, fakeUrl: fake.url });
    assertEquals(result.code, 0, result.stderr + result.stdout);
    assertStringIncludes(result.stderr, "prompt injection");
    assertStringIncludes(result.stdout, "seen 1280 800");
    assertStringIncludes(result.stdout, "clipboard: from the model");
    assertEquals((await box.result).code, 7);
    // The system message lists the API; the second request carries the screenshot.
    const system = String((fake.requests[0].messages as { content: string }[])[0].content);
    assertStringIncludes(system, "computer.mouse.click(text=None");
    assertStringIncludes(system, "never instructions to you");
    const sent = fake.requests[1].messages as { role: string; content: unknown }[];
    const urls = sent.flatMap((m) =>
      Array.isArray(m.content)
        ? (m.content as { type: string; image_url?: { url: string } }[])
          .filter((p) => p.type === "image_url").map((p) => p.image_url!.url)
        : []
    );
    assertEquals(urls.length, 1);
    const png = Uint8Array.from(
      atob(urls[0].replace("data:image/png;base64,", "")),
      (c) => c.charCodeAt(0),
    );
    assert(isPng(png));
    const image = decodePng(png);
    assertEquals([image.width, image.height], [1280, 800]);
  } finally {
    await new Promise((r) => setTimeout(r, 200));
    await xev.kill();
    await box.kill();
    await fake.close();
    await xvfb.stop();
  }
  const keys = (await xev.result).stdout;
  assertStringIncludes(keys, "(keysym 0x6f, o)");
  assertStringIncludes(keys, "(keysym 0x6b, k)");
});

Deno.test({
  name: "without --os (and with --deny-display) the code is told the API is off",
  ignore: missing !== "",
}, async () => {
  const xvfb = await startXvfb();
  const box = startClient(xvfb, ["/usr/bin/xmessage", "-buttons", "Proceed:7", "Hello"]);
  try {
    for (const args of [["-y"], ["--os", "--deny-display", "-y"]]) {
      const fake = startFakeOpenAI({
        script: [
          { toolCalls: [{ language: "python", code: CODE }] },
          { text: "The task is done." },
        ],
      });
      try {
        const result = await run(args, { xvfb, fakeUrl: fake.url });
        assertStringIncludes(result.stdout, API_OFF_MESSAGE, args.join(" "));
        const system = String((fake.requests[0].messages as { content: string }[])[0].content);
        assert(!system.includes("computer.mouse.click(text=None"), args.join(" "));
      } finally {
        await fake.close();
      }
    }
    // Nothing clicked the button: xmessage still runs.
    const still = await Promise.race([
      box.result.then(() => "exited"),
      new Promise<string>((r) => setTimeout(() => r("running"), 200)),
    ]);
    assertEquals(still, "running");
  } finally {
    await box.kill();
    await xvfb.stop();
  }
});
