/**
 * A podman engine for the container tests: `podman system service` on a socket in a
 * temporary folder, with a containers.conf using runc and explicit ulimits (podman 4.3's
 * crun refuses this machine's cgroup layout), and the session image built once per machine
 * (lib/container/image.sh, cached in /var/cache/interpreter-image). Needs root, podman,
 * runc, iptables and debootstrap (.ci/run installs them).
 *
 * @module
 */

import { DEFAULT_IMAGE } from "../../lib/container/options.ts";

/** A running engine. */
export interface PodmanEngine {
  /** `unix:///…/podman.sock`. */
  address: string;
  /** The environment for `podman` CLI calls against the same storage and settings. */
  env: Record<string, string>;
  /** Runs the podman CLI; resolves to its stdout. */
  podman(...args: string[]): Promise<string>;
  /** Stops the service and removes its folder. */
  stop(): Promise<void>;
}

const CONF = `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
`;

/** The image the tests use (the program's default, lib/container/options.ts). */
export const TEST_IMAGE = DEFAULT_IMAGE;

const root = new URL("../..", import.meta.url).pathname;

/** Starts the service and makes sure the image exists (built or imported when missing). */
export async function startPodman(): Promise<PodmanEngine> {
  const dir = await Deno.makeTempDir({ prefix: "oi-podman-" });
  await Deno.writeTextFile(`${dir}/containers.conf`, CONF);
  const env = { ...Deno.env.toObject(), CONTAINERS_CONF: `${dir}/containers.conf` };
  const podman = async (...args: string[]): Promise<string> => {
    const out = await new Deno.Command("podman", { args, env, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`podman ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout);
  };
  const build = await new Deno.Command(`${root}lib/container/image.sh`, {
    args: [TEST_IMAGE],
    // The image gets this deno (JavaScript sessions in the box).
    env: { ...env, DENO: Deno.execPath() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!build.success) {
    throw new Error(`building the session image failed: ${new TextDecoder().decode(build.stderr)}`);
  }
  const socket = `${dir}/podman.sock`;
  const service = new Deno.Command("podman", {
    args: ["system", "service", "--time=0", `unix://${socket}`],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ transport: "unix", path: socket })).close();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    address: `unix://${socket}`,
    env,
    podman,
    stop: async () => {
      try {
        service.kill("SIGTERM");
      } catch {
        // gone
      }
      await service.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A working folder the container's user (uid 1000) may write. */
export async function containerWorkspace(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "oi-container-work-" });
  await Deno.chown(dir, 1000, 1000);
  return dir;
}

/**
 * Removes the boxes of the named server instances (a killed instance leaves its boxes for a
 * takeover by design; a test removes its own at the end).
 */
export async function removeInstanceBoxes(engine: PodmanEngine, names: string[]): Promise<void> {
  const ids: string[] = [];
  for (const name of names) {
    const found = await engine.podman(
      "ps",
      "-a",
      "-q",
      "--filter",
      `label=io.interpreter.instance=${name}`,
    ).catch(() => "");
    ids.push(...found.split("\n").filter(Boolean));
  }
  if (ids.length) await engine.podman("rm", "-f", ...ids).catch(() => {});
}
