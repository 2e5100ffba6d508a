/**
 * computer.browser: a real headless Chromium over the DevTools pipe, reading local pages served
 * here; the network permissions hold for the page's address and for every request it makes (a
 * second server counts the requests that reach it, with a control that grants it).
 */

import { Browser, urlRefusal } from "../lib/desktop/browser.ts";
import { decodePng, isPng } from "../lib/desktop/png.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { missingBrowser } from "./helpers/desktop_xvfb.ts";

const missing = missingBrowser();

interface Servers {
  page: string;
  pagePort: number;
  otherPort: number;
  hits: () => number;
  close: () => Promise<void>;
}

function serve(): Servers {
  let hits = 0;
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    hits++;
    if (req.headers.get("upgrade") === "websocket") return Deno.upgradeWebSocket(req).response;
    return new Response("tracked", { headers: { "access-control-allow-origin": "*" } });
  });
  const otherPort = other.addr.port;
  const main = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/search") {
      return new Response(`<p>results for ${url.searchParams.get("q")}</p>`, {
        headers: { "content-type": "text/html" },
      });
    }
    return new Response(
      `<!doctype html><title>T</title><body><h1>Local page</h1><p>Hello from the test</p>
       <img src="http://127.0.0.1:${otherPort}/pixel.png">
       <script>fetch("http://127.0.0.1:${otherPort}/beacon").catch(() => {});
       try { new WebSocket("ws://127.0.0.1:${otherPort}/socket"); } catch {}</script></body>`,
      { headers: { "content-type": "text/html" } },
    );
  });
  return {
    page: `http://127.0.0.1:${main.addr.port}/`,
    pagePort: main.addr.port,
    otherPort,
    hits: () => hits,
    close: async () => {
      await main.shutdown();
      await other.shutdown();
    },
  };
}

Deno.test({
  name: "browser: reads a local page; requests (and WebSockets) to a host not allowed never leave",
  ignore: missing !== "",
}, async () => {
  const s = serve();
  const browser = new Browser({ net: { allow: [`127.0.0.1:${s.pagePort}`] } });
  try {
    await browser.go_to_url(s.page);
    const text = await browser.read();
    assertStringIncludes(text, "Local page");
    assertStringIncludes(text, "Hello from the test");
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(s.hits(), 0);
    assert(browser.refused.some((u) => u.includes(`:${s.otherPort}/`)), browser.refused.join());
    await assertRejects(
      () => browser.go_to_url(`http://127.0.0.1:${s.otherPort}/`),
      Error,
      "network permissions do not allow 127.0.0.1",
    );
    await assertRejects(() => browser.go_to_url("file:///etc/passwd"), Error, "only http");
    const shot = await browser.screenshot();
    assert(isPng(shot.png));
    assertEquals(decodePng(shot.png).width, 1280);
  } finally {
    await browser.close();
    await s.close();
  }
});

Deno.test({
  name: "control: with the second host allowed, the page's requests reach it",
  ignore: missing !== "",
}, async () => {
  const s = serve();
  const browser = new Browser({
    net: { allow: [`127.0.0.1:${s.pagePort}`, `127.0.0.1:${s.otherPort}`] },
    searchUrl: `${s.page}search?q={query}`,
  });
  try {
    await browser.go_to_url(s.page);
    const until = Date.now() + 10_000;
    while (s.hits() < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assertEquals(s.hits(), 3); // the image, the fetch and the WebSocket
    assertStringIncludes(await browser.search("cats & dogs"), "results for cats & dogs");
  } finally {
    await browser.close();
    await s.close();
  }
});

Deno.test("urlRefusal: schemes, hosts, ports, deny lists", () => {
  const net = { allow: ["example.com", "*.test.org:8080"], deny: ["bad.example.com"] };
  assertEquals(urlRefusal("https://example.com/x", net), null);
  assertEquals(urlRefusal("http://a.test.org:8080/", net), null);
  assertStringIncludes(urlRefusal("http://a.test.org/", net)!, "--allow-net=a.test.org");
  assertStringIncludes(urlRefusal("javascript:alert(1)", net)!, "only http");
  assertStringIncludes(urlRefusal("data:text/html,hi", net)!, "only http");
  assertEquals(urlRefusal("data:text/html,hi", net, { subresource: true }), null);
  assertEquals(urlRefusal("https://x.com", { allow: true, deny: ["x.com"] }) !== null, true);
  assertStringIncludes(urlRefusal("not a url", net)!, "not a URL");
});
