/**
 * `interpreter --mcp --port 0` (Streamable HTTP) driven by the official SDK
 * client: the token is required on every request, sessions keep state; and
 * the chat's rules apply to served code: permission flags and safe mode
 * (elicitation when the client can ask, else refused with the reason).
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { execute, httpProgram, processesWith, stdioClient } from "./helpers/mcp_client.ts";
import { pythonWithMatplotlib, waitUntil } from "./helpers/computer_helpers.ts";

/** Runs the program with `args` in a new empty INTERPRETER_HOME (removed after), only PATH set. */
async function runWithNewHome(args: string[]): Promise<{ code: number; stderr: string }> {
  const home = await Deno.makeTempDir({ prefix: "mcp-home-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", ...args],
      env: { INTERPRETER_HOME: home, PATH: Deno.env.get("PATH") ?? "" },
      clearEnv: true,
      cwd: new URL("..", import.meta.url).pathname,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

async function rawPost(url: string, headers: Record<string, string>): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(INIT),
  });
}

Deno.test("mcp http: the token is required; with it, state is kept per session", async () => {
  const program = await httpProgram();
  try {
    // What the sessions' code may touch is said at start (stdio says it on its first line).
    assertStringIncludes(program.startup, "MCP sessions' code runs under: Permissions: read all");
    // Refused without the token, with a wrong one, and on any path.
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong" }, {
      "x-api-key": "wrong",
    }];
    for (const headers of attempts) {
      const response = await rawPost(program.url, headers);
      assertEquals(response.status, 401);
      await response.body?.cancel();
    }
    const other = await fetch(new URL("/anything", program.url));
    assertEquals(other.status, 401);
    await other.body?.cancel();
    await assertRejects(() => program.connect("not-the-token"));
    // Control: the same request with the token is answered.
    const ok = await rawPost(program.url, { authorization: `Bearer ${program.token}` });
    assertEquals(ok.status, 200);
    assert(ok.headers.get("mcp-session-id"));
    await ok.body?.cancel();

    const client = await program.connect();
    const tools = (await client.listTools()).tools as { name: string }[];
    assertEquals(tools.map((t) => t.name).sort(), ["execute", "languages", "reset"]);
    await execute(client, "python", "counter = 1");
    assertEquals((await execute(client, "python", "counter += 1\ncounter")).text, "2\n");
    // Another client is another session: its own state.
    const second = await program.connect();
    assertStringIncludes((await execute(second, "python", "counter")).text, "NameError");
    // A session id from elsewhere is not accepted without the token either.
    const noToken = await fetch(program.url, {
      method: "POST",
      headers: { "content-type": "application/json", "mcp-session-id": "x" },
      body: "{}",
    });
    assertEquals(noToken.status, 401);
    await noToken.body?.cancel();
  } finally {
    assertEquals(await program.close(), 0);
  }
});

Deno.test("mcp http: refuses a non-loopback address without a configured token", async () => {
  const out = await runWithNewHome(["--mcp", "--port", "0", "--host", "0.0.0.0"]);
  assertEquals(out.code, 2);
  assertStringIncludes(out.stderr, "without an access token");
});

Deno.test("mcp: permission flags apply to served code (control without the flag)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcp-private-" });
  await Deno.writeTextFile(`${dir}/note.txt`, "private-words");
  const code = `print(open(${JSON.stringify(`${dir}/note.txt`)}).read())`;
  const denied = await stdioClient({ args: [`--deny-read=${dir}`] });
  const allowed = await stdioClient();
  try {
    const blocked = await execute(denied.client, "python", code);
    assert(!blocked.text.includes("private-words"), blocked.text);
    assertStringIncludes(blocked.text, "Error");
    assertStringIncludes((await execute(allowed.client, "python", code)).text, "private-words");
  } finally {
    await denied.close();
    await allowed.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mcp: safe mode asks through elicitation, else refuses with the reason", async () => {
  const code = "echo ran-it\nsudo -n true 2>/dev/null; echo done";
  const noAsk = await stdioClient({ args: ["--safe_mode", "ask"] });
  const accepts = await stdioClient({ args: ["--safe_mode", "ask"], elicit: "accept" });
  const declines = await stdioClient({ args: ["--safe_mode", "ask"], elicit: "decline" });
  const auto = await stdioClient({ args: ["--safe_mode", "auto"] });
  try {
    const refused = await execute(noAsk.client, "shell", code);
    assertEquals(refused.isError, true);
    assertStringIncludes(refused.text, "cannot ask the person");
    assertStringIncludes(refused.text, "sudo");
    assert(!refused.text.includes("ran-it"));

    const ran = await execute(accepts.client, "shell", code);
    assertStringIncludes(ran.text, "ran-it");

    const declined = await execute(declines.client, "shell", code);
    assertEquals(declined.isError, true);
    assert(!declined.text.includes("ran-it"));

    // Unflagged code runs without a question.
    assertEquals((await execute(noAsk.client, "shell", "echo plain")).text, "plain\n");
    // auto refuses unsafe code outright.
    const unsafe = await execute(auto.client, "shell", "rm -rf ~");
    assertEquals(unsafe.isError, true);
    assertStringIncludes(unsafe.text, "Safe mode refused");
  } finally {
    for (const c of [noAsk, accepts, declines, auto]) await c.close();
  }
});

