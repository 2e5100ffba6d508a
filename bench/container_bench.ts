/**
 * Container benchmark (issue 15): a container session's start (first `print(1)`) against
 * bubblewrap's, side by side, both cold and pooled (a pre-started box taken from a
 * `BoxPool`, what a server session sees with `--container_pool`; the target is judged on it); the warm round trip of `print(1)` in a container session;
 * the memory an idle container session adds (four idle sessions side by side: the engine's
 * figure for each box, plus the proportional memory of its host helpers, conmon and
 * slirp4netns; PSS and RSS shown too); and one store upsert of a ~9 KB
 * conversation in a local PostgreSQL. Needs root, podman, runc, the session image (built
 * when missing) and PostgreSQL (a throwaway cluster is started).
 *
 * Usage: `deno run -A bench/container_bench.ts [--quick]`. Reports; never fails.
 *
 * @module
 */

import { Computer } from "../lib/computer/mod.ts";
import { ContainerComputer } from "../lib/container/computer.ts";
import { EngineClient, parseEngineAddress } from "../lib/container/engine.ts";
import { EngineBackend } from "../lib/container/engine_backend.ts";
import { DEFAULT_IMAGE } from "../lib/container/options.ts";
import { BoxPool } from "../lib/container/pool.ts";
import { sessionBox } from "../lib/container/session_box.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { openStore } from "../lib/store/mod.ts";
import { containerWorkspace, startPodman } from "../tests/helpers/podman.ts";
import { startPgCluster } from "../tests/helpers/pg_cluster.ts";
import type { LmcMessage } from "../lib/wire/lmc.ts";

const quick = Deno.args.includes("--quick");
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Resident and proportional memory (kB) of the host processes of a session, split in two:
 * those in the container's cgroup (its code), and the helpers the engine runs beside it on the
 * host (conmon, named by the container id; slirp4netns, named by the box's network namespace).
 */
function memoryOfSession(
  containerId: string,
  netns: string,
): { box: { rss: number; pss: number }; helpers: { rss: number; pss: number } } {
  const box = { rss: 0, pss: 0 };
  const helpers = { rss: 0, pss: 0 };
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const inBox = Deno.readTextFileSync(`/proc/${entry.name}/cgroup`).includes(containerId);
      const cmdline = inBox ? "" : Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      const helper = !inBox &&
        (cmdline.includes(containerId) || (netns !== "" && cmdline.includes(netns)));
      if (!inBox && !helper) continue;
      const rollup = Deno.readTextFileSync(`/proc/${entry.name}/smaps_rollup`);
      const into = inBox ? box : helpers;
      into.rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      into.pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { box, helpers };
}

/**
 * Where a box's start goes, step by step on the engine (median ms over `rounds`): create;
 * the attach, which on podman also initialises the box (runtime, network namespace and its
 * network); start; the first output of a trivial Python.
 */
async function startSteps(address: string, mode: string, rounds: number): Promise<string> {
  const client = new EngineClient(parseEngineAddress(address));
  const steps: number[][] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const { Id } = await client.call("POST", "/containers/create", {
        Image: DEFAULT_IMAGE,
        Cmd: ["/usr/bin/python3", "-c", "import sys; print('up', flush=True); sys.stdin.read()"],
        User: "1000:1000",
        OpenStdin: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        NetworkDisabled: mode === "none",
        HostConfig: { NetworkMode: mode, ReadonlyRootfs: true, CapDrop: ["ALL"] },
      }) as { Id: string };
      const t1 = performance.now();
      const stream = await client.hijack(`/containers/${Id}/attach?stream=1&stdin=1&stdout=1`);
      const t2 = performance.now();
      await client.call("POST", `/containers/${Id}/start`);
      const t3 = performance.now();
      for await (const _ of stream.frames) break;
      const t4 = performance.now();
      // Removed while still attached: closing first ends its stdin, and podman refuses to
      // remove a box caught exiting (retried once).
      await client.call("DELETE", `/containers/${Id}?force=1`).catch(() =>
        client.call("DELETE", `/containers/${Id}?force=1`)
      ).catch(() => {});
      stream.close();
      steps.push([t1 - t0, t2 - t1, t3 - t2, t4 - t3]);
    }
  } finally {
    client.close();
  }
  const names = ["create", "attach+init", "start", "first output"];
  return names.map((name, k) => `${name} ${median(steps.map((r) => r[k])).toFixed(0)}`).join(
    ", ",
  );
}

