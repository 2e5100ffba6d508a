/**
 * `computer.browser`: a headless Chromium driven over the DevTools protocol on a pipe
 * (`cdp.ts`). Every URL obeys the session's network permissions: the address is checked before
 * navigating, every request the page makes is paused (CDP `Fetch`) and refused unless its
 * scheme is http(s) and its host is allowed, and every connection (WebSockets included) goes
 * through the sandbox's host-checking proxy. Local files (`file:`) are never opened.
 *
 * @module
 */

import type { Grant } from "../sandbox/permissions.ts";
import { hostAllowed } from "../sandbox/hosts.ts";
import { type Proxy, startProxy } from "../sandbox/proxy.ts";
import { CdpPipe } from "./cdp.ts";
import { resizeImage } from "./resize.ts";
import { decodePng, encodePng } from "./png.ts";
import { findProgram, MissingProgramError, TRUSTED_PROGRAM_DIRS } from "./programs.ts";
import type { Screenshot } from "./screen.ts";

/** The search page `search(query)` opens by default (`{query}` is replaced, URL-encoded). */
const DEFAULT_SEARCH_URL = "https://html.duckduckgo.com/html/?q={query}";

/** Options of {@link Browser}. */
export interface BrowserOptions {
  /** Hosts pages may reach, as the sandbox's `--allow-net` (default: none). */
  net?: { allow: Grant; deny?: readonly string[] };
  /** The search URL template with `{query}` (default {@link DEFAULT_SEARCH_URL}). */
  searchUrl?: string;
  /** Bound of starting the browser and of each command, ms (default 15 s). */
  timeoutMs?: number;
  /** Bound of a page load, ms (default 20 s). */
  loadTimeoutMs?: number;
  /** The most characters `read()` returns (default 100,000). */
  maxReadChars?: number;
}

/** The Chromium program: the headless shell first, then the full browser. */
function findBrowserProgram(): string | null {
  for (const name of ["chromium-headless-shell", "chromium"]) {
    const found = findProgram(name, ["/usr/lib/chromium"]);
    if (found) return found;
  }
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    const found = findProgram(name);
    if (found) return found;
  }
  return null;
}

