/**
 * Taking a session over while its box is still running the old owner's code (real podman):
 * the new computer connects while that run goes on (the driver answers pings from a thread of
 * its own), keeps the same box and its state, and its own run, queued behind, is not ended by
 * the old run's end record.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { containerWorkspace, startPodman } from "./helpers/podman.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";

Deno.test("container: a takeover during a long run connects at once, keeps the box and its state", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const make = (container?: string) =>
    new ContainerComputer({
      engine: engine.address,
      cwd: work,
      dataDir: data,
      permissions: defaultPermissions({ cwd: work }),
      instance: "takeover-test",
      session: "s-takeover",
      ...(container ? { container } : {}),
    });
  const marker = `${work}/long-run-finished`;
  const first = make();
  let second: ContainerComputer | undefined;
  try {
    await first.run("python", "x = 41");
    const id = first.containerId!;
    // The old owner starts a long run and goes away without waiting for it.
    const long = first.run(
      "python",
      `import time\ntime.sleep(8)\nx += 1\nopen(${JSON.stringify(marker)}, "w").write("done")`,
    );
    long.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.detach();
    second = make(id);
    await second.start();
    // Connected while the old run still runs (it writes the marker when it ends).
    const during = await Deno.stat(marker).then(() => true, () => false);
    assert(!during, "the new computer waited for the old run to end before connecting");
    assertEquals(second.containerId, id, "the same box");
    // Its own run queues behind the old one and sees its result.
    assertEquals(textOf(await second.run("python", "print(x)")), "42\n");
    assert(await Deno.stat(marker).then(() => true, () => false));
  } finally {
    await second?.terminate();
    await first.terminate();
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
