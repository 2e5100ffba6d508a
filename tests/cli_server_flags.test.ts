/**
 * `interpreter --server --allow_remote_auto_run`: the real CLI in a child
 * process lets a client switch auto_run on only when the flag was given
 * (either spelling).
 */

import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";

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
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    let text = "";
    while (!(/listening on http:\/\/\S+/.test(text) && /shown once\): \S+/.test(text))) {
      const next = await reader.read();
      if (next.done) throw new Error(`the server stopped; it printed: ${text}`);
      text += next.value;
    }
    await fn(/listening on (http:\/\/\S+)/.exec(text)![1], /shown once\): (\S+)/.exec(text)![1]);
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0);
    while (!(await reader.read()).done) { /* the rest of stderr */ }
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await reader.cancel().catch(() => {});
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
    assertEquals((await r.json()).settings.autoRun, true);
  });
});

Deno.test("cli server: --allow_remote_auto_run (snake_case) works too", async () => {
  await withServer(["--allow_remote_auto_run"], async (url, token) => {
    const r = await setAutoRun(url, token);
    assertEquals(r.status, 200);
    await r.body?.cancel();
  });
});