/** Why `url` may not be opened, or null when it may (`subresource`: data/blob URLs pass). */
export function urlRefusal(
  url: string,
  net: { allow: Grant; deny?: readonly string[] },
  { subresource = false }: { subresource?: boolean } = {},
): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL: ${url}`;
  }
  if (subresource && (parsed.protocol === "data:" || parsed.protocol === "blob:")) return null;
  if (parsed.protocol === "about:" && parsed.href === "about:blank") return null;
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `only http and https pages can be opened, not ${parsed.protocol}`;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  if (!hostAllowed({ host, port }, net)) {
    return `the network permissions do not allow ${host} (start with --allow-net=${host})`;
  }
  return null;
}

/** A started browser: its DevTools pipe and page session, process, profile folder, proxy. */
interface Launched {
  cdp: CdpPipe;
  session: string;
  child: Deno.ChildProcess;
  dir: string;
  proxy: Proxy;
}

/** A headless browser, started on first use. */
export class Browser {
  #options: BrowserOptions;
  #net: { allow: Grant; deny?: readonly string[] };
  #started: Promise<Launched> | null = null;
  /** URLs refused while loading pages (most recent last, at most 50). */
  readonly refused: string[] = [];

  /** Makes the browser; Chromium starts on the first call. */
  constructor(options: BrowserOptions = {}) {
    this.#options = options;
    this.#net = options.net ?? { allow: false };
  }

  #start(): Promise<Launched> {
    this.#started ??= this.#launch();
    return this.#started;
  }

  async #launch(): Promise<Launched> {
    const program = findBrowserProgram();
    if (!program) {
      throw new MissingProgramError(["chromium"], "apt-get install chromium-headless-shell");
    }
    const sh = findProgram("sh");
    if (!sh) throw new MissingProgramError(["sh"]);
    const dir = await Deno.makeTempDir({ prefix: "interpreter-browser-" });
    // Every connection (WebSockets too, which CDP Fetch does not pause) goes through the
    // sandbox's host-checking proxy; loopback is not bypassed.
    const proxy = startProxy({ allow: this.#net.allow, deny: this.#net.deny ?? [], port: 0 });
    const flags = [
      `--proxy-server=http://127.0.0.1:${proxy.port}`,
      "--proxy-bypass-list=<-loopback>",
      "--headless",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--disable-dev-shm-usage",
      "--mute-audio",
      "--hide-scrollbars",
      "--window-size=1280,800",
      `--user-data-dir=${dir}`,
      "--remote-debugging-pipe",
      ...(Deno.uid() === 0 ? ["--no-sandbox"] : []),
      "about:blank",
    ];
    // fd 3 = commands in (our stdin), fd 4 = replies out (our stdout); no debugging port.
    const script = 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null';
    const setpriv = findProgram("setpriv");
    const [command, args] = setpriv
      ? [setpriv, ["--pdeathsig", "KILL", "--", sh, "-c", script, program, ...flags]]
      : [sh, ["-c", script, program, ...flags]];
    const child = new Deno.Command(command, {
      args,
      env: { HOME: dir, PATH: TRUSTED_PROGRAM_DIRS.join(":") },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    child.unref();
    const timeoutMs = this.#options.timeoutMs ?? 15_000;
    const cdp = new CdpPipe(child.stdout, child.stdin, { timeoutMs });
    try {
      const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
      const session = String(sessionId);
      cdp.on((event) => {
        if (event.method !== "Fetch.requestPaused" || event.sessionId !== session) return;
        const requestId = event.params.requestId;
        const url = String((event.params.request as { url?: string })?.url ?? "");
        const refusal = urlRefusal(url, this.#net, { subresource: true });
        if (refusal) {
          this.refused.push(url);
          if (this.refused.length > 50) this.refused.shift();
        }
        cdp.send(
          refusal ? "Fetch.failRequest" : "Fetch.continueRequest",
          refusal ? { requestId, errorReason: "BlockedByClient" } : { requestId },
          { sessionId: session },
        ).catch(() => {});
      });
      await cdp.send("Fetch.enable", { patterns: [{ urlPattern: "*" }] }, { sessionId: session });
      // Pages cannot save files on this machine.
      await cdp.send("Browser.setDownloadBehavior", { behavior: "deny" });
      await cdp.send("Page.enable", {}, { sessionId: session });
      return { cdp, session, child, dir, proxy };
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await proxy.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      this.#started = null;
      throw e;
    }
  }

  /** Opens `url` (it must be http(s) and allowed) and waits for it to load. */
  async go_to_url(url: string): Promise<void> {
    if (typeof url !== "string") throw new Error("go_to_url needs a URL");
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) url = `https://${url}`;
    const refusal = urlRefusal(url, this.#net);
    if (refusal) throw new Error(refusal);
    const { cdp, session } = await this.#start();
    const loaded = cdp.waitFor(
      (e) => e.method === "Page.loadEventFired" && e.sessionId === session,
      "the page load",
      this.#options.loadTimeoutMs ?? 20_000,
    );
    const result = await cdp.send("Page.navigate", { url }, { sessionId: session });
    if (result.errorText) {
      loaded.catch(() => {});
      throw new Error(`could not open ${url}: ${result.errorText}`);
    }
    await loaded;
  }

  /** Searches the web with the configured search page. */
  async search(query: string): Promise<string> {
    if (typeof query !== "string" || !query.trim()) throw new Error("search needs a query");
    const template = this.#options.searchUrl ?? DEFAULT_SEARCH_URL;
    await this.go_to_url(template.replace("{query}", encodeURIComponent(query)));
    return await this.read();
  }

  /** The text of the open page. */
  async read(): Promise<string> {
    const { cdp, session } = await this.#start();
    const max = this.#options.maxReadChars ?? 100_000;
    const { result } = await cdp.send("Runtime.evaluate", {
      expression: `(document.body ? document.body.innerText : "").slice(0, ${max})`,
      returnByValue: true,
    }, { sessionId: session }) as { result?: { value?: unknown } };
    return typeof result?.value === "string" ? result.value : "";
  }

  /** A screenshot of the open page (PNG, at most 1280 px wide). */
  async screenshot(): Promise<Screenshot> {
    const { cdp, session } = await this.#start();
    const { data } = await cdp.send("Page.captureScreenshot", { format: "png" }, {
      sessionId: session,
    });
    let image = decodePng(Uint8Array.from(atob(String(data)), (c) => c.charCodeAt(0)));
    if (image.width > 1280) {
      image = resizeImage(image, { width: 1280, height: (image.height * 1280) / image.width });
    }
    return { png: encodePng(image), width: image.width, height: image.height };
  }

  /** Stops the browser and removes its profile folder. */
  async close(): Promise<void> {
    const started = this.#started;
    this.#started = null;
    if (!started) return;
    const s = await started.catch(() => null);
    if (!s) return;
    await s.cdp.send("Browser.close", {}, { timeoutMs: 2_000 }).catch(() => {});
    const timer = setTimeout(() => {
      try {
        s.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3_000);
    await s.child.status;
    clearTimeout(timer);
    await s.cdp.close();
    await s.cdp.done;
    await s.proxy.close();
    await Deno.remove(s.dir, { recursive: true }).catch(() => {});
  }
}
