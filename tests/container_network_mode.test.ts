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

/** Python probing a TCP port on the host's loopback and an abstract socket. */
function probe(port: number, abstract: string): string {
  return `import socket
def attempt(label, family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(address)
        print(label, "reached", flush=True)
    except OSError as e:
        print(label, "blocked", type(e).__name__, flush=True)
    finally:
        s.close()
attempt("tcp-lo", socket.AF_INET, ("127.0.0.1", ${port}))
attempt("tcp-alias", socket.AF_INET, ("10.0.2.2", ${port}))
attempt("abstract", socket.AF_UNIX, "\\0${abstract}")
routes = open("/proc/net/route").read().splitlines()[1:]
print("default-route", any(r.split()[1] == "00000000" for r in routes), flush=True)
`;
}

/** A host process listening on 127.0.0.1 (TCP) and on an abstract unix socket. */
function hostListener(abstract: string): { port: Promise<number>; child: Deno.ChildProcess } {
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      `import socket, threading
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(16)
a = socket.socket(socket.AF_UNIX); a.bind("\\0${abstract}"); a.listen(16)
def serve(s):
    while True:
        c, _ = s.accept(); c.close()
threading.Thread(target=serve, args=(a,), daemon=True).start()
print(t.getsockname()[1], flush=True)
serve(t)
`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const port = (async () => {
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    return Number(new TextDecoder().decode(value).trim());
  })();
  return { port, child };
}

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
