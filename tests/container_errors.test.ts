/**
 * What a person sees when a container session cannot start: an engine that is not running
 * (the address and how to start it), and an image the engine does not have (how to build it).
 * The control for the second: the same computer with the built image runs the code.
 */
import { ContainerComputer } from "../lib/container/computer.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { containerWorkspace, startPodman, TEST_IMAGE } from "./helpers/podman.ts";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";

Deno.test("container: an engine that is not running is named, with how to start it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oi-container-noengine-" });
  const c = new ContainerComputer({
    engine: `unix://${dir}/podman.sock`,
    cwd: dir,
    dataDir: dir,
    permissions: defaultPermissions({ cwd: dir }),
  });
  try {
    const out = textOf(await c.run("python", "print(1)"));
    assertStringIncludes(out, `the container engine at unix://${dir}/podman.sock is unreachable`);
    assertStringIncludes(out, "podman system service --time=0");
    assertStringIncludes(out, "--container_engine or DOCKER_HOST");
  } finally {
    await c.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("container: an image the engine lacks says how to build it; the built image is the control", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const make = (image: string) =>
    new ContainerComputer({
      engine: engine.address,
      image,
      cwd: work,
      dataDir: data,
      permissions: defaultPermissions({ cwd: work }),
      instance: "errors-test",
    });
  const missing = make("interpreter-session:no-such-tag");
  const built = make(TEST_IMAGE);
  try {
    const out = textOf(await missing.run("python", "print(1)"));
    assertStringIncludes(
      out,
      "the image interpreter-session:no-such-tag is not on the container engine: build it with `deno task image`",
    );
    assertEquals(textOf(await built.run("python", "print(1)")), "1\n");
  } finally {
    await missing.terminate();
    await built.terminate();
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
