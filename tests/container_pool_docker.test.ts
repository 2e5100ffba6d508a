/**
 * Pre-started session boxes (lib/container/pool.ts) on a real Docker Engine (a private
 * dockerd: tests/helpers/docker.ts): a session takes a spare made before its run, the take
 * renames it for the session, a second computer reattaches to it for that session only, and
 * close removes the spares. podman is covered by container_pool.test.ts.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { parseEngineAddress } from "../lib/container/engine.ts";
import { EngineBackend } from "../lib/container/engine_backend.ts";
import { BoxPool } from "../lib/container/pool.ts";
import { sessionBox } from "../lib/container/session_box.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { startDocker } from "./helpers/docker.ts";
import { containerWorkspace } from "./helpers/podman.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

function text(messages: { content?: unknown }[]): string {
  return messages.map((m) => String(m.content ?? "")).join("");
}

Deno.test("pool on Docker: a session takes a pre-started box, claimed for it; only that session reattaches; close removes the spares", async () => {
  const engine = await startDocker();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-pool-docker-data-" });
  const permissions = { ...defaultPermissions({ cwd: work }), net: false };
  const hostEnv = { PATH: "/usr/bin:/bin" };
  const pool = new BoxPool(new EngineBackend(parseEngineAddress(engine.address)), {
    size: 1,
    instance: "pooltest",
    ownsBackend: true,
  });
  const made = (extra: Partial<ConstructorParameters<typeof ContainerComputer>[0]>) =>
    new ContainerComputer({ cwd: work, dataDir: data, permissions, hostEnv, ...extra });
  const computers: ContainerComputer[] = [];
  const pooled = async (): Promise<string[]> => {
    const found = await engine.call(
      "GET",
      `/containers/json?all=1&filters=${
        encodeURIComponent(JSON.stringify({ label: ["io.interpreter.pool"] }))
      }`,
    ) as { Id: string }[];
    return found.map((c) => c.Id);
  };
  try {
    pool.prime(sessionBox({ permissions, cwd: work, hostEnv }));
    for (let i = 0; i < 1200 && pool.readyCount < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [spare] = pool.readyIds;
    assert(spare, "a spare is ready");
    assertEquals(await pooled(), [spare], "the engine lists it by its pool label");
    const first = made({ pool, session: "s1" });
    computers.push(first);
    assertStringIncludes(text(await first.run("python", "x = 5\nprint('set', x)")), "set 5");
    assertEquals(first.containerId, spare, "the session took the pre-started box");
    const info = await engine.call("GET", `/containers/${spare}/json`) as { Name: string };
    assert(info.Name.startsWith("/oi-s-"), `claimed by its name: ${info.Name}`);
    first.detach();
    // Another session given this box: refused and left alone.
    const other = made({ engine: engine.address, session: "s2", container: spare });
    computers.push(other);
    assertStringIncludes(text(await other.run("python", "print('x' in globals())")), "False");
    assert(other.containerId !== spare);
    // The control: the session it was claimed for reattaches and keeps its state.
    const again = made({ engine: engine.address, session: "s1", container: spare });
    computers.push(again);
    assertStringIncludes(text(await again.run("python", "print('kept', x)")), "kept 5");
    assertEquals(again.containerId, spare);
  } finally {
    for (const c of computers) await c.terminate();
    await pool.close();
    try {
      assertEquals(await pooled(), [], "no spare or taken box is left");
    } finally {
      await engine.stop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  }
});
