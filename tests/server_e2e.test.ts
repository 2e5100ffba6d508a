/**
 * The server end to end: the real engine (`Interpreter`) talking to the fake
 * OpenAI-compatible server over real HTTP/SSE, running real python3, served
 * through `interpreter.server()` and used by the official `openai` client, a
 * WebSocket client and an SSE client.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { readSse, sendCommand, sendUserMessage, TestSocket } from "./helpers/server_client.ts";
import { type FakeTurnSpec, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { Interpreter } from "../mod.ts";
import type { ServerHandle } from "../lib/server/types.ts";
import { hostPids } from "./helpers/session_pids.ts";
import { missingPrograms } from "./helpers/requirements.ts";

const TOKEN = "e2e-token";
// The servers read an empty environment: no INTERPRETER_* setting of this machine leaks in.
const noEnv = () => undefined;
const MODEL_KEY = "sk-fake-model-key-e2e";

const missing = missingPrograms("server e2e tests", { python3: ["--version"] });

// INTERPRETER_HOME is not set here: test files run in parallel in one process
// and share its environment. Nothing is written to the data folder anyway: a
// session's computer keeps files there only for outputs too long for the model.

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (part as { text?: string }).text ?? "").join("");
  }
  return "";
}

/**
 * The scripted model: "set NAME" → python `x = "NAME"; print(...)`, "show" →
 * `print(x)`, "sleep" → prints its pid then sleeps; after a tool result it
 * answers with that result; anything else gets a greeting.
 */
function model(body: Record<string, unknown>): FakeTurnSpec {
  const messages = body.messages as Record<string, unknown>[];
  const last = messages[messages.length - 1];
  if (last.role === "tool") return { text: `Result: ${text(last.content).trim()}` };
  const said = text(last.content).trim();
  const set = /^set (\w+)$/.exec(said);
  if (set) return { toolCalls: [{ language: "python", code: `x = "${set[1]}"\nprint("set", x)` }] };
  if (said === "show") return { toolCalls: [{ language: "python", code: "print(x)" }] };
  if (said === "sleep") {
    return {
      toolCalls: [{
        language: "python",
        // The session token lets the test find the process on the host (the sandbox has
        // its own PID namespace, so os.getpid() is not the host pid).
        code: "import os, time\n" +
          "print('pid', os.getpid(), 'token', os.environ['INTERPRETER_SESSION'], flush=True)\n" +
          "time.sleep(120)",
      }],
    };
  }
  return { text: "Hello there." };
}

async function withStack(
  autoRun: boolean,
  body: (server: ServerHandle, fake: ReturnType<typeof startFakeOpenAI>) => Promise<void>,
): Promise<void> {
  const fake = startFakeOpenAI({ script: Array.from({ length: 60 }, () => model) });
  const template = new Interpreter({
    autoRun,
    llm: { model: "gpt-4o-mini", apiBase: fake.url, apiKey: MODEL_KEY, supportsFunctions: true },
  });
  const server = await template.server({ port: 0, apiKey: TOKEN, log: () => {}, env: noEnv });
  try {
    await body(server, fake);
  } finally {
    await server.close();
    await fake.close();
  }
}

Deno.test({
  name: "openai client: two sessions keep their own python state (streaming and not)",
  ignore: !!missing,
  async fn() {
    await withStack(true, async (server, fake) => {
      const client = (session: string) =>
        new OpenAI({
          apiKey: TOKEN,
          baseURL: `${server.url}/v1`,
          maxRetries: 0,
          defaultHeaders: { "X-Session-Id": session },
        });
      const alice = client("alice");
      const bob = client("bob");
      const ask = async (who: OpenAI, said: string) =>
        (await who.chat.completions.create({
          model: "interpreter",
          messages: [{ role: "user", content: said }],
        })).choices[0].message.content ?? "";

      const setA = await ask(alice, "set alpha");
      assertMatch(setA, /```python\nx = "alpha"\nprint\("set", x\)\n```/);
      assertMatch(setA, /```output\nset alpha\n```/);
      assertMatch(setA, /Result: set alpha/);
      await ask(bob, "set beta");

      assertMatch(await ask(alice, "show"), /```output\nalpha\n```/);

      const stream = await bob.chat.completions.create({
        model: "interpreter",
        messages: [{ role: "user", content: "show" }],
        stream: true,
      });
      let streamed = "";
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
      assertMatch(streamed, /```output\nbeta\n```/);
      assertMatch(streamed, /Result: beta/);

      // The model saw the real output of the code as the tool result.
      const toolResults = fake.requests.flatMap((request) =>
        (request.messages as Record<string, unknown>[]).filter((m) => m.role === "tool")
      ).map((m) => text(m.content).trim());
      assert(
        toolResults.includes("alpha") && toolResults.includes("beta"),
        toolResults.join(" | "),
      );
      // The model's key never reaches a client.
      assert(!setA.includes(MODEL_KEY) && !streamed.includes(MODEL_KEY));
    });
  },
});

