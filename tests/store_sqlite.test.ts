import { openStore, SqliteStore } from "../lib/store/mod.ts";
import { storeContract } from "./helpers/store_contract.ts";
import { assertEquals, assertRejects } from "./helpers/assert.ts";

Deno.test("store (sqlite): messages, leases, takeover, release, one winner of a race", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oi-store-" });
  try {
    const store = await openStore(`sqlite:${dir}/store.db`, { secrets: ["sk-secret-123"] });
    assertEquals(store.kind, "sqlite");
    await storeContract(store);
    await store.close();
    // The file keeps everything across a reopen.
    const reopened = new SqliteStore(`${dir}/store.db`);
    assertEquals((await reopened.loadMessages("s1"))?.length, 3);
    await reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store: an address it does not understand is refused with what it takes", async () => {
  await assertRejects(() => openStore("mysql://x"), Error, "--store takes sqlite:PATH");
});
