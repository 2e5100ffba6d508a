/**
 * `interpreter --server` as a person starts it: the real CLI in a child
 * process prints its address and a generated token, answers with that token,
 * refuses a public address without one, and stops cleanly on SIGTERM.
 */

import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { StreamText } from "./helpers/stream_text.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function tempHome(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "interpreter-server-cli-" });
}

function serverCommand(args: string[], home: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--server", ...args],
    env: {
      INTERPRETER_HOME: home,
      INTERPRETER_API_KEY: "",
      INTERPRETER_HOST: "",
      INTERPRETER_PORT: "",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("interpreter --server prints a token, requires it, and stops on SIGTERM", async () => {
  const home = await tempHome();
  const child = serverCommand(["--port", "0"], home).spawn();
  try {
    const stderr = new StreamText(child.stderr);
    const text = await stderr.until(
      (t) => /listening on http:\/\/\S+/.test(t) && /shown once\): \S+/.test(t),
      60_000,
    );
    const url = /listening on (http:\/\/\S+)/.exec(text)![1];
    const token = /shown once\): (\S+)/.exec(text)![1];
    assertMatch(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // What generated code may touch is said at start, as in the chat.
    assertMatch(text, /sessions' code runs under: Permissions: read all except ~\/\.ssh/);

    assertEquals(await (await fetch(`${url}/heartbeat`)).json(), { status: "alive" });
    const denied = await fetch(`${url}/history`);
    assertEquals(denied.status, 401);
    await denied.body?.cancel();
    const history = await fetch(`${url}/history`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(await history.json(), { session: "default", messages: [] });

    child.kill("SIGTERM");
    const status = await child.status;
    assertEquals(status.code, 0);
    // Drain what is left so the streams close.
    await stderr.rest();
    await child.stdout.cancel();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("interpreter --server refuses a public address without INTERPRETER_API_KEY", async () => {
  const home = await tempHome();
  try {
    const output = await serverCommand(["--host", "0.0.0.0", "--port", "0"], home).output();
    assert(!output.success, "it must not start");
    const stderr = new TextDecoder().decode(output.stderr);
    assertMatch(
      stderr,
      /Refusing to listen on 0\.0\.0\.0 without an access token: set INTERPRETER_API_KEY/,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
