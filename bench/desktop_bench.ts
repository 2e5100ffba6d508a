/**
 * Desktop benchmark (Computer API) on a private 1280x800 Xvfb:
 * - `display.view()` to a PNG image chunk (target <= 60 ms);
 * - `mouse.click("Proceed")` on an xmessage, OCR included (target <= 250 ms);
 * - a Computer API call's channel overhead, from the Python client (target <= 1 ms): a call whose
 *   host work is nothing (`display.size()`, cached) compared with the same loop without I/O;
 * - `browser.read()` of a local page after `go_to_url` (target <= 500 ms).
 *
 * Usage: `deno run -A bench/desktop_bench.ts`. Reports medians; never fails.
 *
 * @module
 */

import { ComputerApi } from "../lib/desktop/computer_api.ts";
import { CHANNEL_ENV } from "../lib/desktop/channel.ts";
import { pythonClientSource } from "../lib/desktop/python_client.ts";
import { serveComputerApi } from "../lib/desktop/serve.ts";
import { x11Backend } from "../lib/desktop/x11.ts";
import { startClient, startXvfb, waitFor } from "../tests/helpers/desktop_xvfb.ts";

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function report(name: string, { samples, target }: { samples: number[]; target: number }): void {
  const m = median(samples);
  const verdict = m <= target ? "within" : "OVER";
  console.log(
    `${name.padEnd(34)} median ${
      m.toFixed(2)
    } ms (n=${samples.length}, target <= ${target} ms: ${verdict})`,
  );
}

async function main(): Promise<void> {
  const xvfb = await startXvfb(1280, 800);
  const api = new ComputerApi({
    backend: x11Backend({ display: xvfb.display }),
    browser: { net: { allow: ["127.0.0.1"] } },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(
        `<!doctype html><body><h1>Bench</h1>${
          "<p>Some paragraph text here.</p>".repeat(200)
        }</body>`,
        { headers: { "content-type": "text/html" } },
      ),
  );
  try {
    const view: number[] = [];
    await api.display.view();
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await api.display.view();
      view.push(performance.now() - t);
    }
    report("display.view() 1280x800 -> PNG", { samples: view, target: 60 });

    const clicks: number[] = [];
    for (let i = 0; i < 5; i++) {
      const box = startClient(xvfb, [
        "/usr/bin/xmessage",
        "-buttons",
        "Proceed:7,Cancel:3",
        "Please choose what to do next",
      ]);
      await waitFor(async () => (await api.display.find_text("Cancel")).length === 1, "xmessage");
      const t = performance.now();
      await api.mouse.click("Proceed");
      clicks.push(performance.now() - t);
      const code = (await box.result).code;
      if (code !== 7) console.log(`(xmessage ended with ${code}, not 7)`);
    }
    report('mouse.click("Proceed") with OCR', { samples: clicks, target: 250 });

    const channel = await serveComputerApi(api);
    try {
      const dir = await Deno.makeTempDir();
      await Deno.writeTextFile(`${dir}/client.py`, pythonClientSource());
      await Deno.writeTextFile(
        `${dir}/main.py`,
        `exec(open(${JSON.stringify(`${dir}/client.py`)}).read())
import time
computer.display.size()
samples = []
for i in range(2000):
    t = time.perf_counter(); computer.display.size(); samples.append((time.perf_counter() - t) * 1000)
samples.sort()
print(samples[len(samples) // 2])
`,
      );
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [`${dir}/main.py`],
        env: { [CHANNEL_ENV]: channel.path, PATH: "/usr/bin:/bin" },
        clearEnv: true,
        stdout: "piped",
      }).output();
      await Deno.remove(dir, { recursive: true });
      report("channel round trip (Python client)", {
        samples: [Number(new TextDecoder().decode(out.stdout).trim())],
        target: 1,
      });
    } finally {
      await channel.close();
    }

    const reads: number[] = [];
    const url = `http://127.0.0.1:${server.addr.port}/`;
    await api.browser.go_to_url(url);
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await api.browser.go_to_url(url);
      await api.browser.read();
      reads.push(performance.now() - t);
    }
    report("browser go_to_url + read (local)", { samples: reads, target: 500 });
  } finally {
    await api.close();
    await server.shutdown();
    await xvfb.stop();
  }
}

if (import.meta.main) await main();
