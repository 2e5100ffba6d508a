/**
 * The server's transport over real HTTP and WebSockets, with a scripted
 * stand-in for the engine: routing, auth, SSE, settings, limits, the LMC
 * WebSocket protocol, session expiry and shutdown.
 */

import { assert, assertEquals, assertMatch, assertRejects } from "./helpers/assert.ts";
import { readSse, sendCommand, sendUserMessage, TestSocket } from "./helpers/server_client.ts";
import {
  type Script,
  ScriptedInterpreter,
  startScriptedServer,
} from "./helpers/server_scripted_interpreter.ts";
import { startServer } from "../lib/server/mod.ts";
import type { ServerHandle, ServerOptions } from "../lib/server/types.ts";
import { DECLINED_OUTPUT } from "../lib/server/turn.ts";

const TOKEN = "test-token-123";

const defaultScript: Script = (message) => {
  if (message.startsWith("code")) {
    return [{ text: "Running it." }, { code: "print(42)", output: "42\n" }, { text: "Done: 42." }];
  }
  if (message.startsWith("slow")) return [{ code: "sleep()", output: "slept\n", runMs: 60000 }];
  if (message.startsWith("boom")) return [{ throws: "model exploded" }];
  return [{ text: `You said: ${message}` }];
};

interface Fixture {
  server: ServerHandle;
  interpreters: Map<number, ScriptedInterpreter>;
  created: ScriptedInterpreter[];
  auth: Record<string, string>;
}

async function withServer(
  options: ServerOptions & { script?: Script; autoRun?: boolean },
  body: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  const { script = defaultScript, ...rest } = options;
  const { server, created } = await startScriptedServer(script, { apiKey: TOKEN, ...rest });
  try {
    await body({
      server,
      interpreters: new Map(),
      created,
      auth: { authorization: `Bearer ${TOKEN}` },
    });
  } finally {
    await server.close();
  }
}

Deno.test("heartbeat is open; everything else needs the token (Bearer or X-API-KEY)", async () => {
  await withServer({}, async ({ server }) => {
    const heartbeat = await fetch(`${server.url}/heartbeat`);
    assertEquals(await heartbeat.json(), { status: "alive" });

    const missing = await fetch(`${server.url}/history`);
    assertEquals(missing.status, 401);
    const body = await missing.json();
    assertMatch(body.error.message, /Missing access token/);
    assertEquals(missing.headers.get("www-authenticate"), 'Bearer realm="interpreter"');

    const wrong = await fetch(`${server.url}/history`, {
      headers: { authorization: "Bearer nope" },
    });
    assertEquals(wrong.status, 401);
    assertMatch((await wrong.json()).error.message, /Wrong access token/);

    const bearer = await fetch(`${server.url}/history`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assertEquals(bearer.status, 200);
    assertEquals((await bearer.json()).messages, []);

    const apiKey = await fetch(`${server.url}/history`, { headers: { "x-api-key": TOKEN } });
    assertEquals(apiKey.status, 200);
    await apiKey.body?.cancel();

    // Unknown routes do not answer 404 without a token (they do not reveal what exists).
    const hidden = await fetch(`${server.url}/nope`);
    assertEquals(hidden.status, 401);
    await hidden.body?.cancel();
  });
});

Deno.test("404, 405 and malformed bodies get JSON errors", async () => {
  await withServer({ maxBodyBytes: 1024 }, async ({ server, auth }) => {
    const notFound = await fetch(`${server.url}/nope`, { headers: auth });
    assertEquals(notFound.status, 404);
    assertEquals((await notFound.json()).error.code, "not_found");

    const wrongMethod = await fetch(`${server.url}/history`, { method: "PUT", headers: auth });
    assertEquals(wrongMethod.status, 405);
    assertEquals(wrongMethod.headers.get("allow"), "GET, DELETE");
    await wrongMethod.body?.cancel();

    const malformed = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{not json",
    });
    assertEquals(malformed.status, 400);
    assertEquals((await malformed.json()).error.code, "malformed_json");

    const notObject = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: auth,
      body: "[1,2]",
    });
    assertEquals(notObject.status, 400);
    await notObject.body?.cancel();

    const noMessages = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "x", messages: [] }),
    });
    assertEquals(noMessages.status, 400);
    assertMatch((await noMessages.json()).error.message, /messages/);

    const tooLarge = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ customInstructions: "x".repeat(5000) }),
    });
    assertEquals(tooLarge.status, 413);
    assertEquals((await tooLarge.json()).error.code, "body_too_large");

    // Streamed without a length, the bound still holds.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(500)));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: stream,
    });
    assertEquals(chunked.status, 413);
    await chunked.body?.cancel();

    const badSession = await fetch(`${server.url}/history?session=${encodeURIComponent("a b/c")}`, {
      headers: auth,
    });
    assertEquals(badSession.status, 400);
    await badSession.body?.cancel();
  });
});

