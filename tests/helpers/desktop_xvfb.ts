/**
 * A private X server for the desktop tests: `Xvfb -displayfd 1 -nolisten tcp -noreset` (no TCP,
 * no reset when the last client leaves), plus helpers to start X clients (xmessage, xev) on it.
 *
 * @module
 */

/** A running private X server. */
export interface Xvfb {
  /** Its display, e.g. `:3`. */
  display: string;
  /** The environment X clients need. */
  env: Record<string, string>;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** Starts Xvfb with a `width`x`height` 24-bit screen; waits (bounded, 10 s) until it is ready. */
export async function startXvfb(width = 1280, height = 800): Promise<Xvfb> {
  const child = new Deno.Command("/usr/bin/Xvfb", {
    args: [
      "-displayfd",
      "1",
      "-nolisten",
      "tcp",
      "-noreset",
      "-screen",
      "0",
      `${width}x${height}x24`,
    ],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("Xvfb exited before it was ready");
      text += value;
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  const display = `:${text.trim()}`;
  return {
    display,
    env: { DISPLAY: display },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** A started X client whose exit status and output can be awaited. */
export interface XClient {
  /** Resolves with the exit status and stdout once it exits. */
  result: Promise<{ code: number; stdout: string }>;
  /** Kills it (if still running) and waits. */
  kill(): Promise<void>;
}

/** Starts an X client on `xvfb`: `argv` is the program's path and its arguments. */
export function startClient(xvfb: Xvfb, argv: string[]): XClient {
  const [program, ...args] = argv;
  const child = new Deno.Command(program, {
    args,
    env: { DISPLAY: xvfb.display, PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const result = child.output().then((o) => ({
    code: o.code,
    stdout: new TextDecoder().decode(o.stdout),
  }));
  return {
    result,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await result;
    },
  };
}

/**
 * Starts xmessage on `xvfb` asking "Please choose what to do next" with two buttons: Proceed
 * (exit status 7) and Cancel (exit status 3); the status proves which one was clicked.
 */
export function startChoiceBox(xvfb: Xvfb): XClient {
  return startClient(xvfb, [
    "/usr/bin/xmessage",
    "-buttons",
    "Proceed:7,Cancel:3",
    "Please choose what to do next",
  ]);
}

/**
 * Waits (bounded, `timeoutMs`) until `check` resolves true; polls every 50 ms. A check that
 * throws counts as not yet (the last error is reported if time runs out).
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  { timeoutMs = 20_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
}

function missingFrom(label: string, paths: string[]): string {
  const missing = paths.filter((p) => {
    try {
      return !Deno.statSync(p).isFile;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return "";
  const reason = `${label}: ${missing.join(", ")} not installed`;
  // As tests/helpers/requirements.ts: skipped locally with the reason, a failure in CI.
  if (Deno.env.get("CI") === "true") throw new Error(`${reason}; .ci/run must install it`);
  console.log(`${reason}: skipped`);
  return reason;
}

/** "" when the X11 desktop test programs are installed, else why the X tests are skipped. */
export function missingDesktop(): string {
  return missingFrom(
    "desktop tests",
    ["Xvfb", "xdotool", "xclip", "tesseract", "xwd", "xmessage", "xev"].map((p) => `/usr/bin/${p}`),
  );
}

/** "" when a headless Chromium is installed, else why the browser tests are skipped. */
export function missingBrowser(): string {
  const found = ["/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium"]
    .some((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
  return found ? "" : missingFrom("browser tests", ["/usr/lib/chromium/chromium-headless-shell"]);
}
