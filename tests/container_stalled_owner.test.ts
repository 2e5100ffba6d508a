/**
 * An owner that stalls (SIGSTOP) instead of dying: two real `interpreter --server` instances
 * share a SQLite store and a podman engine. While A is stopped, B takes the session over
 * after A's lease, reattaches to A's container and runs a turn. When A wakes up and shuts
 * down gracefully, it must neither remove the container B now uses nor overwrite B's newer
 * history with its own older copy (fenced saves; a session taken over is let go, not ended).
 * The control: B's own shutdown does remove the container.
 */
import { openStore } from "../lib/store/mod.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { containerWorkspace, removeInstanceBoxes, startPodman } from "./helpers/podman.ts";
import type { StreamText } from "./helpers/stream_text.ts";
import { chatOutput, freePort, startServerInstance } from "./helpers/server_instance.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const TOKEN = "stalled-owner-token";

function chat(port: number, message: string): Promise<string> {
  return chatOutput(`http://127.0.0.1:${port}`, { session: "team-2", message, token: TOKEN });
}

Deno.test("a stalled owner that wakes after a takeover neither removes the container nor overwrites the newer history", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const dir = await Deno.makeTempDir({ prefix: "oi-stalled-" });
  const storeUrl = `sqlite:${dir}/sessions.db`;
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "python", code: "x = 30\nprint('set', x)" }] },
      { text: "x is set." },
      { toolCalls: [{ language: "python", code: "print('b has', x + 1)" }] },
      { text: "done." },
      { toolCalls: [{ language: "python", code: "print('still', x + 2)" }] },
      { text: "done again." },
    ],
  });
  const children = new Map<string, { child: Deno.ChildProcess; stderr: StreamText }>();
  const ports = new Map<string, number>();
  let container = "";
  try {
    for (const name of ["stall-a", "stall-b"]) {
      const home = `${dir}/home-${name}`;
      await Deno.mkdir(home);
      const port = freePort();
      ports.set(name, port);
      const { child, stderr } = startServerInstance({
        modelUrl: fake.url,
        computer: "podman",
        engine: engine.address,
        cwd: work,
        token: TOKEN,
        home,
        flags: ["--store", storeUrl, "--instance_id", name, "--lease_seconds", "2"],
      }, port);
      children.set(name, { child, stderr });
    }
    for (const { stderr } of children.values()) {
      await stderr.until((t) => /listening on http:\/\//.test(t), 60_000);
    }
    const a = children.get("stall-a")!;

    // A serves the session and its container.
    assertStringIncludes(await chat(ports.get("stall-a")!, "set x"), "set 30");
    const store = await openStore(storeUrl);
    try {
      const row = (await store.listSessions()).find((s) => s.id === "team-2");
      assert(row?.owner === "stall-a" && row.container, JSON.stringify(row));
      container = row.container;
    } finally {
      await store.close();
    }

    // A stalls; B takes the session over after A's lease and reattaches to its container.
    a.child.kill("SIGSTOP");
    assertStringIncludes(await chat(ports.get("stall-b")!, "use x"), "b has 31");

    // A wakes up and shuts down gracefully.
    a.child.kill("SIGCONT");
    a.child.kill("SIGTERM");
    assertEquals((await a.child.status).code, 0);
    const aLog = await a.stderr.rest().catch(() => a.stderr.text);

    const left = await engine.podman("ps", "-a", "-q", "--no-trunc", "--filter", `id=${container}`);
    assertEquals(left.trim(), container, `A left B's container alone; A said: ${aLog}`);
    const store2 = await openStore(storeUrl);
    try {
      const row = (await store2.listSessions()).find((s) => s.id === "team-2");
      assertEquals(row?.owner, "stall-b", JSON.stringify(row));
      const saved = JSON.stringify(await store2.loadMessages("team-2"));
      assert(saved.includes("b has 31"), `A did not overwrite B's history: ${saved}`);
    } finally {
      await store2.close();
    }
    // B still has the session's state in the same container.
    assertStringIncludes(await chat(ports.get("stall-b")!, "again"), "still 32");

    // Control: B's own shutdown removes the container (the check above would see a removal).
    const b = children.get("stall-b")!;
    b.child.kill("SIGTERM");
    assertEquals((await b.child.status).code, 0);
    const gone = await engine.podman("ps", "-a", "-q", "--filter", `id=${container}`);
    assertEquals(gone.trim(), "", "B removed its container");
  } finally {
    for (const { child, stderr } of children.values()) {
      try {
        child.kill("SIGCONT");
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await stderr.rest().catch(() => "");
    }
    await removeInstanceBoxes(engine, [...children.keys()]);
    await fake.close();
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