Deno.test("GET /chat streams LMC chunks as SSE; without auto_run the code is declined, not run", async () => {
  await withServer({}, async ({ server, auth, created }) => {
    const plain = await fetch(`${server.url}/chat?message=${encodeURIComponent("hello")}`, {
      headers: auth,
    });
    assertEquals(plain.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const events = await readSse(plain) as Record<string, unknown>[];
    assertEquals(events[0], { role: "assistant", type: "message", start: true });
    assertEquals(
      events.filter((e) => e.type === "message" && typeof e.content === "string").map((e) =>
        e.content
      ).join(""),
      "You said: hello",
    );
    assertEquals(events.at(-1), { role: "server", type: "status", content: "complete" });

    const code = await readSse(
      await fetch(`${server.url}/chat?message=code`, { headers: auth }),
    ) as Record<
      string,
      unknown
    >[];
    assert(code.some((e) => e.type === "confirmation"), "the confirmation is shown");
    assert(
      code.some((e) => e.content === DECLINED_OUTPUT),
      "the client sees the code was declined",
    );
    assertEquals(created[0].ran, [], "nothing ran");
    assertEquals(code.at(-1), { role: "server", type: "status", content: "complete" });

    const history = await (await fetch(`${server.url}/history`, { headers: auth })).json();
    const last = history.messages.at(-1);
    assertEquals(last, {
      role: "computer",
      type: "console",
      format: "output",
      content: DECLINED_OUTPUT,
    });

    const missing = await fetch(`${server.url}/chat`, { headers: auth });
    assertEquals(missing.status, 400);
    await missing.body?.cancel();

    const failed = await readSse(await fetch(`${server.url}/chat?message=boom`, { headers: auth }));
    assertEquals(failed, [
      { role: "server", type: "error", content: "model exploded" },
      { role: "server", type: "status", content: "complete" },
    ]);
  });
});

Deno.test("with auto_run on, /chat runs the code and streams its output", async () => {
  await withServer({ autoRun: true }, async ({ server, auth, created }) => {
    const events = await readSse(
      await fetch(`${server.url}/chat`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ message: "code please" }),
      }),
    ) as Record<string, unknown>[];
    assertEquals(created[0].ran, ["print(42)"]);
    assert(events.some((e) => e.type === "console" && e.content === "42\n"));
    assert(!events.some((e) => e.type === "confirmation"));
  });
});

Deno.test("settings: read, change, auto_run guarded, API key never exposed", async () => {
  await withServer({}, async ({ server, auth }) => {
    const all = await (await fetch(`${server.url}/settings`, { headers: auth })).json();
    assertEquals(all["llm.model"], "fake-model");
    assertEquals(all.auto_run, false);
    assertEquals(all.custom_instructions, "", "replies use Open Interpreter's snake_case names");
    assertEquals(all.autoRun, undefined);
    assert(!JSON.stringify(all).includes("sk-secret-key"), "the API key is not listed");

    const llm = await (await fetch(`${server.url}/settings/llm`, { headers: auth })).json();
    assertEquals(llm.llm.model, "fake-model");
    assert(!JSON.stringify(llm).includes("sk-secret-key"));

    for (const name of ["llm.api_key", "llm.apiKey"]) {
      const key = await fetch(`${server.url}/settings/${name}`, { headers: auth });
      assertEquals(key.status, 403);
      const text = await key.text();
      assert(!text.includes("sk-secret-key"));
    }

    const snake = await (await fetch(`${server.url}/settings/auto_run`, { headers: auth })).json();
    assertEquals(snake, { auto_run: false });

    const changed = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ custom_instructions: "Be brief.", llm: { model: "other-model" } }),
    });
    assertEquals(changed.status, 200);
    assertEquals((await changed.json()).settings, {
      custom_instructions: "Be brief.",
      "llm.model": "other-model",
    });
    assertEquals(
      await (await fetch(`${server.url}/settings/llm.model`, { headers: auth })).json(),
      { "llm.model": "other-model" },
    );

    const autoRun = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ auto_run: true }),
    });
    assertEquals(autoRun.status, 403);
    assertMatch((await autoRun.json()).error.message, /INTERPRETER_ALLOW_REMOTE_AUTO_RUN/);

    const setKey = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ llm: { api_key: "sk-new" } }),
    });
    assertEquals(setKey.status, 403);
    await setKey.body?.cancel();

    const setBase = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ "llm.api_base": "http://evil.example/v1" }),
    });
    assertEquals(setBase.status, 403);
    await setBase.body?.cancel();

    const badType = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ maxOutput: "lots", customInstructions: "not applied" }),
    });
    assertEquals(badType.status, 400);
    await badType.body?.cancel();
    assertEquals(
      await (await fetch(`${server.url}/settings/customInstructions`, { headers: auth })).json(),
      { customInstructions: "Be brief." },
      "a rejected request changes nothing",
    );

    const unknown = await fetch(`${server.url}/settings/nonsense`, { headers: auth });
    assertEquals(unknown.status, 404);
    await unknown.body?.cancel();
  });
});

