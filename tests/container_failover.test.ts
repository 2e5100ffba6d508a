/**
 * Two real `interpreter --server` instances behind a real haproxy (sticky on X-Session-Id,
 * `?session=` copied into it, redispatch on failure), sharing a real PostgreSQL store and a
 * podman engine. History is served through the balancer; killing the owning instance with
 * SIGKILL mid-session, the other takes over, reattaches to the same container and keeps
 * Python state.
 */
import { openStore } from "../lib/store/mod.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { startPgCluster } from "./helpers/pg_cluster.ts";
import { containerWorkspace, removeInstanceBoxes, startPodman } from "./helpers/podman.ts";
import type { StreamText } from "./helpers/stream_text.ts";
import { chatOutput, freePort, startServerInstance } from "./helpers/server_instance.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const TOKEN = "failover-test-token";

/** The haproxy configuration the README documents, with the two instances' ports. */
export function haproxyConfig(front: number, backends: [string, number][]): string {
  return `global
  maxconn 256
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  retries 3
  option redispatch
frontend interpreter
  bind 127.0.0.1:${front}
  http-request set-header X-Session-Id %[url_param(session)] if !{ req.hdr(x-session-id) -m found } { url_param(session) -m found }
  default_backend instances
backend instances
  balance hdr(X-Session-Id)
  hash-type consistent
  option httpchk GET /heartbeat
${
    backends.map(([name, port]) =>
      `  server ${name} 127.0.0.1:${port} check inter 500 fall 1 rise 1`
    ).join("\n")
  }
`;
}

function chat(base: string, session: string, message: string): Promise<string> {
  return chatOutput(base, { session, message, token: TOKEN });
}

Deno.test("two instances behind haproxy with PostgreSQL: history through the balancer; kill -9 the owner and the other reattaches, keeping Python state", async () => {
  const cluster = await startPgCluster();
  const engine = await startPodman();
  const work = await containerWorkspace();
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "python", code: "x = 20\nprint('set', x)" }] },
      { text: "x is set." },
      { toolCalls: [{ language: "python", code: "print('after takeover', x + 1)" }] },
      { text: "done." },
    ],
  });
  const children = new Map<string, { child: Deno.ChildProcess; stderr: StreamText }>();
  const homes: string[] = [];
  let haproxy: Deno.ChildProcess | undefined;
  const dir = await Deno.makeTempDir({ prefix: "oi-haproxy-" });
  try {
    const ports: [string, number][] = [["a", freePort()], ["b", freePort()]];
    for (const [name, port] of ports) {
      const home = await Deno.makeTempDir({ prefix: `oi-instance-${name}-` });
      homes.push(home);
      const { child, stderr } = startServerInstance({
        modelUrl: fake.url,
        computer: "podman",
        engine: engine.address,
        cwd: work,
        token: TOKEN,
        home,
        flags: ["--store", cluster.url, "--instance_id", name, "--lease_seconds", "3"],
      }, port);
      children.set(name, { child, stderr });
    }
    for (const { stderr } of children.values()) {
      await stderr.until((t) => /listening on http:\/\//.test(t), 60_000);
    }
    const front = freePort();
    await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyConfig(front, ports));
    haproxy = new Deno.Command("haproxy", {
      args: ["-f", `${dir}/haproxy.cfg`, "-db"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const base = `http://127.0.0.1:${front}`;
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${base}/heartbeat`).then((r) => r.body?.cancel().then(() => r.ok))
        .catch(() => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Turn 1 through the balancer: the code runs in the session's container.
    assertStringIncludes(await chat(base, "team-1", "set x"), "set 20");
    const store = await openStore(cluster.url);
    let owner: string;
    let container: string | null;
    try {
      const row = (await store.listSessions()).find((s) => s.id === "team-1");
      assert(row?.owner && row.container, JSON.stringify(row));
      owner = row.owner;
      container = row.container;
    } finally {
      await store.close();
    }
    // History through the balancer (the X-Session-Id header this time).
    const history = await (await fetch(`${base}/history`, {
      headers: { authorization: `Bearer ${TOKEN}`, "x-session-id": "team-1" },
    })).json();
    assertEquals(history.session, "team-1");
    assert(JSON.stringify(history.messages).includes("set 20"), JSON.stringify(history));

    // The owner dies without any cleanup.
    const dead = children.get(owner)!;
    dead.child.kill("SIGKILL");
    await dead.child.status;

    // The next turn lands on the other instance, which takes the session over after the
    // lease, reattaches to the same container and finds x.
    const reply = await chat(base, "team-1", "use x");
    assertStringIncludes(reply, "after takeover 21");
    const store2 = await openStore(cluster.url);
    try {
      const row = (await store2.listSessions()).find((s) => s.id === "team-1");
      assert(row && row.owner !== owner, JSON.stringify(row));
      assertEquals(row.container, container, "the same container");
      const saved = JSON.stringify(await store2.loadMessages("team-1"));
      assert(saved.includes("set 20") && saved.includes("after takeover 21"), saved);
    } finally {
      await store2.close();
    }
    // The history of both turns, through the balancer.
    const both = await (await fetch(`${base}/history?session=team-1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })).json();
    assert(JSON.stringify(both.messages).includes("after takeover 21"));

    // Stopping the surviving server removes its containers.
    const survivor = [...children.entries()].find(([name]) => name !== owner)![1];
    survivor.child.kill("SIGTERM");
    assertEquals((await survivor.child.status).code, 0);
    const left = await engine.podman("ps", "-a", "-q", "--filter", `id=${container}`);
    assertEquals(left.trim(), "", "the container was removed");
  } finally {
    try {
      haproxy?.kill("SIGKILL");
      await haproxy?.status;
    } catch { /* gone */ }
    for (const { child, stderr } of children.values()) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await stderr.rest().catch(() => "");
    }
    // Containers of the killed instance stay by design (for a takeover): remove the test's.
    await removeInstanceBoxes(engine, ["a", "b"]);
    await fake.close();
    await engine.stop();
    await cluster.stop();
    for (const home of homes) await Deno.remove(home, { recursive: true }).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
