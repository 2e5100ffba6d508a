/**
 * The engine keeps no copy of a session's output: session boxes are made with the `none` log
 * driver, so nothing the code prints lands in Docker's json-file or podman's k8s-file log on
 * the engine's disk (unbounded, and kept until the box is removed); the host reads output
 * through the attach only. Control on each engine: a box with the engine's default log
 * driver printing the same marker has it in its log file.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { EngineClient, parseEngineAddress } from "../lib/container/engine.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { startDocker } from "./helpers/docker.ts";
import { containerWorkspace, startPodman, TEST_IMAGE } from "./helpers/podman.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

type Call = (method: string, path: string, body?: unknown) => Promise<unknown>;

async function logFile(call: Call, id: string): Promise<{ type: string; text: string }> {
  const info = await call("GET", `/containers/${id}/json`) as {
    LogPath?: string;
    HostConfig: { LogConfig: { Type: string } };
  };
  const text = info.LogPath ? await Deno.readTextFile(info.LogPath).catch(() => "") : "";
  return { type: info.HostConfig.LogConfig.Type, text };
}

async function checkEngine(address: string, call: Call): Promise<void> {
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const marker = `marker-${crypto.randomUUID()}`;
  const c = new ContainerComputer({
    engine: address,
    cwd: work,
    dataDir: data,
    permissions: defaultPermissions({ cwd: work }),
    instance: "test",
  });
  try {
    const out = await c.run("python", `print(${JSON.stringify(marker)})`);
    assertEquals(out.map((m) => m.content).join(""), `${marker}\n`, "the host got the output");
    const log = await logFile(call, c.containerId!);
    assertEquals(log.type, "none");
    assert(!log.text.includes(marker), "the session's output is not in the engine's log");
  } finally {
    await c.terminate();
  }
  // The control: the engine's default log driver keeps what a box prints.
  const created = await call("POST", "/containers/create", {
    Image: TEST_IMAGE,
    Cmd: ["/usr/bin/python3", "-c", `print(${JSON.stringify(marker)})`],
    User: "1000:1000",
    HostConfig: { NetworkMode: "none", ReadonlyRootfs: true, CapDrop: ["ALL"] },
  }) as { Id: string };
  try {
    await call("POST", `/containers/${created.Id}/start`);
    await call("POST", `/containers/${created.Id}/wait`);
    const log = await logFile(call, created.Id);
    assert(log.type !== "none" && log.text.includes(marker), `the control's log: ${log.type}`);
  } finally {
    await call("DELETE", `/containers/${created.Id}?force=1`).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
}

Deno.test("container: Docker keeps no log of a session's output; a default box is the control", async () => {
  const engine = await startDocker();
  try {
    await checkEngine(engine.address, engine.call);
  } finally {
    await engine.stop();
  }
});

Deno.test("container: podman keeps no log of a session's output; a default box is the control", async () => {
  const engine = await startPodman();
  const client = new EngineClient(parseEngineAddress(engine.address));
  try {
    await checkEngine(engine.address, (method, path, body) => client.call(method, path, body));
  } finally {
    client.close();
    await engine.stop();
  }
});