Deno.test("auto_run can be switched on remotely when the server allows it", async () => {
  await withServer({ allowRemoteAutoRun: true }, async ({ server, auth, created }) => {
    const response = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ auto_run: true }),
    });
    assertEquals(response.status, 200);
    await response.body?.cancel();
    await readSse(await fetch(`${server.url}/chat?message=code`, { headers: auth }));
    assertEquals(created[0].ran, ["print(42)"]);
  });
});

Deno.test("a busy session answers 429; the server's run limit answers 503; /stop stops", async () => {
  await withServer({ maxConcurrentRuns: 2 }, async ({ server, auth, created }) => {
    await fetch(`${server.url}/settings`, { method: "POST", headers: auth, body: "{}" }).then((r) =>
      r.body?.cancel()
    );
    created[0].autoRun = true;
    const slowA = await fetch(`${server.url}/chat?message=slow`, { headers: auth });
    const reader = slowA.body!.getReader();
    await reader.read(); // the turn is under way

    const busy = await fetch(`${server.url}/chat?message=hi`, { headers: auth });
    assertEquals(busy.status, 429);
    assertEquals(busy.headers.get("retry-after"), "1");
    assertEquals((await busy.json()).error.code, "session_busy");

    const other = { ...auth, "x-session-id": "b" };
    await fetch(`${server.url}/settings`, { method: "POST", headers: other, body: "{}" }).then((
      r,
    ) => r.body?.cancel());
    created[1].autoRun = true;
    const slowB = await fetch(`${server.url}/chat?message=slow`, { headers: other });
    const readerB = slowB.body!.getReader();
    await readerB.read();

    const full = await fetch(`${server.url}/chat?message=hi&session=c`, { headers: auth });
    assertEquals(full.status, 503);
    assertEquals((await full.json()).error.code, "server_busy");

    const stopped = await (await fetch(`${server.url}/stop`, { method: "POST", headers: auth }))
      .json();
    assertEquals(stopped, { session: "default", stopped: true, discarded: false });
    assert(created[0].calls.stop >= 1, "the code was interrupted");
    // Drain A: it ended.
    while (!(await reader.read()).done) { /* drain */ }

    await readerB.cancel(); // a client that leaves stops its turn too
    for (let i = 0; i < 100 && created[1].calls.stop === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert(created[1].calls.stop >= 1, "leaving the stream stopped the code");

    const again = await readSse(await fetch(`${server.url}/chat?message=hi`, { headers: auth }));
    assertEquals(again.at(-1), { role: "server", type: "status", content: "complete" });
  });
});

Deno.test("sessions are isolated and idle ones expire, ending their code sessions", async () => {
  await withServer({ sessionIdleSeconds: 0.3 }, async ({ server, auth, created }) => {
    await readSse(await fetch(`${server.url}/chat?message=one&session=a`, { headers: auth }));
    await readSse(await fetch(`${server.url}/chat?message=two&session=b`, { headers: auth }));
    const a = await (await fetch(`${server.url}/history?session=a`, { headers: auth })).json();
    const b =
      await (await fetch(`${server.url}/history`, { headers: { ...auth, "x-session-id": "b" } }))
        .json();
    assertEquals(a.messages[0].content, "one");
    assertEquals(b.messages[0].content, "two");
    assertEquals(a.messages.length, 2);
    for (let i = 0; i < 200 && created.some((c) => c.calls.terminate === 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assertEquals(created.map((c) => c.calls.terminate), [1, 1]);
    const fresh = await (await fetch(`${server.url}/history?session=a`, { headers: auth })).json();
    assertEquals(fresh.messages, [], "an expired session starts over");
  });
});

Deno.test("WebSocket: auth message, LMC chunks, confirmation then go, stop", async () => {
  await withServer({}, async ({ server, created }) => {
    const wsUrl = server.url.replace("http", "ws") + "/";
    const socket = await TestSocket.open(wsUrl);
    try {
      socket.send({ auth: TOKEN });
      assertEquals(await socket.next(), { auth: true });

      sendUserMessage(socket, "hi");
      const hello = await socket.untilComplete();
      assertEquals(hello[0], { role: "assistant", type: "message", start: true });
      assertEquals(
        hello.filter((m) => typeof m.content === "string" && m.type === "message").map((m) =>
          m.content
        ).join(""),
        "You said: hi",
      );

      sendUserMessage(socket, "code");
      const paused = await socket.untilComplete();
      const confirmation = paused.find((m) => m.type === "confirmation");
      assertEquals(confirmation?.content, { type: "code", format: "python", content: "print(42)" });
      assertEquals(created[0].ran, [], "waits for go");

      sendCommand(socket, "go");
      const ran = await socket.untilComplete();
      assertEquals(created[0].ran, ["print(42)"]);
      assert(ran.some((m) => m.type === "console" && m.content === "42\n"));
      assert(ran.some((m) => m.type === "message" && m.content !== undefined));

      // A new message drops waiting code: nothing runs.
      sendUserMessage(socket, "code");
      await socket.untilComplete();
      sendUserMessage(socket, "hi again");
      await socket.untilComplete();
      assertEquals(created[0].ran, ["print(42)"]);

      // go with nothing waiting is an error, not a hang.
      sendCommand(socket, "go");
      const nothing = await socket.untilComplete();
      assertEquals(nothing[0], {
        role: "server",
        type: "error",
        content: "There is no code waiting for approval.",
      });

      // Malformed frames get an error and the socket stays usable.
      socket.socket.send("{oops");
      assertEquals((await socket.next() as Record<string, unknown>).type, "error");
    } finally {
      await socket.close();
    }
  });
});

Deno.test("WebSocket: header auth, wrong token refused, stop interrupts running code", async () => {
  await withServer({ autoRun: true }, async ({ server, created }) => {
    const wsUrl = server.url.replace("http", "ws") + "/?session=ws";
    const refused = await TestSocket.open(wsUrl);
    refused.send({ auth: "wrong" });
    assertEquals(await refused.next(), { auth: false });
    const closed = await refused.closed;
    assertEquals(closed.code, 4001);

    await assertRejects(() => TestSocket.open(wsUrl, { authorization: "Bearer wrong" }));

    const socket = await TestSocket.open(wsUrl, { "x-api-key": TOKEN });
    try {
      sendUserMessage(socket, "slow");
      for (;;) {
        const message = await socket.next() as Record<string, unknown>;
        if (message.format === "active_line") break; // the code is running
      }
      sendCommand(socket, "stop");
      const rest = await socket.untilComplete();
      assert(created[0].calls.stop >= 1);
      assertEquals(rest.at(-1), { role: "server", type: "status", content: "complete" });
    } finally {
      await socket.close();
    }
  });
});

Deno.test("graceful shutdown stops running code, ends sessions and closes sockets", async () => {
  const { server, created } = await startScriptedServer(defaultScript, {
    apiKey: TOKEN,
    autoRun: true,
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const response = await fetch(`${server.url}/chat?message=slow`, { headers: auth });
  const reader = response.body!.getReader();
  await reader.read();
  const socket = await TestSocket.open(server.url.replace("http", "ws") + "/?session=w", auth);
  await server.close();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert(text.includes('"content":"complete"'), "the stream ended properly");
  assert(created[0].calls.stop >= 1, "running code was stopped");
  assert(created.length > 0, "the list checked below is not empty");
  assert(created.every((c) => c.calls.terminate === 1), "every session was ended");
  assertEquals((await socket.closed).code, 1001);
  await server.finished;
});

Deno.test("binding beyond loopback needs a token; a generated token is printed once", async () => {
  // An empty environment, given as an option: the process-wide one is shared by
  // every test file running in parallel, so it is never changed here.
  const noEnv = () => undefined;
  await assertRejects(
    () =>
      startServer({
        hostname: "0.0.0.0",
        port: 0,
        log: () => {},
        env: noEnv,
        createInterpreter: () => new ScriptedInterpreter(defaultScript),
      }),
    Error,
    "Refusing to listen on 0.0.0.0 without an access token",
  );
  const lines: string[] = [];
  const server = await startServer({
    port: 0,
    log: (line) => lines.push(line),
    env: noEnv,
    createInterpreter: () => new ScriptedInterpreter(defaultScript),
  });
  try {
    assert(server.tokenGenerated);
    assertEquals(lines.filter((line) => line.includes(server.token)).length, 1);
    const ok = await fetch(`${server.url}/history`, { headers: { "x-api-key": server.token } });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await server.close();
  }
  await assertRejects(
    () => startServer({ port: 70000, log: () => {}, env: noEnv }),
    Error,
    "Invalid port",
  );
});

Deno.test("the INTERPRETER_* settings are read from the environment the caller gives", async () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  const server = await startServer({
    log: () => {},
    env: env({
      INTERPRETER_HOST: "127.0.0.1",
      INTERPRETER_PORT: " 0 ",
      INTERPRETER_API_KEY: "token-from-env",
    }),
    createInterpreter: () => new ScriptedInterpreter(defaultScript),
  });
  try {
    assertEquals(server.hostname, "127.0.0.1");
    assert(server.port > 0);
    assertEquals(server.token, "token-from-env");
    assertEquals(server.tokenGenerated, false);
    const ok = await fetch(`${server.url}/history`, { headers: { "x-api-key": "token-from-env" } });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await server.close();
  }
  await assertRejects(
    () =>
      startServer({
        log: () => {},
        env: env({ INTERPRETER_PORT: "eighty" }),
        createInterpreter: () => new ScriptedInterpreter(defaultScript),
      }),
    Error,
    'Invalid port "eighty"',
  );
});

Deno.test("WebSocket: typed framing, a new message interrupts, oversized messages are dropped", async () => {
  await withServer({ autoRun: true, maxBodyBytes: 2000 }, async ({ server, created }) => {
    const socket = await TestSocket.open(server.url.replace("http", "ws") + "/", {
      authorization: `Bearer ${TOKEN}`,
    });
    try {
      // Open Interpreter's typed framing: the message's own start and end.
      socket.send({ role: "user", type: "message", start: true });
      socket.send({ role: "user", type: "message", content: "typ" });
      socket.send({ role: "user", type: "message", content: "ed" });
      socket.send({ role: "user", type: "message", end: true });
      const typed = await socket.untilComplete();
      assertEquals(
        typed.filter((m) => m.type === "message" && typeof m.content === "string").map((m) =>
          m.content
        )
          .join(""),
        "You said: typed",
      );

      sendUserMessage(socket, "slow");
      for (;;) {
        const message = await socket.next() as Record<string, unknown>;
        if (message.format === "active_line") break;
      }
      sendUserMessage(socket, "after");
      const first = await socket.untilComplete(); // the interrupted turn ends
      assert(first.some((m) => m.type === "console" && m.end === true), "its open block is closed");
      const second = await socket.untilComplete();
      assertEquals(
        second.filter((m) => m.type === "message" && typeof m.content === "string").map((m) =>
          m.content
        )
          .join(""),
        "You said: after",
      );
      assert(created[0].calls.stop >= 1);

      socket.send({ role: "user", start: true });
      for (let i = 0; i < 3; i++) {
        socket.send({ role: "user", type: "message", content: "y".repeat(900) });
      }
      socket.send({ role: "user", end: true });
      const dropped = await socket.untilComplete();
      assertMatch(String(dropped[0].content), /larger than the limit of 2000 bytes/);
      const messagesBefore = created[0].messages.length;
      sendUserMessage(socket, "still works");
      await socket.untilComplete();
      assertEquals(
        created[0].messages.length,
        messagesBefore + 2,
        "only the new message was answered",
      );
    } finally {
      await socket.close();
    }
  });
});