const engine = await startPodman();
const work = await containerWorkspace();
const data = await Deno.makeTempDir({ prefix: "oi-bench-data-" });
const permissions = defaultPermissions({ cwd: work });
try {
  const rounds = quick ? 3 : 5;
  for (const mode of ["bridge", "slirp4netns", "none"]) {
    console.log(`  start steps, ${mode} (ms): ${await startSteps(engine.address, mode, rounds)}`);
  }
  // Side by side, alternating, with the default permissions (network on: the engine's bridge
  // for the container, the host's network for bubblewrap) and with the network off on both.
  for (
    const [label, perms] of [["network on", permissions], ["network off", {
      ...permissions,
      net: false,
    }]] as const
  ) {
    const containerStarts: number[] = [];
    const pooledStarts: number[] = [];
    const bwrapStarts: number[] = [];
    // What a server session sees: a pool of pre-started boxes (--container_pool), refilled
    // between sessions (sessions arriving slower than a box starts).
    const pool = new BoxPool(new EngineBackend(parseEngineAddress(engine.address)), {
      size: 2,
      instance: "bench",
      ownsBackend: true,
    });
    const shape = sessionBox({ permissions: perms, cwd: work, hostEnv: Deno.env.toObject() });
    pool.prime(shape);
    // No refill runs while anything is measured (it would slow the others down).
    const full = async () => {
      for (let k = 0; k < 600 && pool.readyCount < pool.size; k++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      for (let i = 0; i < rounds * 2; i++) {
        await full();
        const c = new ContainerComputer({
          engine: engine.address,
          cwd: work,
          dataDir: data,
          permissions: perms,
        });
        let t = performance.now();
        await c.run("python", "print(1)");
        containerStarts.push(performance.now() - t);
        await c.terminate();
        const p = new ContainerComputer({ pool, cwd: work, dataDir: data, permissions: perms });
        t = performance.now();
        await p.run("python", "print(1)");
        pooledStarts.push(performance.now() - t);
        await p.terminate();
        await full();
        const b = new Computer({ cwd: work, dataDir: data, permissions: perms });
        t = performance.now();
        await b.run("python", "print(1)");
        bwrapStarts.push(performance.now() - t);
        await b.terminate();
      }
    } finally {
      await pool.close();
    }
    const samples = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" ");
    console.log(
      `  samples (${label}, ms): cold container ${samples(containerStarts)}; pooled container ${
        samples(pooledStarts)
      }; bubblewrap ${samples(bwrapStarts)}`,
    );
    const cs = median(containerStarts);
    const ps = median(pooledStarts);
    const bs = median(bwrapStarts);
    console.log(
      `session start, ${label} (first print(1), median): pooled container ${
        ps.toFixed(1)
      } ms, cold container ${cs.toFixed(1)} ms, bubblewrap ${bs.toFixed(1)} ms; ratio pooled ${
        (ps / bs).toFixed(2)
      } (target <= 1.6: what a server session sees), cold ${(cs / bs).toFixed(2)}`,
    );
  }

  const c = new ContainerComputer({
    engine: engine.address,
    cwd: work,
    dataDir: data,
    permissions,
  });
  await c.run("python", "print(1)");
  const trips: number[] = [];
  for (let i = 0; i < (quick ? 50 : 300); i++) {
    const t = performance.now();
    await c.run("python", "print(1)");
    trips.push(performance.now() - t);
  }
  console.log(`warm round trip print(1): median ${median(trips).toFixed(3)} ms (target <= 0.5 ms)`);
  // Idle sessions side by side: RSS counts the shared Python library in each; PSS splits
  // shared pages between the sessions (the memory each one adds).
  const idle = [c];
  for (let i = 0; i < 3; i++) {
    const more = new ContainerComputer({
      engine: engine.address,
      cwd: work,
      dataDir: data,
      permissions,
    });
    await more.run("python", "print(1)");
    idle.push(more);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const inspector = new EngineClient(parseEngineAddress(engine.address));
  const memory: { engine: number; helpersPss: number; pss: number; rss: number }[] = [];
  for (const s of idle) {
    const info = await inspector.call("GET", `/containers/${s.containerId}/json`) as {
      NetworkSettings?: { SandboxKey?: string };
    };
    // The engine's own figure for the box (what `podman stats` / `docker stats` show and what
    // `--memory` limits): the memory charged to the container's cgroup.
    const stats = await inspector.call(
      "GET",
      `/containers/${s.containerId}/stats?stream=false`,
    ) as {
      memory_stats?: { usage?: number };
    };
    const host = memoryOfSession(s.containerId!, info.NetworkSettings?.SandboxKey ?? "");
    memory.push({
      engine: (stats.memory_stats?.usage ?? NaN) / 1024,
      helpersPss: host.helpers.pss,
      pss: host.box.pss + host.helpers.pss,
      rss: host.box.rss + host.helpers.rss,
    });
  }
  inspector.close();
  const mib = (kb: number): string => (kb / 1024).toFixed(1);
  const engineKb = median(memory.map((m) => m.engine));
  const helpersKb = median(memory.map((m) => m.helpersPss));
  console.log(
    `idle session memory (4 sessions, medians): what a session adds = the engine's figure for ` +
      `its box ${mib(engineKb)} MiB + its host helpers (conmon, slirp4netns) PSS ${
        mib(helpersKb)
      } MiB = ${mib(engineKb + helpersKb)} MiB (target <= 8 MiB)`,
  );
  console.log(
    `  the same processes by PSS ${mib(median(memory.map((m) => m.pss)))} MiB; by RSS ${
      mib(median(memory.map((m) => m.rss)))
    } MiB (RSS counts the pages every session shares, such as the Python binary, in each)`,
  );
  for (const s of idle) await s.terminate();
} finally {
  await engine.stop();
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.remove(data, { recursive: true }).catch(() => {});
}

const cluster = await startPgCluster();
try {
  const store = await openStore(cluster.url);
  const messages: LmcMessage[] = [];
  while (JSON.stringify(messages).length < 9000) {
    messages.push({ role: "user", type: "message", content: "x".repeat(300) });
  }
  const times: number[] = [];
  for (let i = 0; i < (quick ? 100 : 500); i++) {
    const t = performance.now();
    await store.saveMessages("bench", messages);
    times.push(performance.now() - t);
  }
  console.log(
    `store upsert (PostgreSQL, ${JSON.stringify(messages).length} B): median ${
      median(times).toFixed(3)
    } ms (target <= 1 ms)`,
  );
  await store.close();
} finally {
  await cluster.stop();
}
