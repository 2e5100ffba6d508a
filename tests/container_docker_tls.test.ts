/**
 * A remote Docker Engine: dockerd itself listening on TCP with `--tlsverify` (mutual TLS, a
 * throwaway CA; tests/helpers/docker.ts), reached the way the docker CLI is configured
 * (`DOCKER_HOST`, `DOCKER_CERT_PATH`, `DOCKER_TLS_VERIFY`). Calls, the attach, the input
 * exec and interrupts go through it; a second computer reattaches over it. Controls: the
 * same engine without this client's certificate, and without the CA, is refused.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { parseEngineAddress } from "../lib/container/engine.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { startDocker } from "./helpers/docker.ts";
import { containerWorkspace } from "./helpers/podman.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";

function text(messages: { content?: unknown }[]): string {
  return messages.map((m) => String(m.content ?? "")).join("");
}

Deno.test("docker over TCP with mutual TLS: runs, interrupts and reattach; no client certificate or no CA is refused", async (t) => {
  const engine = await startDocker({ tls: true });
  const tls = engine.tls!;
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const make = (address: ReturnType<typeof parseEngineAddress>, extra = {}) =>
    new ContainerComputer({
      engine: address,
      cwd: work,
      dataDir: data,
      permissions: defaultPermissions({ cwd: work }),
      instance: "tls",
      session: "t1",
      ...extra,
    });
  try {
    await t.step(
      "a computer with the client certificate runs, stops a run and reattaches",
      async () => {
        const trusted = parseEngineAddress(tls.address, {
          DOCKER_CERT_PATH: tls.certPath,
          DOCKER_TLS_VERIFY: "1",
        });
        assert(
          trusted.tls?.cert && trusted.tls.key && trusted.tls.caCert,
          "the three files are read",
        );
        const first = make(trusted);
        assertEquals(
          text(await first.run("python", "n = 2\nprint('over tls', n)")),
          "over tls 2\n",
        );
        const stopped = text(
          await first.run("python", "import time\nwhile True: time.sleep(0.1)", { timeout: 2 }),
        );
        assertStringIncludes(stopped, "KeyboardInterrupt");
        const id = first.containerId!;
        first.detach();
        const second = make(trusted, { container: id });
        try {
          assertEquals(text(await second.run("python", "print(n * 21)")), "42\n");
          assertEquals(second.containerId, id);
        } finally {
          await second.terminate();
        }
        assertEquals(
          await engine.call("GET", `/containers/${id}/json`).then(() => "there", () => "gone"),
          "gone",
        );
      },
    );

    await t.step("the controls: no client certificate, or no CA, is refused", async () => {
      // The CA alone: the engine asks for a client certificate and gets none.
      const caOnly = await Deno.makeTempDir({ prefix: "oi-docker-ca-only-" });
      await Deno.copyFile(`${tls.certPath}/ca.pem`, `${caOnly}/ca.pem`);
      const anonymous = make(parseEngineAddress(tls.address, { DOCKER_CERT_PATH: caOnly }));
      try {
        const out = text(await anonymous.run("python", "print(1)"));
        assertStringIncludes(out, "could not start: TLS with the container engine at");
        assertMatch(out, /certificate.*DOCKER_CERT_PATH \(ca\.pem, cert\.pem, key\.pem\)/i);
      } finally {
        await anonymous.terminate();
        await Deno.remove(caOnly, { recursive: true });
      }
      // No CA: the engine's certificate is not trusted.
      const untrusted = make(parseEngineAddress(tls.address, { DOCKER_TLS_VERIFY: "1" }));
      try {
        const out = text(await untrusted.run("python", "print(1)"));
        assertStringIncludes(out, "could not start: TLS with the container engine at");
        assertMatch(out, /UnknownIssuer/);
      } finally {
        await untrusted.terminate();
      }
      const left = await engine.call("GET", "/containers/json?all=1") as unknown[];
      assertEquals(left.length, 0, "no box was made by a refused client");
    });

    await t.step("the CLI reads DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY", async () => {
      const code = "import socket\nprint('host:', socket.gethostname())";
      const fake = startFakeOpenAI({
        script: [{ toolCalls: [{ language: "python", code }] }, { text: "Done." }],
      });
      const home = await Deno.makeTempDir({ prefix: "oi-container-cli-" });
      try {
        const since = Math.floor(Date.now() / 1000) - 1;
        const run = await runCli([...modelArgs(fake.url), "-y", "--computer", "docker", "go"], {
          home,
          cwd: work,
          timeoutMs: 120_000,
          env: {
            DOCKER_HOST: tls.address,
            DOCKER_CERT_PATH: tls.certPath,
            DOCKER_TLS_VERIFY: "1",
          },
        });
        assertEquals(run.code, 0, run.stderr);
        const host = /host: (\S+)/.exec(run.stdout)?.[1] ?? "";
        const until = Math.ceil(Date.now() / 1000) + 1;
        const filters = encodeURIComponent(JSON.stringify({ event: ["create"] }));
        const events = await engine.call(
          "GET",
          `/events?since=${since}&until=${until}&filters=${filters}`,
        );
        const ids = String(typeof events === "string" ? events : JSON.stringify(events ?? ""))
          .trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).id as string);
        assertEquals(ids.length, 1, String(ids));
        assert(host.length === 12 && ids[0].startsWith(host), `${host} / ${ids[0]}`);
      } finally {
        await fake.close();
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    });
  } finally {
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
