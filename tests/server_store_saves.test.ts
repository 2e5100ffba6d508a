/**
 * With a store (`--store`), the server saves a session's conversation after every complete
 * message, one write at a time per session, and the save of a turn's last message is written
 * before the client sees the end of the turn (SSE `complete`, OpenAI `[DONE]`, WebSocket
 * `complete`). The real engine (`Interpreter`), the fake model over real HTTP, real python3
 * in the sandbox, and a real SQLite store whose writes are slowed down (as a loaded database
 * would be), so the order of events does not depend on the machine's speed.
 */
import { Interpreter } from "../mod.ts";
import { startServer } from "../lib/server/mod.ts";
import { StoreLink } from "../lib/server/store_link.ts";
import type { ServerHandle } from "../lib/server/types.ts";
import { SqliteStore } from "../lib/store/mod.ts";
import type { Store } from "../lib/store/types.ts";
import type { LmcMessage } from "../lib/wire/lmc.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { readSse, sendUserMessage, TestSocket } from "./helpers/server_client.ts";
import { StreamText } from "./helpers/stream_text.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

const TOKEN = "store-saves-token";
const auth = { authorization: `Bearer ${TOKEN}` };

/**
 * A SQLite store whose writes take `delay(n)` ms (n: the write's number, from 1). Like the
 * PostgreSQL store, it takes the messages as they are when called, then waits for the
 * "database". It records what each write held, in the order writes finished.
 */
class SlowStore {
  readonly inner: SqliteStore;
  readonly written: LmcMessage[][] = [];
  inFlight = 0;
  #calls = 0;
  readonly #delay: (n: number) => number;

  constructor(path: string, delay: (n: number) => number) {
    this.inner = new SqliteStore(path);
    this.#delay = delay;
  }

  store(): Store {
    const inner = this.inner;
    return {
      kind: "sqlite",
      saveMessages: async (id, messages, options) => {
        const snapshot = JSON.parse(JSON.stringify(messages)) as LmcMessage[];
        const ms = this.#delay(++this.#calls);
        this.inFlight++;
        try {
          await new Promise((resolve) => setTimeout(resolve, ms));
          const written = await inner.saveMessages(id, snapshot, options);
          if (written) this.written.push(snapshot);
          return written;
        } finally {
          this.inFlight--;
        }
      },
      loadMessages: (id) => inner.loadMessages(id),
      listSessions: () => inner.listSessions(),
      claim: (id, instance, options) => inner.claim(id, instance, options),
      renewAll: (instance, options) => inner.renewAll(instance, options),
      setContainer: (id, instance, container) => inner.setContainer(id, instance, container),
      release: (id, instance) => inner.release(id, instance),
      deleteSession: (id) => inner.deleteSession(id),
      close: () => inner.close(),
    };
  }

  /** Waits (bounded) until no write is in flight. */
  async settled(ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.inFlight > 0) {
      if (Date.now() > deadline) throw new Error(`writes still in flight after ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function contents(messages: LmcMessage[] | undefined): string {
  return (messages ?? []).map((m) => String(m.content ?? "")).join("|");
}

async function withServer(
  script: FakeTurn[],
  delay: (n: number) => number,
  body: (server: ServerHandle, slow: SlowStore) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "oi-store-saves-" });
  const fake = startFakeOpenAI({ script });
  const slow = new SlowStore(`${dir}/store.db`, delay);
  const server = await startServer({
    port: 0,
    apiKey: TOKEN,
    log: () => {},
    env: () => undefined,
    storeLink: new StoreLink(slow.store(), { instance: "a" }),
    createInterpreter: () =>
      new Interpreter({
        autoRun: true,
        llm: {
          model: "gpt-4o",
          apiBase: fake.url,
          apiKey: "sk-store-saves",
          supportsFunctions: true,
        },
      }),
  });
  try {
    await body(server, slow);
  } finally {
    await server.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const CODE_TURN: FakeTurn[] = [
  { toolCalls: [{ language: "python", code: "x = 20\nprint('set', x)" }] },
  { text: "x is set." },
];

Deno.test("store saves: /chat's complete arrives after the turn's last message is written, and every message was saved as it completed", async () => {
  await withServer(CODE_TURN, () => 300, async (server, slow) => {
    const response = await fetch(`${server.url}/chat?session=s1`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ message: "set x" }),
    });
    const events = await readSse(response) as Record<string, unknown>[];
    assertEquals(events[events.length - 1].content, "complete");
    // Read at once: no waiting for a save that might come later.
    const stored = await slow.inner.loadMessages("s1");
    assert(contents(stored).includes("set 20"), contents(stored));
    assert(contents(stored).endsWith("x is set."), contents(stored));
    // Saved after each message: the user's alone, then with the code, then its output, ...
    const states = slow.written.map((messages) => messages.length);
    assertEquals(states[0], 1, `first write: the user's message (${states})`);
    assert(states.includes(2) && states.includes(3), `a write per message: ${states}`);
    for (let i = 1; i < states.length; i++) {
      assert(states[i] >= states[i - 1], `writes in order: ${states}`);
    }
  });
});

