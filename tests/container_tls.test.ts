/**
 * A remote engine over TCP with TLS (`tcp://host:port` + DOCKER_CERT_PATH): a real TLS
 * front (Deno.listenTls, a certificate from a throwaway CA made with openssl) relays to
 * podman's API socket; calls, attach and the stdin feed all go through it. The control: the
 * same engine without the CA is refused (the certificate is checked).
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { parseEngineAddress } from "../lib/container/engine.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { relayConnection } from "../lib/sandbox/relay.ts";
import { containerWorkspace, startPodman } from "./helpers/podman.ts";
import { assertEquals, assertStringIncludes, assertThrows } from "./helpers/assert.ts";
import { makeCertificates } from "./helpers/test_certificates.ts";

function tlsFront(socketPath: string, dir: string): { port: number; close(): void } {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(`${dir}/server.pem`),
    key: Deno.readTextFileSync(`${dir}/server.key`),
  });
  (async () => {
    for await (const conn of listener) relayConnection(conn, socketPath);
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

Deno.test("engine over TCP with TLS: calls, attach and input go through the checked certificate", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const certs = await Deno.makeTempDir({ prefix: "oi-engine-tls-" });
  let front: { port: number; close(): void } | undefined;
  try {
    await makeCertificates(certs);
    front = tlsFront(engine.address.replace("unix://", ""), certs);
    const address = `tcp://127.0.0.1:${front.port}`;
    const trusted = parseEngineAddress(address, { DOCKER_CERT_PATH: certs });
    assertEquals(trusted.transport, "tcp");
    const c = new ContainerComputer({
      engine: trusted,
      cwd: work,
      dataDir: certs,
      permissions: defaultPermissions({ cwd: work }),
    });
    try {
      const first = await c.run("python", "n = 2\nprint('over tls', n)");
      assertEquals(first.map((m) => m.content).join(""), "over tls 2\n");
      const second = await c.run("python", "print(n * 21)");
      assertEquals(second.map((m) => m.content).join(""), "42\n");
    } finally {
      await c.terminate();
    }
    // The control: without the CA, the engine's certificate is not trusted.
    const untrusted = new ContainerComputer({
      engine: parseEngineAddress(address, { DOCKER_TLS_VERIFY: "1" }),
      cwd: work,
      dataDir: certs,
    });
    const refused = await untrusted.run("python", "print(1)");
    assertStringIncludes(refused.map((m) => m.content).join(""), "could not start");
    await untrusted.terminate();
  } finally {
    front?.close();
    await engine.stop();
    await Deno.remove(certs, { recursive: true }).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
});

Deno.test("engine addresses: unix, tcp and a clear error for anything else", () => {
  assertEquals(
    parseEngineAddress("unix:///run/podman/podman.sock").path,
    "/run/podman/podman.sock",
  );
  assertEquals(parseEngineAddress("/var/run/docker.sock").transport, "unix");
  const tcp = parseEngineAddress("tcp://10.0.0.5:2375");
  assertEquals([tcp.hostname, tcp.port, tcp.tls], ["10.0.0.5", 2375, undefined]);
  assertThrows(() => parseEngineAddress("ftp://x"), Error, "use unix:///path/to/socket");
});
