/**
 * A podman session box with the network on runs in podman's `slirp4netns` mode (its own
 * network namespace; faster to set up than a bridge): it has a network, yet reaches neither
 * a host service on 127.0.0.1 (directly or through slirp's host alias 10.0.2.2) nor a host
 * abstract unix socket. Control: the same probe in a box sharing the host's network
 * namespace reaches both, so the test would see an escape.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { EngineClient, parseEngineAddress } from "../lib/container/engine.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { containerWorkspace, startPodman, TEST_IMAGE } from "./helpers/podman.ts";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { hostListener, probe } from "./helpers/container_network.ts";

Deno.test("container network on: slirp4netns box reaches no host loopback or abstract socket; control: host network reaches both", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const abstract = `oi-netmode-${crypto.randomUUID()}`;
  const listener = hostListener(abstract);
  const client = new EngineClient(parseEngineAddress(engine.address));
  try {
    const port = await listener.port;
    const code = probe(port, abstract);
    const box = new ContainerComputer({
      engine: engine.address,
      cwd: work,
      dataDir: data,
      permissions: defaultPermissions({ cwd: work }),
      instance: "test",
    });
    try {
      const out = (await box.run("python", code)).map((m) => String(m.content ?? "")).join("");
      const info = await client.call("GET", `/containers/${box.containerId}/json`) as {
        HostConfig: { NetworkMode: string };
      };
      assertEquals(info.HostConfig.NetworkMode, "slirp4netns");
      assertStringIncludes(out, "default-route True"); // the network is on
      assertStringIncludes(out, "tcp-lo blocked");
      assertStringIncludes(out, "tcp-alias blocked");
      assertStringIncludes(out, "abstract blocked");
    } finally {
      await box.terminate();
    }
    // Control: the same probe sharing the host's network namespace reaches both.
    const created = await client.call("POST", "/containers/create", {
      Image: TEST_IMAGE,
      Cmd: ["/usr/bin/python3", "-c", code],
      User: "1000:1000",
      HostConfig: { NetworkMode: "host", ReadonlyRootfs: true, CapDrop: ["ALL"] },
    }) as { Id: string };
    try {
      await client.call("POST", `/containers/${created.Id}/start`);
      await client.call("POST", `/containers/${created.Id}/wait`);
      const logs = String(
        await client.call("GET", `/containers/${created.Id}/logs?stdout=1&stderr=1`),
      );
      assertStringIncludes(logs, "tcp-lo reached");
      assertStringIncludes(logs, "abstract reached");
    } finally {
      await client.call("DELETE", `/containers/${created.Id}?force=1`).catch(() => {});
    }
  } finally {
    client.close();
    listener.child.kill();
    await listener.child.status;
    await listener.child.stdout.cancel().catch(() => {});
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
