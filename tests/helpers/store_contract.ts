/**
 * The behaviour every conversation store backend must have (lib/store), run by
 * tests/store_sqlite.test.ts and tests/store_postgres.test.ts against real databases.
 *
 * @module
 */

import type { Store } from "../../lib/store/mod.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import type { LmcMessage } from "../../lib/wire/lmc.ts";

/** Runs the contract on a fresh, empty store. */
export async function storeContract(store: Store): Promise<void> {
  // Messages: saved, replaced, listed, secrets redacted.
  assertEquals(await store.loadMessages("s1"), undefined);
  const first: LmcMessage[] = [{ role: "user", type: "message", content: "hello sk-secret-123" }];
  await store.saveMessages("s1", first);
  const loaded = await store.loadMessages("s1");
  assertEquals(loaded?.length, 1);
  assertEquals(loaded?.[0].content, "hello [redacted]");
  const more: LmcMessage[] = [...first, { role: "assistant", type: "message", content: "hi" }];
  await store.saveMessages("s1", more);
  assertEquals((await store.loadMessages("s1"))?.map((m) => m.role), ["user", "assistant"]);
  await assertRejects(() => store.saveMessages("../etc", first), Error, "invalid session id");

  // Leases: A takes s1, B is refused while the lease lasts, A renews, A records a container.
  const a = await store.claim("s1", "instance-a", { leaseMs: 60_000 });
  assert(a.granted && a.owner === "instance-a" && !a.tookOver, JSON.stringify(a));
  const b = await store.claim("s1", "instance-b", { leaseMs: 60_000 });
  assert(!b.granted && b.owner === "instance-a", JSON.stringify(b));
  assert(await store.setContainer("s1", "instance-a", "container-1"));
  assert(!(await store.setContainer("s1", "instance-b", "container-x")), "B does not own it");
  assertEquals(await store.renewAll("instance-a", { leaseMs: 60_000 }), 1);
  const again = await store.claim("s1", "instance-a", { leaseMs: 60_000 });
  assert(again.granted && !again.tookOver && again.container === "container-1");

  // A's lease ends (it "died": a lease of 1 ms, then nothing renews it): B takes over and
  // learns the container to reattach to; A can no longer record anything.
  await store.claim("s1", "instance-a", { leaseMs: 1 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const taken = await store.claim("s1", "instance-b", { leaseMs: 60_000 });
  assert(
    taken.granted && taken.tookOver && taken.container === "container-1",
    JSON.stringify(taken),
  );
  assert(!(await store.setContainer("s1", "instance-a", null)));
  assertEquals((await store.loadMessages("s1"))?.length, 2, "messages survive a takeover");
  // Fenced saves: A (it stalled, it did not die) can no longer write; B, the holder, can.
  const stale: LmcMessage[] = [{ role: "user", type: "message", content: "stale from A" }];
  assertEquals(await store.saveMessages("s1", stale, { owner: "instance-a" }), false);
  assertEquals((await store.loadMessages("s1"))?.length, 2, "A's stale write was refused");
  const newer: LmcMessage[] = [...more, { role: "user", type: "message", content: "from B" }];
  assertEquals(await store.saveMessages("s1", newer, { owner: "instance-b" }), true);
  assertEquals((await store.loadMessages("s1"))?.at(-1)?.content, "from B");

  // Release: anyone may claim it, with no takeover.
  await store.release("s1", "instance-b");
  const c = await store.claim("s1", "instance-c", { leaseMs: 60_000 });
  assert(c.granted && !c.tookOver, JSON.stringify(c));

  // A claim of a session never saved creates its row; listing shows both, newest save first.
  assert((await store.claim("s2", "instance-a", { leaseMs: 60_000 })).granted);
  await store.saveMessages("s2", first);
  const list = await store.listSessions();
  assertEquals(list.map((s) => s.id).sort(), ["s1", "s2"]);
  assertEquals(list.find((s) => s.id === "s1")?.owner, "instance-c");

  // Concurrent claims of one free session: exactly one instance wins.
  const racers = await Promise.all(
    ["r1", "r2", "r3", "r4"].map((who) => store.claim("race", who, { leaseMs: 60_000 })),
  );
  assertEquals(racers.filter((r) => r.granted).length, 1, JSON.stringify(racers));

  await store.deleteSession("s2");
  assertEquals(await store.loadMessages("s2"), undefined);
}
