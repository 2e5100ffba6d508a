/**
 * `interpreter --computer podman` in a chat: the model's code runs in a container (the
 * control runs the same code on this machine), the container goes when the program ends,
 * and `--store` without `--server` is a usage error.
 */
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { containerWorkspace, startPodman } from "./helpers/podman.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const CODE = "print('in container:', 'libpod' in open('/proc/self/cgroup').read())";

Deno.test("chat with --computer podman runs the code in a container and removes it at exit; without it, on this machine", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const home = await Deno.makeTempDir({ prefix: "oi-container-cli-" });
  const script = () => [
    { toolCalls: [{ language: "python", code: CODE }] },
    { text: "Done." },
  ];
  const fake = startFakeOpenAI({ script: [...script(), ...script()] });
  try {
    const inContainer = await runCli([
      ...modelArgs(fake.url),
      "-y",
      "--computer",
      "podman",
      "--container_engine",
      engine.address,
      "check where you run",
    ], { home, cwd: work, timeoutMs: 120_000 });
    assertEquals(inContainer.code, 0, inContainer.stderr);
    assertStringIncludes(inContainer.stdout, "in container: True");
    const left = await engine.podman(
      "ps",
      "-a",
      "-q",
      "--filter",
      "label=io.interpreter.instance=cli",
    );
    assertEquals(left.trim(), "", "the chat's container was removed at exit");
    // The control: the same code on this machine (bubblewrap) is not in a container.
    const local = await runCli([...modelArgs(fake.url), "-y", "check where you run"], {
      home,
      cwd: home,
      timeoutMs: 120_000,
    });
    assertEquals(local.code, 0, local.stderr);
    assertStringIncludes(local.stdout, "in container: False");
  } finally {
    await fake.close();
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});

Deno.test("--store without --server is refused with exit 2 and one line", async () => {
  const home = await Deno.makeTempDir({ prefix: "oi-container-cli-" });
  try {
    const run = await runCli(["--store", "sqlite:/tmp/x.db", "hello"], { home });
    assertEquals(run.code, 2, run.stderr);
    assertStringIncludes(run.stderr, "--store is for --server");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a bad --container_engine or a missing kubeconfig is refused with exit 2 and one line", async () => {
  const home = await Deno.makeTempDir({ prefix: "oi-container-cli-" });
  try {
    const engine = await runCli(
      ["--computer", "podman", "--container_engine", "ftp://x", "hello"],
      { home },
    );
    assertEquals(engine.code, 2, engine.stderr);
    assertStringIncludes(engine.stderr, "use unix:///path/to/socket or tcp://host:port");
    const kube = await runCli(
      ["--computer", "kubernetes", "--kubeconfig", `${home}/missing`, "hello"],
      { home },
    );
    assertEquals(kube.code, 2, kube.stderr);
    assertStringIncludes(kube.stderr, "cannot read the kubeconfig");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
