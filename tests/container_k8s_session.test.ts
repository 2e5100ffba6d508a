/**
 * The Kubernetes backend against a stand-in API server (tests/helpers/k8s_standin.ts; no
 * cluster runs here): a session runs code through exec/attach over v5.channel.k8s.io, keeps
 * Python state, is interrupted through exec, and its pod is deleted on terminate.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { KubeBackend } from "../lib/container/k8s.ts";
import { loadKubeconfig, parseKubeconfig } from "../lib/container/kubeconfig.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { startKubeStandIn } from "./helpers/k8s_standin.ts";
import { startPodman } from "./helpers/podman.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";

function text(messages: { content?: unknown }[]): string {
  return messages.map((m) => String(m.content ?? "")).join("");
}

function kubeconfig(server: string, token: string): string {
  return `apiVersion: v1
kind: Config
current-context: test
clusters:
  - name: standin
    cluster:
      server: ${server}
users:
  - name: tester
    user:
      token: ${token}
contexts:
  - name: test
    context:
      cluster: standin
      user: tester
      namespace: sessions
`;
}

Deno.test("kubernetes (stand-in API): a session runs code through exec/attach over v5.channel.k8s.io", async () => {
  const engine = await startPodman();
  const standin = startKubeStandIn(engine);
  const dir = await Deno.makeTempDir({ prefix: "oi-k8s-" });
  try {
    await Deno.writeTextFile(`${dir}/config`, kubeconfig(standin.url, standin.token));
    const access = await loadKubeconfig(`${dir}/config`);
    assertEquals(access.namespace, "sessions");
    const backend = new KubeBackend(access);
    const c = new ContainerComputer({
      engine: backend,
      cwd: dir,
      dataDir: dir,
      permissions: defaultPermissions({ cwd: dir }),
      session: "team:1",
    });
    try {
      assertEquals(text(await c.run("python", "x = 6\nx * 7")), "42\n");
      assertEquals(text(await c.run("python", "print(x + 1)")), "7\n");
      assertEquals(text(await c.run("shell", "echo from bash $((2 + 3))")), "from bash 5\n");
      // JavaScript: the same driver starts the pod's deno and keeps its state.
      assertEquals(text(await c.run("javascript", "let k = 5;\nk * 2")), "10\n");
      assertEquals(text(await c.run("typescript", "const m: number = k + 1;\nm")), "6\n");
      const stopped = text(
        await c.run("python", "import time\nwhile True: time.sleep(0.1)", { timeout: 2 }),
      );
      assertStringIncludes(stopped, "KeyboardInterrupt");
      assertEquals(text(await c.run("python", "print(x)")), "6\n", "state survives the interrupt");
      assert(c.notes.some((n) => n.includes("no host folders are mounted in pods")));
      assertEquals(standin.pods().length, 1);
    } finally {
      await c.terminate();
    }
    assertEquals(standin.pods(), [], "terminate deleted the pod");
    // What the cluster was asked for: no API credentials in the pod, the driver confined.
    // deno-lint-ignore no-explicit-any
    const manifest = standin.manifests[0] as any;
    assertEquals(manifest.spec.automountServiceAccountToken, false);
    assertEquals(manifest.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
    assertEquals(manifest.spec.containers[0].securityContext.capabilities.drop, ["ALL"]);
    assertEquals(manifest.metadata.annotations["io.interpreter.session"], "team:1");
    assert(standin.protocols.every((p) => p.includes("v5.channel.k8s.io")));
    // A wrong token is refused with the API's answer (the control: the right one worked).
    const wrong = new ContainerComputer({
      engine: new KubeBackend({ ...access, token: "wrong" }),
      cwd: dir,
      dataDir: dir,
    });
    assertStringIncludes(text(await wrong.run("python", "print(1)")), "401");
    await wrong.terminate();
  } finally {
    await standin.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kubernetes (stand-in API): an attach that connects late (a loaded node) still gets the driver's answer", async () => {
  const engine = await startPodman();
  // The stand-in accepts the attach at once but attaches 2 s later: the driver's answer to a
  // ping written at once is printed before anyone reads, as with a real attach.
  const standin = startKubeStandIn(engine, { attachDelayMs: 2000 });
  const dir = await Deno.makeTempDir({ prefix: "oi-k8s-" });
  try {
    await Deno.writeTextFile(`${dir}/config`, kubeconfig(standin.url, standin.token));
    const c = new ContainerComputer({
      engine: new KubeBackend(await loadKubeconfig(`${dir}/config`)),
      cwd: dir,
      dataDir: dir,
      session: "late-attach",
    });
    try {
      assertEquals(text(await c.run("python", "print(6 * 7)")), "42\n");
      assertEquals(text(await c.run("python", "print(7 * 7)")), "49\n");
    } finally {
      await c.terminate();
    }
    assertEquals(standin.pods(), []);
  } finally {
    await standin.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kubeconfig: a context without a cluster, and exec plugins, are refused clearly", async () => {
  await assertRejects(
    () => parseKubeconfig("current-context: x\ncontexts: []\n"),
    Error,
    'no context named "x"',
  );
  const exec = kubeconfig("https://k", "t").replace("token: t", "exec: {command: aws}");
  await assertRejects(() => parseKubeconfig(exec), Error, "exec plugins");
});
