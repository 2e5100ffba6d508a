/**
 * The approval protocol (lib/wire/approval.ts) with the real engine, the real
 * computer (sandboxed python3 and bash) and the fake model over real HTTP:
 * code that needs approval runs only when an approver says so; without one
 * it is declined, whether the turn is awaited or iterated, in the library and
 * through the server.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { type FakeTurnSpec, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { Interpreter } from "../mod.ts";
import { Computer } from "../lib/computer/mod.ts";
import { type ApprovalRequest, DECLINED_OUTPUT, UNAPPROVED_OUTPUT } from "../lib/wire/approval.ts";
import { DECLINED_OUTPUT as SERVER_DECLINED } from "../lib/server/turn.ts";
import { readSse } from "./helpers/server_client.ts";

const KEY = "sk-approval-test-key";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A real interpreter whose model asks to create `marker` with shell code, then says "done". */
async function withMarkerModel(
  options: { autoRun?: boolean; safeMode?: "off" | "ask" | "auto"; code?: (m: string) => string },
  body: (ctx: {
    it: Interpreter;
    marker: string;
    fake: ReturnType<typeof startFakeOpenAI>;
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "approval-" });
  const marker = `${dir}/marker`;
  const code = options.code?.(marker) ?? `touch ${marker}`;
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "shell", code, id: "call_m1" }] },
      { text: "done" },
      { text: "done again" },
    ],
  });
  // The sandbox's default grants: the marker's folder is the working directory, so it is
  // writable; the data folder is elsewhere (the sandbox keeps data folders read-only).
  const computer = new Computer({ cwd: dir, dataDir: `${dir}/.data` });
  const it = new Interpreter({
    autoRun: options.autoRun ?? false,
    safeMode: options.safeMode ?? "off",
    computer,
    llm: { model: "gpt-4o-mini", apiBase: fake.url, apiKey: KEY, supportsFunctions: true },
  });
  try {
    await body({ it, marker, fake });
  } finally {
    await it.computer.terminate();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("approval: awaiting chat() with auto-run off and no approver never runs the code", async () => {
  await withMarkerModel({}, async ({ it, marker, fake }) => {
    const added = await it.chat("make the marker");
    assertEquals(exists(marker), false, "the code must not run");
    const output = added.find((m) => m.role === "computer" && m.type === "console");
    assertEquals(output?.content, UNAPPROVED_OUTPUT);
    assertEquals(output?.toolCallId, "call_m1", "the tool call has its result");
    assertEquals(fake.requests.length, 1, "a decline ends the turn: no further model call");
  });
});

Deno.test("approval: iterating chat() with no approver declines too (draining is not approving)", async () => {
  await withMarkerModel({}, async ({ it, marker }) => {
    const kinds: string[] = [];
    for await (const chunk of it.chat("make the marker", { stream: true })) {
      if (!chunk.start && !chunk.end) kinds.push(chunk.type);
    }
    assert(kinds.includes("confirmation"), "the confirmation chunk is still shown");
    assertEquals(exists(marker), false);
  });
});

Deno.test("approval: control — an approver that says run makes the same code run", async () => {
  await withMarkerModel({}, async ({ it, marker, fake }) => {
    const requests: ApprovalRequest[] = [];
    await it.chat("make the marker", {
      approve: (request) => {
        requests.push(request);
        return { action: "run" };
      },
    });
    assertEquals(exists(marker), true, "the test would see the code run");
    assertEquals(requests.length, 1);
    assertEquals(requests[0].id, "call_m1");
    assertEquals(requests[0].language, "shell");
    assertEquals(requests[0].code, `touch ${marker}`);
    assertEquals(fake.requests.length, 2, "the model reads the output and answers");
  });
});

Deno.test("approval: decline with a reason records the reason as the output; none uses the default", async () => {
  await withMarkerModel({}, async ({ it, marker, fake }) => {
    await it.chat("make the marker", {
      approve: () => ({ action: "decline", reason: "Not in this folder, please." }),
    });
    assertEquals(exists(marker), false);
    assertEquals(it.messages.at(-1)?.content, "Not in this folder, please.");
    await it.chat("try again", { approve: () => ({ action: "decline" }) });
    assertEquals(exists(marker), false);
    // The second turn's model answer was text ("done"), so nothing was asked again.
    assertStringIncludes(JSON.stringify(fake.requests[1].messages), "Not in this folder, please.");
  });
});

Deno.test("approval: always sets autoRun, so later code runs without asking", async () => {
  await withMarkerModel({}, async ({ it, marker }) => {
    let asked = 0;
    await it.chat("make the marker", {
      approve: () => {
        asked++;
        return { action: "always" };
      },
    });
    assertEquals(exists(marker), true);
    assertEquals(it.autoRun, true);
    assertEquals(asked, 1);
  });
});

Deno.test("approval: a stop while the approver is deciding runs nothing", async () => {
  await withMarkerModel({}, async ({ it, marker }) => {
    const controller = new AbortController();
    let release: (() => void) | undefined;
    await it.chat("make the marker", {
      signal: controller.signal,
      approve: () =>
        new Promise((resolve) => {
          release = () => resolve({ action: "run" });
          controller.abort();
        }),
    });
    release?.(); // approving after the stop changes nothing
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(exists(marker), false);
    assertEquals(it.responding, false);
  });
});

Deno.test("approval: an approver's invalid answer is one clear error, and nothing runs", async () => {
  await withMarkerModel({}, async ({ it, marker }) => {
    await assertRejects(
      async () => {
        await it.chat("make the marker", {
          approve: () => ({ action: "yes please" }) as never,
        });
      },
      TypeError,
      "An approver must return",
    );
    assertEquals(exists(marker), false);
  });
});

Deno.test("approval: safe mode ask flags code even under autoRun; with no approver it is declined", async () => {
  await withMarkerModel(
    { autoRun: true, safeMode: "ask", code: (m) => `touch ${m}; rm -rf ~/nothing-here-x` },
    async ({ it, marker }) => {
      await it.chat("clean up");
      assertEquals(exists(marker), false);
      assertEquals(it.messages.at(-1)?.content, UNAPPROVED_OUTPUT);
    },
  );
});

Deno.test("approval: the default decline text is the protocol's", () => {
  assertEquals(DECLINED_OUTPUT, "The user declined to run this code.");
});

Deno.test("approval: the server's /chat and /v1 decline code nobody approved; nothing runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "approval-server-" });
  const marker = `${dir}/server-marker`;
  const model = (body: Record<string, unknown>): FakeTurnSpec => {
    const messages = body.messages as { role: string }[];
    return messages.at(-1)?.role === "tool"
      ? { text: "ok" }
      : { toolCalls: [{ language: "shell", code: `touch ${marker}` }] };
  };
  const fake = startFakeOpenAI({ script: Array.from({ length: 6 }, () => model) });
  const template = new Interpreter({
    autoRun: false,
    llm: { model: "gpt-4o-mini", apiBase: fake.url, apiKey: KEY, supportsFunctions: true },
  });
  const server = await template.server({
    port: 0,
    apiKey: "approval-token",
    log: () => {},
    env: () => undefined,
  });
  try {
    const headers = { Authorization: "Bearer approval-token" };
    const chunks = (await readSse(
      await fetch(`${server.url}/chat?session=a&message=go`, { headers }),
    )) as { type?: string; content?: unknown }[];
    assert(chunks.some((c) => c.type === "confirmation"));
    assert(chunks.some((c) => c.content === SERVER_DECLINED), JSON.stringify(chunks));
    assertEquals(exists(marker), false, "/chat must not run unapproved code");

    const client = new OpenAI({
      apiKey: "approval-token",
      baseURL: `${server.url}/v1`,
      defaultHeaders: { "X-Session-Id": "b" },
    });
    const answer = await client.chat.completions.create({
      model: "interpreter",
      messages: [{ role: "user", content: "go" }],
    });
    assertStringIncludes(answer.choices[0].message.content ?? "", SERVER_DECLINED);
    assertEquals(exists(marker), false, "/v1 must not run unapproved code");
  } finally {
    await server.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
