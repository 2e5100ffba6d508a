/**
 * Which host unix sockets a sandbox session hides: those listed in
 * /proc/net/unix at any depth, not only those a bounded search finds.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { listedUnixSockets, socketMasks } from "../lib/sandbox/bwrap.ts";

Deno.test("sandbox sockets: /proc/net/unix rows give absolute paths, abstract ones are left out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sandbox-sockets-test-" });
  try {
    const table = join(dir, "unix");
    await Deno.writeTextFile(
      table,
      [
        "Num       RefCount Protocol Flags    Type St Inode Path",
        "0000000000000000: 00000002 00000000 00010000 0001 01 1111 /run/a b/with space.sock",
        "0000000000000000: 00000002 00000000 00010000 0001 01 2222 @/tmp/.X11-unix/X0",
        "0000000000000000: 00000003 00000000 00000000 0001 03 3333",
        "0000000000000000: 00000002 00000000 00010000 0001 01 4444 relative.sock",
        "0000000000000000: 00000002 00000000 00010000 0001 01 5555 /tmp/x/deep.sock",
        "",
      ].join("\n"),
    );
    assertEquals(listedUnixSockets(table), ["/run/a b/with space.sock", "/tmp/x/deep.sock"]);
    assertEquals(listedUnixSockets(join(dir, "missing")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "sandbox sockets: a listening socket 8 folders down is masked (its folder, whole)",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandbox-sockets-test-" }));
    const deep = join(dir, "a", "b", "c", "d", "e", "f", "g");
    await Deno.mkdir(deep, { recursive: true });
    const listener = Deno.listen({ transport: "unix", path: join(deep, "server.sock") });
    try {
      assert(listedUnixSockets().includes(join(deep, "server.sock")), "listed by the kernel");
      // Roots that do not hold it: only /proc/net/unix can find it.
      const masks = socketMasks([join(dir, "elsewhere")], [join(dir, "work")]);
      assert(masks.some((m) => m.path === deep && m.isDirectory), JSON.stringify(masks));
      // Inside the working directory it stays visible (the session's own files).
      const inside = socketMasks([join(dir, "elsewhere")], [join(dir, "a")]);
      assert(!inside.some((m) => m.path.startsWith(join(dir, "a"))), JSON.stringify(inside));
    } finally {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
