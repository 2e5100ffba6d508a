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