Deno.test("mcp http: a plot comes back as an image; cancelling a run leaves no process", async () => {
  const mpl = pythonWithMatplotlib();
  if (!mpl) throw new Error("no python3 with matplotlib here: .ci/run installs python3-matplotlib");
  const program = await httpProgram({ env: { INTERPRETER_PYTHON: mpl } });
  const marker = `${3000 + Math.floor(Math.random() * 6000)}.${Date.now() % 100000}`;
  try {
    const client = await program.connect();
    const plot = await execute(
      client,
      "python",
      "import matplotlib.pyplot as plt\nplt.plot([2, 1, 3])\nplt.show()",
    );
    const image = plot.pieces.find((p) => p.type === "image");
    assert(image, JSON.stringify(plot.pieces).slice(0, 300));
    assertEquals(image.mimeType, "image/png");

    const progress: string[] = [];
    const controller = new AbortController();
    const call = execute(
      client,
      "shell",
      `sleep ${marker} &\nsleep ${marker}`,
      { signal: controller.signal, onprogress: (p) => progress.push(p.message ?? "") },
    );
    call.catch(() => {});
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length >= 2, 30_000),
      "the run's processes never appeared",
    );
    controller.abort("cancelled by the test");
    await assertRejects(() => call);
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 15_000),
      `still alive: ${processesWith(`sleep ${marker}`).join(", ")}`,
    );
    assertEquals((await execute(client, "shell", "echo next")).text, "next\n");
  } finally {
    assertEquals(await program.close(), 0);
  }
});

Deno.test("mcp: --host without --port is one line and exit status 2", async () => {
  const out = await runWithNewHome(["--mcp", "--host", "127.0.0.1"]);
  assertEquals(out.code, 2);
  const err = out.stderr.trim();
  assertEquals(err.split("\n").length, 1, err);
  assertStringIncludes(err, "--port");
});

Deno.test("mcp http (library): sessions are bounded; a session over the limit gets 503", async () => {
  const { startMcpHttp, serveTools, sessionFromEngine } = await import("../lib/mcp/mod.ts");
  const { Interpreter } = await import("../lib/core/interpreter.ts");
  const dir = await Deno.makeTempDir({ prefix: "mcp-limit-" });
  const handle = await startMcpHttp({
    port: 0,
    token: "limit-token-0123456789",
    maxSessions: 1,
    log: () => {},
    createSession: () => sessionFromEngine(new Interpreter({ dataDir: dir })),
    tools: serveTools,
  });
  try {
    const first = await rawPost(handle.url, { authorization: "Bearer limit-token-0123456789" });
    assertEquals(first.status, 200);
    await first.body?.cancel();
    const second = await rawPost(handle.url, { authorization: "Bearer limit-token-0123456789" });
    assertEquals(second.status, 503);
    assertStringIncludes(await second.text(), "Too many MCP sessions");
  } finally {
    await handle.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mcp http: SIGTERM with a client still connected ends the program (exit 0), its code too", async () => {
  const program = await httpProgram();
  const marker = `${3000 + Math.floor(Math.random() * 6000)}.${Date.now() % 100000}`;
  const client = await program.connect();
  await execute(client, "shell", `(sleep ${marker} &); echo started`);
  assert(await waitUntil(() => processesWith(`sleep ${marker}`).length > 0, 20_000));
  const started = Date.now();
  assertEquals(await program.close(true), 0);
  assert(Date.now() - started < 14_000, `took ${Date.now() - started} ms`);
  assert(
    await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 10_000),
    "the session's background process outlived the program",
  );
});
