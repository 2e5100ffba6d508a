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
    assertEquals((await other.loadMessages("s1"))?.length, 3);
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

Deno.test("store (postgres): instances starting at once on a new database all open it (the table is created once)", async () => {
  const cluster = await startPgCluster();
  try {
    // Before the fix, concurrent CREATE TABLE IF NOT EXISTS failed with "duplicate key value
    // violates unique constraint pg_type_typname_nsp_index" for all but one.
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => openStore(cluster.url)),
    );
    const failures = results.filter((r) => r.status === "rejected")
      .map((r) => String((r as PromiseRejectedResult).reason));
    for (const r of results) if (r.status === "fulfilled") await r.value.close();
    assertEquals(failures, []);
  } finally {
    await cluster.stop();
  }
});
