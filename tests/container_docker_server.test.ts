/**
 * Pre-started boxes and the server on a real Docker Engine (a private dockerd:
 * tests/helpers/docker.ts): a pooled spare is claimed by a host-side rename through Docker's
 * API and reattaches only for its session (another session's computer, or an untaken spare,
 * is refused); an instance killed with SIGKILL (holding the attach that fed the box's stdin,
 * which Docker keeps open) leaves its box to another that reattaches with the state kept;
 * `interpreter --server --computer docker` runs a session's code in a
 * pre-started box and removes every box when it stops.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { parseEngineAddress } from "../lib/container/engine.ts";
import { EngineBackend } from "../lib/container/engine_backend.ts";
import { BoxPool } from "../lib/container/pool.ts";
import { sessionBox } from "../lib/container/session_box.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { type DockerEngine, startDocker } from "./helpers/docker.ts";
import { containerWorkspace } from "./helpers/podman.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { StreamText } from "./helpers/stream_text.ts";
import { outputOf, startServerInstance } from "./helpers/server_instance.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const HOST_ENV = { PATH: "/usr/bin:/bin" };

/** Ids and names of the containers carrying `label` (`key=value`). */
async function containers(
  engine: DockerEngine,
  label: string,
): Promise<{ id: string; name: string }[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const list = await engine.call("GET", `/containers/json?all=1&filters=${filters}`) as {
    Id: string;
    Names: string[];
  }[];
  return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? "").replace(/^\//, "") }));
}

/** The code output of a turn's server-sent chunks, joined (chunks split lines). */
async function until<T>(get: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await get();
  for (let i = 0; i < 1200 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await get();
  }
  return value;
}

