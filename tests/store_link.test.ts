/**
 * The server's store link (lib/server/store_link.ts) on a real SQLite store shared by two
 * "instances": a live owner keeps its session (the other gets 503 after waiting one lease),
 * an owner that stops renewing loses it, and the taker gets the stored messages and container.
 */
import { SqliteStore } from "../lib/store/mod.ts";
import { StoreLink } from "../lib/server/store_link.ts";
import { HttpError } from "../lib/server/errors.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

Deno.test("store link: a live owner keeps its session; a dead one's is taken over with its messages and container", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oi-store-link-" });
  const a = new StoreLink(new SqliteStore(`${dir}/s.db`), { instance: "a", leaseMs: 1000 });
  const b = new StoreLink(new SqliteStore(`${dir}/s.db`), { instance: "b", leaseMs: 1000 });
  try {
    const origin = await a.open("team-1");
    assertEquals(origin.messages, []);
    await origin.onContainer("container-7");
    await a.save("team-1", [{ role: "user", type: "message", content: "hi" }]);

    // A renews (its timer runs every third of a lease): B waits about a lease, then 503.
    const started = Date.now();
    const error = await b.open("team-1").then(() => null, (e) => e);
    assert(error instanceof HttpError && error.status === 503, String(error));
    assert(Date.now() - started >= 1000, "B waited for the lease");

    // A stops renewing (it "died"): B takes over and starts from A's state.
    await a.close();
    const taken = await b.open("team-1");
    assertEquals(taken.container, "container-7");
    assertEquals(taken.messages.map((m) => m.content), ["hi"]);
  } finally {
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store link: an owner that missed its lease finds its save refused, says so once and lets the session go", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oi-store-link-" });
  // A's store drops its lease renewals: A stalls as far as the store can tell.
  const stalled = new SqliteStore(`${dir}/s.db`);
  stalled.renewAll = () => Promise.resolve(0);
  const a = new StoreLink(stalled, { instance: "a", leaseMs: 1000 });
  const b = new StoreLink(new SqliteStore(`${dir}/s.db`), { instance: "b", leaseMs: 1000 });
  const lost: string[] = [];
  a.onLost((id) => lost.push(id));
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    await a.open("team-3");
    await a.save("team-3", [{ role: "user", type: "message", content: "one" }]);
    assertEquals(lost, []);
    const taken = await b.open("team-3"); // waits out A's lease
    assertEquals(taken.messages.map((m) => m.content), ["one"]);
    await b.save("team-3", [...taken.messages, { role: "user", type: "message", content: "b" }]);
    // A wakes up and saves its older state twice: refused, reported once, nothing written.
    await a.save("team-3", [{ role: "user", type: "message", content: "one" }, {
      role: "user",
      type: "message",
      content: "stale",
    }]);
    await a.save("team-3", [{ role: "user", type: "message", content: "stale again" }]);
    assertEquals(lost, ["team-3"]);
    assertEquals(errors.filter((e) => e.includes("taken over")).length, 1, errors.join("\n"));
    const stored = await b.store.loadMessages("team-3");
    assertEquals(stored?.map((m) => m.content), ["one", "b"]);
    assertEquals(await a.holds("team-3"), false);
    assertEquals(await b.holds("team-3"), true);
  } finally {
    console.error = original;
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
