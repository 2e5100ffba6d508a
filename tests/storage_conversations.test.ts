// These tests pass folders explicitly: the environment is shared by test files
// running in parallel in one process, so they never set INTERPRETER_HOME.
import { assert, assertEquals } from "./helpers/assert.ts";
import {
  ConversationStore,
  listConversations,
  loadConversation,
} from "../lib/storage/conversations.ts";
import { appendHistory, loadHistory } from "../lib/storage/history.ts";

Deno.test("storage: conversations are saved atomically, listed newest first, secrets redacted", async () => {
  const dir = await Deno.makeTempDir();
  const key = "sk-test-0123456789abcdef";
  try {
    const a = new ConversationStore({ dir, secrets: [key, "extra-secret-value"] });
    await a.save([{ role: "user", type: "message", content: "List the files here please" }]);
    await a.save([
      { role: "user", type: "message", content: "List the files here please" },
      { role: "assistant", type: "message", content: `key ${key} and extra-secret-value` },
    ]);
    const text = await Deno.readTextFile(a.path!);
    assert(!text.includes(key) && !text.includes("extra-secret-value"));
    assert(text.includes("[redacted]"));
    const b = new ConversationStore({ dir });
    await b.save([{ role: "user", type: "message", content: "Second one" }]);
    // Make the order certain whatever the clock's resolution.
    await Deno.utime(a.path!, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const list = await listConversations(dir);
    assertEquals(list.map((c) => c.title), ["Second one", "List the files here please"]);
    assertEquals((await loadConversation(a.path!)).length, 2);
    const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp"));
    assertEquals(leftovers, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage: input history survives reloads, multi-line entries stay whole", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.jsonl`;
  try {
    const h = await loadHistory(path);
    await appendHistory("first", h, path);
    await appendHistory("two\nlines", h, path);
    await appendHistory("two\nlines", h, path);
    assertEquals(await loadHistory(path), ["first", "two\nlines"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
