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
