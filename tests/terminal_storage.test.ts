import { assert, assertEquals } from "./helpers/terminal_assert.ts";
import {
  conversationsDir,
  ConversationStore,
  listConversations,
  loadConversation,
} from "../lib/storage/conversations.ts";
import { appendHistory, loadHistory } from "../lib/storage/history.ts";

Deno.test("storage: conversations are saved atomically, listed newest first, secrets redacted", async () => {
  const dir = await Deno.makeTempDir();
  Deno.env.set("INTERPRETER_HOME", dir);
  Deno.env.set("TEST_FAKE_API_KEY", "sk-test-0123456789abcdef");
  try {
    const a = new ConversationStore({ secrets: ["extra-secret-value"] });
    await a.save([{ role: "user", type: "message", content: "List the files here please" }]);
    await a.save([
      { role: "user", type: "message", content: "List the files here please" },
      {
        role: "assistant",
        type: "message",
        content: "key sk-test-0123456789abcdef and extra-secret-value",
      },
    ]);
    const text = await Deno.readTextFile(a.path!);
    assert(!text.includes("sk-test-0123456789abcdef") && !text.includes("extra-secret-value"));
    assert(text.includes("[redacted]"));
    await new Promise((r) => setTimeout(r, 20));
    const b = new ConversationStore();
    await b.save([{ role: "user", type: "message", content: "Second one" }]);
    const list = await listConversations();
    assertEquals(list.map((c) => c.title), ["Second one", "List the files here please"]);
    assertEquals((await loadConversation(a.path!)).length, 2);
    const leftovers = [...Deno.readDirSync(conversationsDir())].filter((e) =>
      e.name.endsWith(".tmp")
    );
    assertEquals(leftovers, []);
  } finally {
    Deno.env.delete("INTERPRETER_HOME");
    Deno.env.delete("TEST_FAKE_API_KEY");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage: input history survives reloads, multi-line entries stay whole", async () => {
  const dir = await Deno.makeTempDir();
  Deno.env.set("INTERPRETER_HOME", dir);
  try {
    const h = await loadHistory();
    await appendHistory("first", h);
    await appendHistory("two\nlines", h);
    await appendHistory("two\nlines", h);
    assertEquals(await loadHistory(), ["first", "two\nlines"]);
  } finally {
    Deno.env.delete("INTERPRETER_HOME");
    await Deno.remove(dir, { recursive: true });
  }
});
