/**
 * Container computers for the tests: one on a given engine (podman or Docker), for a
 * workspace and a data folder, and a podman engine with a fresh workspace for one test.
 *
 * @module
 */

import { ContainerComputer } from "../../lib/container/computer.ts";
import { defaultPermissions } from "../../lib/sandbox/defaults.ts";
import type { Permissions } from "../../lib/sandbox/permissions.ts";
import { containerWorkspace, type PodmanEngine, startPodman } from "./podman.ts";

/** A computer on `engine` for `work` (default permissions unless given), instance `test`. */
export function testComputer(
  engine: { address: string },
  work: string,
  data: string,
  permissions: Permissions = defaultPermissions({ cwd: work }),
  extra: Partial<ConstructorParameters<typeof ContainerComputer>[0]> = {},
): ContainerComputer {
  return new ContainerComputer({
    engine: engine.address,
    cwd: work,
    dataDir: data,
    permissions,
    instance: "test",
    ...extra,
  });
}

/** Runs `fn` with a podman engine, a workspace the box's user may write, and a data folder. */
export async function withPodman(
  fn: (engine: PodmanEngine, work: string, data: string) => Promise<void>,
): Promise<void> {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  try {
    await fn(engine, work, data);
  } finally {
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
}
