/**
 * The OpenAI-compatible endpoint driven by the official `openai` client over
 * real HTTP, with a scripted stand-in for the engine: request translation,
 * markdown rendering, streaming and not, errors.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "./helpers/assert.ts";
import { readSse } from "./helpers/server_client.ts";
import {
  type Script,
  type ScriptedInterpreter,
  startScriptedServer,
} from "./helpers/server_scripted_interpreter.ts";
import type { ServerHandle } from "../lib/server/types.ts";
import { DECLINED_OUTPUT } from "../lib/server/turn.ts";

const TOKEN = "openai-test-token";

const script: Script = (message) => {
  if (message === "code") {
    return [{ text: "Let me compute." }, { code: "print(6 * 7)", output: "42\n" }, {
      text: "It is 42.",
    }];
  }
  if (message === "fail") return [{ throws: "No API key for openai: set OPENAI_API_KEY." }];
  return [{ text: `Echo: ${message}` }];
};

async function withServer(
  autoRun: boolean,
  body: (server: ServerHandle, client: OpenAI, created: ScriptedInterpreter[]) => Promise<void>,
): Promise<void> {
  const { server, created } = await startScriptedServer(script, { apiKey: TOKEN, autoRun });
  const client = new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/v1`, maxRetries: 0 });
  try {
    await body(server, client, created);
  } finally {
    await server.close();
  }
}

Deno.test("openai client, not streaming: code and output come back as markdown", async () => {
  await withServer(true, async (_server, client, created) => {
    const completion = await client.chat.completions.create({
      model: "interpreter",
      messages: [
        { role: "system", content: "Answer in French." },
        { role: "user", content: "earlier question" },
        { role: "assistant", content: "earlier answer" },
        { role: "user", content: "code" },
      ],
    });
    assertEquals(completion.object, "chat.completion");
    assertEquals(completion.model, "interpreter");
    assertEquals(completion.choices[0].finish_reason, "stop");
    assertEquals(
      completion.choices[0].message.content,
      "Let me compute.\n\n```python\nprint(6 * 7)\n```\n\n```output\n42\n```\n\nIt is 42.",
    );
    const interpreter = created[0];
    assertEquals(interpreter.ran, ["print(6 * 7)"]);
    assertEquals(
      interpreter.seenInstructions,
      ["Answer in French."],
      "system text joins the instructions",
    );
    assertEquals(interpreter.customInstructions, "", "and is removed after the turn");
    assertEquals(interpreter.messages.slice(0, 3), [
      { role: "user", type: "message", content: "earlier question" },
      { role: "assistant", type: "message", content: "earlier answer" },
      { role: "user", type: "message", content: "code" },
    ], "the request's conversation is the conversation");
  });
});

Deno.test("openai client, streaming: deltas end with finish_reason stop, usage, [DONE]", async () => {
  await withServer(true, async (server, client) => {
    const stream = await client.chat.completions.create({
      model: "interpreter",
      messages: [{ role: "user", content: "code" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let chunks = 0;
    let usageSeen = false;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usageSeen = true;
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? "";
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    assert(chunks > 5, "the answer streams in pieces");
    assertEquals(finish, "stop");
    assert(usageSeen, "a usage chunk comes when asked for");
    assertMatch(text, /```python\nprint\(6 \* 7\)\n```/);
    assertMatch(text, /```output\n42\n```/);

    // The raw stream ends with the [DONE] sentinel.
    const raw = await fetch(`${server.url}/openai/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ messages: [{ role: "user", content: "hello" }], stream: true }),
    });
    const events = await readSse(raw);
    assertEquals(events.at(-1), "[DONE]");
    assertEquals((events[0] as { choices: { delta: unknown }[] }).choices[0].delta, {
      role: "assistant",
      content: "",
    });
  });
});

Deno.test("without auto_run, code is shown but not run, and the model is told", async () => {
  await withServer(false, async (_server, client, created) => {
    const completion = await client.chat.completions.create({
      model: "interpreter",
      messages: [{ role: "user", content: "code" }],
    });
    const content = completion.choices[0].message.content ?? "";
    assertMatch(content, /```python\nprint\(6 \* 7\)\n```/);
    assert(content.includes(`> ${DECLINED_OUTPUT}`), content);
    assertEquals(created[0].ran, []);
    assertEquals(created[0].messages.at(-1), {
      role: "computer",
      type: "console",
      format: "output",
      content: DECLINED_OUTPUT,
    });
  });
});

Deno.test("models, auth and errors through the openai client", async () => {
  await withServer(true, async (server, client) => {
    const models = await client.models.list();
    assertEquals(models.data.map((model) => model.id), ["interpreter"]);

    const stranger = new OpenAI({ apiKey: "wrong", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const denied = await assertRejects(() =>
      stranger.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] })
    );
    assertEquals((denied as InstanceType<typeof OpenAI.APIError>).status, 401);

    const bad = await assertRejects(() =>
      client.chat.completions.create({
        model: "x",
        messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "last" }],
      })
    );
    assertEquals((bad as InstanceType<typeof OpenAI.APIError>).status, 400);
    assertMatch(bad.message, /last message must come from the user/);

    const failed = await assertRejects(() =>
      client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "fail" }] })
    );
    assertEquals((failed as InstanceType<typeof OpenAI.APIError>).status, 502);
    assertMatch(failed.message, /OPENAI_API_KEY/);

    const streamFailed = await assertRejects(async () => {
      const stream = await client.chat.completions.create({
        model: "x",
        messages: [{ role: "user", content: "fail" }],
        stream: true,
      });
      for await (const _ of stream) { /* drain */ }
    });
    assertMatch(streamFailed.message, /OPENAI_API_KEY/);
  });
});

Deno.test("image parts become LMC images before the text", async () => {
  await withServer(true, async (_server, client, created) => {
    await client.chat.completions.create({
      model: "interpreter",
      messages: [{
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "text", text: "hello" },
        ],
      }],
    });
    assertEquals(created[0].messages.slice(0, 2), [
      { role: "user", type: "image", format: "base64.png", content: "iVBORw0KGgo=" },
      { role: "user", type: "message", content: "hello" },
    ]);
  });
});
