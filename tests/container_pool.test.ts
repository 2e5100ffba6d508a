/**
 * Pre-started session boxes (lib/container/pool.ts) on a real podman engine: a session takes
 * a box made before its run was asked for; sessions never share a box or its state; a box of
 * another configuration is never taken; spares are removed on close (and at server stop),
 * stale spares of a killed process are swept; a pooled box reattaches only for the session
 * it was claimed for.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { parseEngineAddress } from "../lib/container/engine.ts";
import { EngineBackend } from "../lib/container/engine_backend.ts";
import { BoxPool, MAX_FAILURES, MAX_SHAPES } from "../lib/container/pool.ts";
import { sessionBox } from "../lib/container/session_box.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import type { Permissions } from "../lib/sandbox/permissions.ts";
import type { SessionBackend } from "../lib/container/backend.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { containerWorkspace, type PodmanEngine, startPodman } from "./helpers/podman.ts";
import { StreamText } from "./helpers/stream_text.ts";
import { outputOf, startServerInstance } from "./helpers/server_instance.ts";
import { modelArgs } from "./helpers/terminal_cli.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const INSTANCE = "pooltest";
const MINE = `io.interpreter.instance=${INSTANCE}`;
const HOST_ENV = { PATH: "/usr/bin:/bin" };

interface Fixture {
  engine: PodmanEngine;
  work: string;
  data: string;
  permissions: Permissions;
}

async function withEngine(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-pool-data-" });
  try {
    await fn({
      engine,
      work,
      data,
      permissions: { ...defaultPermissions({ cwd: work }), net: false },
    });
  } finally {
    // Whatever a failed test left (a passing test asserts there is nothing).
    const left = await engine.podman(
      "ps",
      "-a",
      "-q",
      "--filter",
      `label=io.interpreter.instance=${INSTANCE}`,
    )
      .catch(() => "");
    const ids = left.split("\n").filter(Boolean);
    if (ids.length) await engine.podman("rm", "-f", ...ids).catch(() => {});
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
}

function newPool(f: Fixture, size = 2): BoxPool {
  return new BoxPool(new EngineBackend(parseEngineAddress(f.engine.address)), {
    size,
    instance: INSTANCE,
    ownsBackend: true,
  });
}

function shapeOf(f: Fixture, permissions: Permissions = f.permissions) {
  return sessionBox({ permissions, cwd: f.work, hostEnv: HOST_ENV });
}

function computer(
  f: Fixture,
  extra: Partial<ConstructorParameters<typeof ContainerComputer>[0]>,
): ContainerComputer {
  return new ContainerComputer({
    cwd: f.work,
    dataDir: f.data,
    permissions: f.permissions,
    hostEnv: HOST_ENV,
    instance: INSTANCE,
    ...extra,
  });
}

/** Waits (bounded) until `pool` holds `count` ready spares. */
async function untilReady(pool: BoxPool, count: number): Promise<string[]> {
  for (let i = 0; i < 1200 && pool.readyCount < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assertEquals(pool.readyCount, count, "spares ready");
  return pool.readyIds;
}

/**
 * Full ids of the containers carrying every label (`key` or `key=value`); with `mount`, only
 * those with that folder bound (the engine's storage is shared with other tests).
 */
async function containers(
  engine: PodmanEngine,
  labels: string[],
  mount?: string,
): Promise<string[]> {
  const out = await engine.podman(
    "ps",
    "-a",
    "--no-trunc",
    ...labels.flatMap((label) => ["--filter", `label=${label}`]),
    "--format",
    "{{.ID}} {{.Mounts}}",
  );
  return out.split("\n").filter(Boolean).filter((line) =>
    mount === undefined || line.includes(mount)
  ).map((line) => line.split(" ")[0]);
}

/** The code output of a turn's server-sent chunks, joined (chunks split lines). */
async function nameOf(engine: PodmanEngine, id: string): Promise<string> {
  return (await engine.podman("inspect", "--format", "{{.Name}}", id)).trim();
}

Deno.test("pool: a session takes a box started before its run; a second session gets another box and none of its state", async () => {
  await withEngine(async (f) => {
    const pool = newPool(f);
    pool.prime(shapeOf(f));
    const spares = await untilReady(pool, 2);
    const first = computer(f, { pool, session: "s1" });
    const second = computer(f, { pool, session: "s2" });
    try {
      assertStringIncludes(textOf(await first.run("python", "x = 41\nprint('one', x)")), "one 41");
      assert(spares.includes(first.containerId!), "the first session took a pre-started box");
      // The control: the same session keeps its state.
      assertStringIncludes(textOf(await first.run("python", "print('again', x + 1)")), "again 42");
      assertStringIncludes(
        textOf(await second.run("python", "print('seen', globals().get('x'))")),
        "seen None",
      );
      assert(spares.includes(second.containerId!), "the second session took a pre-started box");
      assert(first.containerId !== second.containerId, "each session has its own box");
      // Taken boxes are claimed (renamed by the host) and never handed out again.
      assert((await nameOf(f.engine, first.containerId!)).startsWith("oi-s-"));
      assert(!pool.readyIds.includes(first.containerId!));
      assert(!pool.readyIds.includes(second.containerId!));
      // The pool refills in the background.
      const refilled = await untilReady(pool, 2);
      assert(refilled.every((id) => !spares.includes(id)), "refilled with new boxes");
      const taken = [first.containerId!, second.containerId!];
      await first.terminate();
      await second.terminate();
      const left = await containers(f.engine, [MINE]);
      assert(taken.every((id) => !left.includes(id)), "terminate removed the sessions' boxes");
    } finally {
      await first.terminate();
      await second.terminate();
      await pool.close();
    }
    assertEquals(
      await containers(f.engine, [MINE]),
      [],
      "no box is left: sessions' boxes removed on terminate, spares on close",
    );
  });
});

Deno.test("pool: close removes the spares, also one whose launch is under way", async () => {
  await withEngine(async (f) => {
    const pool = newPool(f, 1);
    pool.prime(shapeOf(f));
    await untilReady(pool, 1);
    assertEquals((await containers(f.engine, [MINE, "io.interpreter.pool"])).length, 1);
    // A second shape starts a launch: once the engine has its box, close() runs (usually
    // before that spare is ready: it must wait for the launch and remove what it made).
    pool.prime(shapeOf(f, { ...f.permissions, write: false }));
    for (let i = 0; i < 1200; i++) {
      if ((await containers(f.engine, [MINE, "io.interpreter.pool"])).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await pool.close();
    assertEquals(await containers(f.engine, [MINE, "io.interpreter.pool"]), [], "no spare is left");
    // Closed: nothing more is taken or started.
    assertEquals(pool.take(shapeOf(f), "s1"), undefined);
  });
});

Deno.test("pool: a session with other permissions never takes another configuration's box", async () => {
  await withEngine(async (f) => {
    const pool = newPool(f, 1);
    pool.prime(shapeOf(f)); // the working folder is writable in these boxes
    const spares = await untilReady(pool, 1);
    const readOnly = { ...f.permissions, write: false };
    const denied = computer(f, { pool, session: "ro", permissions: readOnly });
    const control = computer(f, { pool, session: "rw" });
    const write = `open(${JSON.stringify(`${f.work}/probe`)}, "w").write("x")\nprint("wrote")`;
    try {
      const out = textOf(await denied.run("python", write));
      assert(!spares.includes(denied.containerId!), "not taken from the other pool");
      assert(!out.includes("wrote"), `the write went through:\n${out}`);
      assert(/Read-only file system|Permission denied|No such file/.test(out), out);
      assert(pool.readyIds.includes(spares[0]), "the other configuration's spare is still there");
      // The control: the configuration the spare was made for takes it, and may write.
      assertStringIncludes(textOf(await control.run("python", write)), "wrote");
      assert(spares.includes(control.containerId!), "the matching session took the spare");
    } finally {
      await denied.terminate();
      await control.terminate();
      await pool.close();
    }
    assertEquals(await containers(f.engine, [MINE]), []);
  });
});

Deno.test("pool: a claimed box reattaches for its session; an untaken spare or another session's box is refused", async () => {
  await withEngine(async (f) => {
    const pool = newPool(f, 2);
    pool.prime(shapeOf(f));
    await untilReady(pool, 2);
    const first = computer(f, { pool, session: "s1" });
    const computers: ContainerComputer[] = [first];
    try {
      assertStringIncludes(textOf(await first.run("python", "x = 7\nprint('set', x)")), "set 7");
      const box = first.containerId!;
      first.detach(); // the instance goes away; the store recorded `box` for s1
      const spare = pool.readyIds[0];
      assert(spare && spare !== box);

      // Another session given s1's box: refused, and the box is left alone.
      const other = computer(f, { engine: f.engine.address, session: "s2", container: box });
      computers.push(other);
      assertStringIncludes(
        textOf(await other.run("python", "print('other', globals().get('x'))")),
        "other None",
      );
      assert(other.containerId !== box, "s2 did not take s1's box");
      // A spare nobody took (not recorded for s1 by a take): refused, left in the pool.
      const stranger = computer(f, { engine: f.engine.address, session: "s1", container: spare });
      computers.push(stranger);
      assertStringIncludes(
        textOf(await stranger.run("python", "print('stranger', globals().get('x'))")),
        "stranger None",
      );
      assert(stranger.containerId !== spare, "the untaken spare was refused");
      assert(pool.readyIds.includes(spare), "the refused spare is still in the pool");

      // The control: s1 reattaches to its claimed box and finds its state.
      const again = computer(f, { engine: f.engine.address, session: "s1", container: box });
      computers.push(again);
      assertStringIncludes(textOf(await again.run("python", "print('kept', x)")), "kept 7");
      assertEquals(again.containerId, box);
    } finally {
      for (const c of computers) await c.terminate();
      await pool.close();
    }
    assertEquals(await containers(f.engine, [MINE]), []);
  });
});

const CHILD = `
import { parseEngineAddress } from "${new URL("../lib/container/engine.ts", import.meta.url)}";
import { EngineBackend } from "${new URL("../lib/container/engine_backend.ts", import.meta.url)}";
import { BoxPool } from "${new URL("../lib/container/pool.ts", import.meta.url)}";
import { sessionBox } from "${new URL("../lib/container/session_box.ts", import.meta.url)}";
import { defaultPermissions } from "${new URL("../lib/sandbox/defaults.ts", import.meta.url)}";
const [address, cwd] = Deno.args;
const pool = new BoxPool(new EngineBackend(parseEngineAddress(address)), { size: 1, instance: "${INSTANCE}" });
const shape = sessionBox({ permissions: { ...defaultPermissions({ cwd }), net: false }, cwd, hostEnv: {} });
pool.prime(shape);
while (pool.readyCount < 1) await new Promise((r) => setTimeout(r, 50));
const taken = pool.take(shape, "claimed-session");
await taken.claimed;
while (pool.readyCount < 1) await new Promise((r) => setTimeout(r, 50));
console.log("ready " + taken.id + " " + pool.readyIds[0]);
await new Promise(() => {});
`;

Deno.test("pool: spares of a killed process are swept by the next pool on this host; its claimed box stays", async () => {
  await withEngine(async (f) => {
    const script = `${f.data}/child.ts`;
    await Deno.writeTextFile(script, CHILD);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, f.engine.address, f.work],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = new StreamText(child.stdout);
    const err = new StreamText(child.stderr);
    let claimed = "";
    let stale = "";
    try {
      const line = await out.until((t) => /ready \w+ \w+/.test(t), 90_000).catch(async (e) => {
        throw new Error(`${e}\n${await err.rest().catch(() => "")}`);
      });
      [, claimed, stale] = /ready (\w+) (\w+)/.exec(line)!;
    } finally {
      child.kill("SIGKILL"); // no cleanup runs
      await child.status;
      await out.rest().catch(() => "");
      await err.rest().catch(() => "");
    }
    assertEquals(
      (await containers(f.engine, [MINE, "io.interpreter.pool"])).sort(),
      [claimed, stale].sort(),
      "the killed process left its spare and its claimed box",
    );
    const pool = newPool(f, 1);
    try {
      pool.prime(shapeOf(f));
      const [fresh] = await untilReady(pool, 1);
      const left = await containers(f.engine, [MINE, "io.interpreter.pool"]);
      assert(!left.includes(stale), "the dead process's spare was removed");
      assert(left.includes(claimed), "a claimed box (a session's) is never swept");
      assert(left.includes(fresh));
    } finally {
      await pool.close();
      await f.engine.podman("rm", "-f", claimed).catch(() => "");
    }
    assertEquals(await containers(f.engine, [MINE, "io.interpreter.pool"]), []);
  });
});

Deno.test("pool: an interpreter --server session runs in a pre-started box; stopping the server removes every box", async () => {
  await withEngine(async (f) => {
    const fake = startFakeOpenAI({
      script: [{ toolCalls: [{ language: "python", code: "print('in box', 6 * 7)" }] }, {
        text: "done.",
      }],
    });
    const home = await Deno.makeTempDir({ prefix: "oi-pool-home-" });
    const { child, stderr, port } = startServerInstance({
      modelUrl: fake.url,
      computer: "podman",
      engine: f.engine.address,
      cwd: f.work,
      token: "pool-token",
      home,
      flags: ["--container_pool", "2"],
    });
    try {
      await stderr.until((t) => /listening on http:\/\//.test(t), 60_000);
      let spares: string[] = [];
      for (let i = 0; i < 1200 && spares.length < 2; i++) {
        spares = await containers(f.engine, ["io.interpreter.instance=server"], f.work);
        if (spares.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assertEquals(spares.length, 2, "two spares before any session");
      const response = await fetch(`http://127.0.0.1:${port}/chat?session=team-1`, {
        method: "POST",
        headers: { authorization: "Bearer pool-token", "content-type": "application/json" },
        body: JSON.stringify({ message: "compute" }),
      });
      const body = await response.text();
      assertEquals(response.status, 200, body);
      assertStringIncludes(outputOf(body), "in box 42");
      const names = await Promise.all(spares.map((id) => nameOf(f.engine, id)));
      assertEquals(names.filter((n) => n.startsWith("oi-s-")).length, 1, names.join(" "));
      child.kill("SIGTERM");
      assertEquals((await child.status).code, 0);
      assertEquals(
        await containers(f.engine, ["io.interpreter.instance=server"], f.work),
        [],
        "the session's box and the spares were removed",
      );
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await stderr.rest().catch(() => "");
      const left = await containers(f.engine, ["io.interpreter.instance=server"], f.work).catch(
        () => [],
      );
      if (left.length) await f.engine.podman("rm", "-f", ...left).catch(() => {});
      await fake.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  });
});

/** Waits (bounded) until `check` holds; false when it never did. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

Deno.test("pool: the CLI starts its container in the background before any code is asked for (not with --container_pool 0); removed at exit", async () => {
  await withEngine(async (f) => {
    const home = await Deno.makeTempDir({ prefix: "oi-pool-cli-" });
    // The model never finishes its answer: no code is ever asked for.
    const fake = startFakeOpenAI({
      script: [{ trickle: "data: {", everyMs: 200 }, { trickle: "data: {", everyMs: 200 }],
    });
    const cliBoxes = () => containers(f.engine, ["io.interpreter.instance=cli"], f.work);
    try {
      for (const pool of ["2", "0"]) {
        const child = new Deno.Command("setsid", {
          args: [
            Deno.execPath(),
            "run",
            "-A",
            new URL("../main.ts", import.meta.url).pathname,
            ...modelArgs(fake.url),
            "-y",
            "--computer",
            "podman",
            "--container_engine",
            f.engine.address,
            "--container_pool",
            pool,
            "say hello",
          ],
          cwd: f.work,
          env: { INTERPRETER_HOME: home, NO_COLOR: "1" },
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const stderr = new StreamText(child.stderr);
        const asked = fake.requests.length + 1;
        try {
          assert(
            await eventually(() => Promise.resolve(fake.requests.length >= asked), 60_000),
            "the model was asked",
          );
          const started = await eventually(
            async () => (await cliBoxes()).length === 1,
            pool === "0" ? 3000 : 60_000, // the control: long enough for a start to show
          );
          assertEquals(
            started,
            pool !== "0",
            `a box started while the model answered (pool ${pool})`,
          );
          child.kill("SIGTERM");
          await child.status;
          assertEquals(await cliBoxes(), [], "the chat's box was removed at exit");
        } finally {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
          await child.status;
          await stderr.rest().catch(() => "");
        }
      }
    } finally {
      await fake.close();
      const left = await cliBoxes().catch(() => []);
      if (left.length) await f.engine.podman("rm", "-f", ...left).catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  });
});

Deno.test("pool: refills that fail are quiet and bounded; a take tries once more; sessions start their own box", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oi-pool-noengine-" });
  // A real Engine API backend on a socket nothing listens on, with its launches counted.
  const real = new EngineBackend(parseEngineAddress(`unix://${dir}/missing.sock`));
  let launches = 0;
  const counted: SessionBackend = {
    kind: real.kind,
    notes: real.notes,
    localHost: real.localHost,
    launch: (spec) => (launches++, real.launch(spec)),
    attach: (id) => real.attach(id),
    openInput: (id) => real.openInput(id),
    interrupt: (id) => real.interrupt(id),
    inspect: (id) => real.inspect(id),
    remove: (id) => real.remove(id),
    claim: (id, name) => real.claim(id, name),
    list: (key) => real.list(key),
    close: () => real.close(),
  };
  const pool = new BoxPool(counted, { size: 2, instance: INSTANCE, retryMs: 5 });
  const work = await Deno.makeTempDir({ prefix: "oi-pool-noengine-work-" });
  const permissions = { ...defaultPermissions({ cwd: work }), net: false };
  const shape = sessionBox({ permissions, cwd: work, hostEnv: HOST_ENV });
  try {
    pool.prime(shape); // never throws
    // Waits (bounded) for `count` launches, then a while more: none may follow.
    const settled = async (count: number) => {
      assert(await eventually(() => Promise.resolve(launches >= count), 30_000), `${launches}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    };
    await settled(MAX_FAILURES);
    assertEquals(launches, MAX_FAILURES, "retried, then stopped");
    const c = new ContainerComputer({
      pool,
      cwd: work,
      permissions,
      hostEnv: HOST_ENV,
      dataDir: dir,
      session: "s1",
    });
    // No spare: the session starts its own box, and says why it could not.
    assertStringIncludes(
      textOf(await c.run("python", "print(1)")),
      "The session container could not start",
    );
    await settled(MAX_FAILURES + 2);
    // The take tried one more refill, and the session's own start was one more launch.
    assertEquals(launches, MAX_FAILURES + 2);
    assertEquals(pool.readyCount, 0);
    await c.terminate();
  } finally {
    await pool.close();
    real.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("pool: at most MAX_SHAPES configurations are kept; the least used one's spare is removed", async () => {
  await withEngine(async (f) => {
    const pool = newPool(f, 1);
    const shapes = Array.from(
      { length: MAX_SHAPES + 1 },
      (_, i) =>
        sessionBox({
          permissions: f.permissions,
          cwd: f.work,
          hostEnv: HOST_ENV,
          env: { SHAPE: `${i}` },
        }),
    );
    try {
      for (const shape of shapes.slice(0, MAX_SHAPES)) pool.prime(shape);
      const first = await untilReady(pool, MAX_SHAPES);
      // One more configuration: the least used (the first primed) gives way.
      pool.prime(shapes[MAX_SHAPES]);
      const dropped = first.find((id) => !pool.readyIds.includes(id));
      assert(dropped, "a spare was dropped at once");
      await untilReady(pool, MAX_SHAPES);
      assert(
        await eventually(
          async () => !(await containers(f.engine, [MINE])).includes(dropped),
          30_000,
        ),
        "the dropped spare was removed",
      );
      // The newest configuration has its spare: a session of it takes one.
      const c = computer(f, { pool, session: "newest", env: { SHAPE: `${MAX_SHAPES}` } });
      const before = pool.readyIds;
      try {
        assertStringIncludes(
          textOf(await c.run("python", "import os\nprint('shape', os.environ['SHAPE'])")),
          `shape ${MAX_SHAPES}`,
        );
        assert(before.includes(c.containerId!), "taken from the newest configuration's spare");
      } finally {
        await c.terminate();
      }
    } finally {
      await pool.close();
    }
    assertEquals(await containers(f.engine, [MINE]), []);
  });
});
