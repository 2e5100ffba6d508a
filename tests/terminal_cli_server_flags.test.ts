/**
 * `interpreter --server --allow_remote_auto_run`: the real CLI in a child
 * process lets a client switch auto_run on only when the flag was given
 * (either spelling).
 */

import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { StreamText } from "./helpers/stream_text.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Starts the server with `args`, answers `fn` with its URL and token, then stops it. */
async function withServer(
  args: string[],
  fn: (url: string, token: string) => Promise<void>,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "interpreter-cli-server-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--server", "--port", "0", ...args],
    env: {
      INTERPRETER_HOME: home,
      INTERPRETER_API_KEY: "",
      INTERPRETER_HOST: "",
      INTERPRETER_PORT: "",
      INTERPRETER_ALLOW_REMOTE_AUTO_RUN: "",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new StreamText(child.stderr);
  // Bounds the whole exchange: a server that stops answering is killed, so nothing waits forever.
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const text = await stderr.until(
      (t) => /listening on http:\/\/\S+/.test(t) && /shown once\): \S+/.test(t),
      60_000,
    );
    await fn(/listening on (http:\/\/\S+)/.exec(text)![1], /shown once\): (\S+)/.exec(text)![1]);
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0);
    await stderr.rest();
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await stderr.cancel();
    await child.status;
    await Deno.remove(home, { recursive: true });
  }
}

async function setAutoRun(url: string, token: string): Promise<Response> {
  return await fetch(`${url}/settings`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ auto_run: true }),
  });
}

Deno.test("cli server: auto_run cannot be switched on remotely without the flag", async () => {
  await withServer([], async (url, token) => {
    const r = await setAutoRun(url, token);
    assertEquals(r.status, 403);
    assertStringIncludes((await r.json()).error.message, "--allow_remote_auto_run");
  });
});

Deno.test("cli server: --allow-remote-auto-run lets a client switch auto_run on", async () => {
  await withServer(["--allow-remote-auto-run"], async (url, token) => {
    const r = await setAutoRun(url, token);
    assertEquals(r.status, 200);
    assertEquals((await r.json()).settings.auto_run, true);
  });
});

Deno.test("cli server: --allow_remote_auto_run (snake_case) works too", async () => {
  await withServer(["--allow_remote_auto_run"], async (url, token) => {
    const r = await setAutoRun(url, token);
    assertEquals(r.status, 200);
    await r.body?.cancel();
  });
});