Deno.test({
  name: "WebSocket: code waits for go, then really runs; SSE /chat declines without auto_run",
  ignore: !!missing,
  async fn() {
    await withStack(false, async (server, fake) => {
      const socket = await TestSocket.open(server.url.replace("http", "ws") + "/?session=ws", {
        authorization: `Bearer ${TOKEN}`,
      });
      try {
        sendUserMessage(socket, "set gamma");
        const paused = await socket.untilComplete();
        const confirmation = paused.find((m) => m.type === "confirmation");
        assertEquals(
          (confirmation?.content as Record<string, unknown>).content,
          'x = "gamma"\nprint("set", x)',
        );
        const first = paused[0];
        assertEquals([first.role, first.type, first.format, first.start], [
          "assistant",
          "code",
          "python",
          true,
        ]);

        sendCommand(socket, "go");
        const ran = await socket.untilComplete();
        const output = ran.filter((m) => m.type === "console" && m.format === "output").map((m) =>
          m.content
        )
          .join("");
        assertEquals(output, "set gamma\n");
        assert(ran.some((m) => m.role === "computer" && m.type === "console" && m.start === true));
        const answer = ran.filter((m) => m.role === "assistant" && m.type === "message")
          .map((m) => m.content ?? "").join("");
        assertEquals(answer, "Result: set gamma", "the model answered from the real output");
      } finally {
        await socket.close();
      }

      const auth = { authorization: `Bearer ${TOKEN}` };
      const events = await readSse(
        await fetch(`${server.url}/chat?session=sse&message=${encodeURIComponent("set delta")}`, {
          headers: auth,
        }),
      ) as Record<string, unknown>[];
      assert(events.some((e) => e.type === "confirmation"));
      assertEquals(events.at(-1), { role: "server", type: "status", content: "complete" });
      const history = await (await fetch(`${server.url}/history?session=sse`, { headers: auth }))
        .json();
      const last = history.messages.at(-1);
      assertEquals(last.role, "computer");
      assertMatch(last.content, /was not run/);

      // Next turn, the model is told (as the tool result) that the code was declined.
      await readSse(await fetch(`${server.url}/chat?session=sse&message=hello`, { headers: auth }));
      const request = fake.requests.at(-1)!;
      const tool = (request.messages as Record<string, unknown>[]).find((m) => m.role === "tool");
      assertMatch(text(tool?.content), /was not run/);
    });
  },
});

Deno.test({
  name: "WebSocket stop interrupts running python; the session and its state live on",
  ignore: !!missing,
  async fn() {
    await withStack(true, async (server) => {
      const socket = await TestSocket.open(server.url.replace("http", "ws") + "/?session=st", {
        "x-api-key": TOKEN,
      });
      try {
        sendUserMessage(socket, "set kept");
        await socket.untilComplete();
        sendUserMessage(socket, "sleep");
        let output = "";
        while (!/pid \d+ token \S+\n/.test(output)) {
          const message = await socket.next() as Record<string, unknown>;
          if (message.type === "console" && message.format === "output") output += message.content;
        }
        sendCommand(socket, "stop");
        const rest = await socket.untilComplete();
        assert(!rest.some((m) => m.type === "error"), JSON.stringify(rest));
        sendUserMessage(socket, "show");
        const shown = await socket.untilComplete();
        const shownOutput = shown.filter((m) => m.type === "console" && m.format === "output")
          .map((m) => m.content).join("");
        assertEquals(shownOutput, "kept\n");
      } finally {
        await socket.close();
      }
    });
  },
});

function alive(pid: number): boolean {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

Deno.test({
  name: "graceful shutdown stops running python and ends its session",
  ignore: !!missing || Deno.build.os !== "linux",
  async fn() {
    await withStack(true, async (server) => {
      const response = await fetch(`${server.url}/chat?message=sleep`, {
        headers: { "x-api-key": TOKEN },
      });
      const reader = response.body!.getReader();
      try {
        const decoder = new TextDecoder();
        let buffer = "";
        let output = "";
        let pid = 0;
        while (!pid) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`stream ended before the code printed its pid: ${output}`);
          buffer += decoder.decode(value, { stream: true });
          // Output arrives in pieces ("pid", " ", "123", "\n"): join the events' output.
          const events = buffer.split("\n\n");
          buffer = events.pop() ?? "";
          for (const event of events) {
            if (!event.startsWith("data: ")) continue;
            const chunk = JSON.parse(event.slice(6));
            if (chunk.type === "console" && chunk.format === "output") output += chunk.content;
          }
          const match = /pid (\d+) token (\S+)\n/.exec(output);
          if (match) [pid] = await hostPids([Number(match[1])], match[2]);
        }
        assert(alive(pid), "the python session runs");
        await server.close();
        while (!(await reader.read()).done) { /* the stream ends */ }
        for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
        assert(!alive(pid), "the python process is gone");
      } finally {
        await reader.cancel().catch(() => {});
      }
    });
  },
});

Deno.test({
  name: "interpreter.server() gives each session the template's settings, not its conversation",
  async fn() {
    const template = new Interpreter({ customInstructions: "Be terse.", maxTurns: 7 });
    template.messages = [{ role: "user", type: "message", content: "private" }];
    const server = await template.server({ port: 0, apiKey: TOKEN, log: () => {}, env: noEnv });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const settings = await (await fetch(`${server.url}/settings`, { headers: auth })).json();
      assertEquals(settings.custom_instructions, "Be terse.");
      assertEquals(settings.max_turns, 7);
      const history = await (await fetch(`${server.url}/history`, { headers: auth })).json();
      assertEquals(history.messages, []);
      assertEquals(server.hostname, "127.0.0.1");
    } finally {
      await server.close();
    }
  },
});