Deno.test("store saves: /v1 streaming's [DONE] and the WebSocket's complete arrive after the last message is written", async () => {
  const script: FakeTurn[] = [{ text: "first answer." }, { text: "second answer." }];
  await withServer(script, () => 300, async (server, slow) => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "x-session-id": "s2" },
      body: JSON.stringify({
        model: "interpreter",
        stream: true,
        messages: [{ role: "user", content: "hello" }],
      }),
    });
    const events = await readSse(response);
    assertEquals(events[events.length - 1], "[DONE]");
    assert(contents(await slow.inner.loadMessages("s2")).endsWith("first answer."));

    const socket = await TestSocket.open(
      `${server.url.replace("http", "ws")}/?session=s3`,
      auth,
    );
    try {
      sendUserMessage(socket, "hi");
      await socket.untilComplete();
      assert(contents(await slow.inner.loadMessages("s3")).endsWith("second answer."));
    } finally {
      await socket.close();
    }
  });
});

Deno.test("store saves: a slow older write never overwrites a newer one (a session's saves are serialised)", async () => {
  const script: FakeTurn[] = [{ text: "one." }, { text: "two." }];
  // The first write takes 1.5 s, the others are immediate.
  await withServer(script, (n) => (n === 1 ? 1500 : 0), async (server, slow) => {
    for (const message of ["first", "second"]) {
      const response = await fetch(`${server.url}/chat?session=s4`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ message }),
      });
      await readSse(response);
    }
    await slow.settled();
    assertEquals(contents(await slow.inner.loadMessages("s4")), "first|one.|second|two.");
    const lengths = slow.written.map((messages) => messages.length);
    for (let i = 1; i < lengths.length; i++) {
      assert(lengths[i] >= lengths[i - 1], `writes finished in order: ${lengths}`);
    }
  });
});

Deno.test("store saves: mid-turn, while code runs, the store already holds the user's message and the code", async () => {
  const script: FakeTurn[] = [
    {
      toolCalls: [{
        language: "python",
        code: "import time\nprint('running', flush=True)\ntime.sleep(60)",
      }],
    },
    { text: "stopped." },
  ];
  await withServer(script, () => 0, async (server, slow) => {
    const response = await fetch(`${server.url}/chat?session=s5`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ message: "sleep" }),
    });
    const stream = new StreamText(response.body!);
    try {
      await stream.until(/running/, 30_000);
      const stored = await slow.inner.loadMessages("s5") ?? [];
      assertEquals(stored[0]?.content, "sleep");
      assert(
        stored.some((m) => m.type === "code" && String(m.content).includes("time.sleep(60)")),
        JSON.stringify(stored),
      );
    } finally {
      await fetch(`${server.url}/stop?session=s5`, { method: "POST", headers: auth })
        .then((r) => r.body?.cancel());
      await stream.rest(30_000).catch(() => "");
    }
  });
});