Deno.test("docker: pooled boxes and the server on a real Docker Engine", async (t) => {
  const engine = await startDocker();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const permissions = { ...defaultPermissions({ cwd: work }), net: false };
  try {
    await t.step("a spare is claimed by a rename and reattaches only for its session", async () => {
      const pool = new BoxPool(new EngineBackend(parseEngineAddress(engine.address)), {
        size: 2,
        instance: "pooltest",
        ownsBackend: true,
      });
      pool.prime(sessionBox({ permissions, cwd: work, hostEnv: HOST_ENV }));
      const make = (extra: Partial<ConstructorParameters<typeof ContainerComputer>[0]>) =>
        new ContainerComputer({
          cwd: work,
          dataDir: data,
          permissions,
          hostEnv: HOST_ENV,
          instance: "pooltest",
          ...extra,
        });
      const computers: ContainerComputer[] = [];
      try {
        for (let i = 0; i < 1200 && pool.readyCount < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const spares = pool.readyIds;
        assertEquals(spares.length, 2, "two spares ready");
        const first = make({ pool, session: "s1" });
        computers.push(first);
        assertStringIncludes(textOf(await first.run("python", "x = 7\nprint('set', x)")), "set 7");
        const box = first.containerId!;
        assert(spares.includes(box), "the session took a pre-started box");
        const named = (await containers(engine, "io.interpreter.instance=pooltest"))
          .find((c) => c.id === box);
        assert(named?.name.startsWith("oi-s-"), `claimed by a rename: ${named?.name}`);
        first.detach();
        const spare = pool.readyIds.find((id) => id !== box)!;
        // Another session given s1's box is refused; so is an untaken spare for s1.
        const other = make({ engine: engine.address, session: "s2", container: box });
        computers.push(other);
        assertStringIncludes(
          textOf(await other.run("python", "print('other', globals().get('x'))")),
          "other None",
        );
        assert(other.containerId !== box);
        const stranger = make({ engine: engine.address, session: "s1", container: spare });
        computers.push(stranger);
        assertStringIncludes(
          textOf(await stranger.run("python", "print('stranger', globals().get('x'))")),
          "stranger None",
        );
        assert(stranger.containerId !== spare);
        // The control: s1 reattaches to its claimed box and finds its state.
        const again = make({ engine: engine.address, session: "s1", container: box });
        computers.push(again);
        assertStringIncludes(textOf(await again.run("python", "print('kept', x)")), "kept 7");
        assertEquals(again.containerId, box);
      } finally {
        for (const c of computers) await c.terminate();
        await pool.close();
      }
      assertEquals(await containers(engine, "io.interpreter.instance=pooltest"), []);
    });

    await t.step(
      "an instance killed with SIGKILL leaves its box; another reattaches and keeps state",
      async () => {
        const script = `${data}/instance.ts`;
        await Deno.writeTextFile(
          script,
          `import { ContainerComputer } from "${new URL(
            "../lib/container/computer.ts",
            import.meta.url,
          )}";
import { defaultPermissions } from "${new URL("../lib/sandbox/defaults.ts", import.meta.url)}";
const [address, cwd, data] = Deno.args;
const c = new ContainerComputer({ engine: address, cwd, dataDir: data, session: "k1",
  instance: "killed", permissions: { ...defaultPermissions({ cwd }), net: false }, hostEnv: {} });
const out = await c.run("python", "v = 5\\nprint('set', v)");
console.log("ready " + c.containerId + " " + out.map((m) => m.content).join("").trim());
await new Promise(() => {});
`,
        );
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", script, engine.address, work, data],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const stdout = new StreamText(child.stdout);
        let id = "";
        try {
          const line = await stdout.until((s) => /ready \S+ set 5/.test(s), 60_000);
          id = /ready (\S+)/.exec(line)![1];
          // The instance dies holding the attach that fed the box's stdin.
          child.kill("SIGKILL");
          await child.status;
          await stdout.rest().catch(() => "");
          const info = await engine.call("GET", `/containers/${id}/json`) as {
            State: { Running: boolean };
          };
          assert(info.State.Running, "the box outlived its instance");
          const next = new ContainerComputer({
            engine: engine.address,
            cwd: work,
            dataDir: data,
            session: "k1",
            instance: "other",
            container: id,
            permissions,
            hostEnv: HOST_ENV,
          });
          try {
            assertEquals(textOf(await next.run("python", "v += 1\nprint('kept', v)")), "kept 6\n");
            assertEquals(next.containerId, id);
          } finally {
            await next.terminate();
          }
        } finally {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
          await child.status;
          if (id) await engine.call("DELETE", `/containers/${id}?force=1`).catch(() => {});
        }
      },
    );

    await t.step(
      "interpreter --server --computer docker: a session runs in a pre-started box; stop removes every box",
      async () => {
        const fake = startFakeOpenAI({
          script: [{ toolCalls: [{ language: "python", code: "print('in box', 6 * 7)" }] }, {
            text: "done.",
          }],
        });
        const home = await Deno.makeTempDir({ prefix: "oi-docker-server-" });
        const { child, stderr, port } = startServerInstance({
          modelUrl: fake.url,
          computer: "docker",
          engine: engine.address,
          cwd: work,
          token: "docker-token",
          home,
          flags: ["--container_pool", "2"],
        });
        const mine = "io.interpreter.instance=server";
        try {
          await stderr.until((s) => /listening on http:\/\//.test(s), 60_000);
          const spares = await until(() => containers(engine, mine), (list) => list.length >= 2);
          assertEquals(spares.length, 2, "two spares before any session");
          const response = await fetch(`http://127.0.0.1:${port}/chat?session=team-1`, {
            method: "POST",
            headers: { authorization: "Bearer docker-token", "content-type": "application/json" },
            body: JSON.stringify({ message: "compute" }),
          });
          const body = await response.text();
          assertEquals(response.status, 200, body);
          assertStringIncludes(outputOf(body), "in box 42");
          const now = await containers(engine, mine);
          const claimed = now.filter((c) => c.name.startsWith("oi-s-"));
          assertEquals(claimed.length, 1, JSON.stringify(now));
          assert(spares.some((s) => s.id === claimed[0].id), "the session's box was pre-started");
          child.kill("SIGTERM");
          assertEquals((await child.status).code, 0);
          assertEquals(await containers(engine, mine), [], "the session's box and the spares");
        } finally {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
          await child.status;
          await stderr.rest().catch(() => "");
          await fake.close();
          await Deno.remove(home, { recursive: true }).catch(() => {});
        }
      },
    );
  } finally {
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
