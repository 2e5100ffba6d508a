import { openStore } from "../lib/store/mod.ts";
import { storeContract } from "./helpers/store_contract.ts";
import { startPgCluster } from "./helpers/pg_cluster.ts";
import { assertEquals, assertRejects } from "./helpers/assert.ts";

Deno.test("store (postgres): the same contract against a real PostgreSQL server", async () => {
  const cluster = await startPgCluster();
  try {
    const store = await openStore(cluster.url, { secrets: ["sk-secret-123"] });
    assertEquals(store.kind, "postgres");
    try {
      await storeContract(store);
    } finally {
      await store.close();
    }
    // A second connection (another instance) sees the same rows.
    const other = await openStore(cluster.url);
    assertEquals((await other.loadMessages("s1"))?.length, 2);
    await other.close();
  } finally {
    await cluster.stop();
  }
});

Deno.test("store (postgres): an unreachable server fails with one clear error, bounded", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assertRejects(
    () => openStore(`postgres://oi@127.0.0.1:${port}/postgres`),
    Error,
    "cannot use the PostgreSQL store",
  );
});
