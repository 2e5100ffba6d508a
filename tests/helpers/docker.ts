/**
 * A private Docker Engine for the container tests: Debian's `dockerd` (20.10) on a socket in
 * a temporary folder, with its own data root, exec root, pid file and the containerd it
 * starts itself (its socket under the exec root), an empty daemon.json (the machine's own
 * /etc/docker is not read), and a bridge of its own (`oi-d…`, made here and removed at
 * stop, so a system dockerd's docker0 is never touched). No iptables rules are written
 * (`--iptables=false`): boxes reach the host through the bridge's address, and the
 * machine's firewall (podman's rules included) stays as it was. The session image is
 * imported from the rootfs lib/container/image.sh caches in /var/cache/interpreter-image
 * (`ENGINE=docker image.sh`, which builds it once when missing). Needs root, docker.io
 * (dockerd, containerd, the docker CLI), runc, iproute2 and debootstrap (.ci/run installs them).
 *
 * @module
 */

import { DEFAULT_IMAGE } from "../../lib/container/options.ts";
import { EngineClient, parseEngineAddress } from "../../lib/container/engine.ts";
import { makeCertificates } from "./test_certificates.ts";

/** The image the tests use (the program's default, lib/container/options.ts). */
export const TEST_IMAGE = DEFAULT_IMAGE;

/** Milliseconds dockerd may take to answer `/_ping` after it is started. */
const DOCKERD_START_MS = 60_000;
/** Milliseconds dockerd may take to exit after SIGTERM before its processes are killed. */
const DOCKERD_STOP_MS = 20_000;
/** Milliseconds image.sh may take (a debootstrap build when the cache is empty, then import). */
const IMAGE_BUILD_MS = 600_000;

/** A running private engine. */
export interface DockerEngine {
  /** `unix:///…/docker.sock`. */
  address: string;
  /** The engine's folder (socket, data root, exec root). */
  dir: string;
  /** The bridge's address on the host: a box with the network on reaches the host here. */
  gateway: string;
  /**
   * With `tls`: `tcp://127.0.0.1:PORT`, where dockerd also listens with `--tlsverify` (a
   * client must show a certificate of the test CA), and the client's folder in the docker
   * CLI's layout (`DOCKER_CERT_PATH`: ca.pem, cert.pem, key.pem).
   */
  tls?: { address: string; certPath: string };
  /** The engine's version (`/version`). */
  version: string;
  /** Calls the Engine API (JSON in and out). */
  call(method: string, path: string, body?: unknown): Promise<unknown>;
  /** The command lines of the processes running in a container (`/containers/{id}/top`). */
  processes(id: string): Promise<string[]>;
  /** Removes every container, stops dockerd (its processes killed after a bound), cleans up. */
  stop(): Promise<void>;
}

const root = new URL("../..", import.meta.url).pathname;

async function run(
  cmd: string,
  args: string[],
  options: Deno.CommandOptions = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...options })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function tail(path: string, lines = 15): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trim().split("\n").slice(-lines).join("\n");
}

/**
 * The processes whose command line names `dir`, and those whose parent chain leads to one of
 * them or to `pid` (when given: a dockerd that has exited and been reaped is not, its pid may
 * be another process's by now).
 */
function processesOf(pid: number | undefined, dir: string): number[] {
  const parents = new Map<number, number>();
  const named: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry.name), ppid);
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(dir)) named.push(Number(entry.name));
    } catch {
      // gone
    }
  }
  const found = new Set<number>(pid === undefined ? named : [pid, ...named]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of parents) {
      if (!found.has(child) && found.has(parent)) {
        found.add(child);
        grew = true;
      }
    }
  }
  return [...found].filter((p) => parents.has(p));
}

/** Lazily unmounts whatever dockerd left mounted under `dir` (deepest first). */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point) => point && (point === dir || point.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await run("umount", ["-l", point]).catch(() => {});
}

/**
 * The gateway of a /24 in 172.29-31.x.0 that no interface of this machine uses now (engines
 * of test files running side by side each get their own).
 */
async function freeSubnetGateway(): Promise<string> {
  const used = await run("ip", ["-o", "-4", "address", "show"]);
  for (let i = 0; i < 100; i++) {
    const [a, b] = crypto.getRandomValues(new Uint8Array(2));
    const prefix = `172.${29 + (a % 3)}.${b}.`;
    if (!used.includes(` ${prefix}`)) return `${prefix}1`;
  }
  throw new Error("no free 172.29-31.x.0/24 subnet for the test dockerd's bridge");
}

/** A TCP port free on 127.0.0.1 now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts a private dockerd and imports the session image into it; with `tls`, dockerd also
 * listens on a loopback TCP port with mutual TLS.
 */
export async function startDocker(options: { tls?: boolean } = {}): Promise<DockerEngine> {
  const dir = await Deno.makeTempDir({ prefix: "oi-docker-" });
  const suffix = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const bridge = `oi-d${suffix}`;
  const gateway = await freeSubnetGateway();
  const socket = `${dir}/docker.sock`;
  await Deno.writeTextFile(`${dir}/daemon.json`, "{}\n");
  await run("ip", ["link", "add", "name", bridge, "type", "bridge"]);
  let daemon: Deno.ChildProcess | undefined;
  let client: EngineClient | undefined;
  const stop = async (): Promise<void> => {
    if (client) {
      // Every container first, so dockerd leaves no shim or mount behind.
      const all = await client.call("GET", "/containers/json?all=1").catch(() => []) as {
        Id: string;
      }[];
      for (const c of all ?? []) {
        await client.call("DELETE", `/containers/${c.Id}?force=1&v=1`).catch(() => {});
      }
      client.close();
      client = undefined;
    }
    if (daemon) {
      const child = daemon;
      daemon = undefined;
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<boolean>((
          resolve,
        ) => (timer = setTimeout(() => resolve(false), DOCKERD_STOP_MS))),
      ]);
      clearTimeout(timer);
      // What is left of its tree (containerd, shims) is killed; so is dockerd if it hung.
      for (const pid of processesOf(exited ? undefined : child.pid, dir)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      if (!exited) await child.status;
    }
    await unmountUnder(dir);
    await run("ip", ["link", "delete", bridge]).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    let tls: DockerEngine["tls"];
    const tlsArgs: string[] = [];
    if (options.tls) {
      const certs = `${dir}/certs`;
      await Deno.mkdir(certs);
      await makeCertificates(certs);
      const port = freePort();
      tls = { address: `tcp://127.0.0.1:${port}`, certPath: `${certs}/client` };
      tlsArgs.push(
        `--host=tcp://127.0.0.1:${port}`,
        "--tlsverify",
        `--tlscacert=${certs}/ca.pem`,
        `--tlscert=${certs}/server.pem`,
        `--tlskey=${certs}/server.key`,
      );
    }
    // dockerd takes the subnet from the bridge's address (`--bip` cannot go with `--bridge`).
    await run("ip", ["address", "add", `${gateway}/24`, "dev", bridge]);
    await run("ip", ["link", "set", bridge, "up"]);
    daemon = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'exec dockerd "$@" >"$OI_DOCKERD_LOG" 2>&1',
        "dockerd",
        `--host=unix://${socket}`,
        `--data-root=${dir}/data`,
        `--exec-root=${dir}/exec`,
        `--pidfile=${dir}/docker.pid`,
        `--config-file=${dir}/daemon.json`,
        `--bridge=${bridge}`,
        "--iptables=false",
        "--ip-masq=false",
        "--log-level=warn",
        ...tlsArgs,
      ],
      env: { OI_DOCKERD_LOG: `${dir}/dockerd.log` },
      clearEnv: false,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const address = `unix://${socket}`;
    client = new EngineClient(parseEngineAddress(address));
    const deadline = Date.now() + DOCKERD_START_MS;
    let exited = false;
    daemon.status.then(() => (exited = true));
    while (true) {
      if (exited) throw new Error(`dockerd exited:\n${await tail(`${dir}/dockerd.log`)}`);
      const up = await Deno.stat(socket).then(() => client!.call("GET", "/_ping"), () => null)
        .then((answer) => answer === "OK", () => false);
      if (up) break;
      if (Date.now() > deadline) {
        throw new Error(
          `dockerd did not answer in ${DOCKERD_START_MS} ms:\n${await tail(`${dir}/dockerd.log`)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const version = (await client.call("GET", "/version") as { Version: string }).Version;
    const env = {
      ...Deno.env.toObject(),
      ENGINE: "docker",
      DOCKER_HOST: address,
      DENO: Deno.execPath(),
    };
    await run(`${root}lib/container/image.sh`, [TEST_IMAGE], {
      env,
      signal: AbortSignal.timeout(IMAGE_BUILD_MS),
    }).catch((error) => {
      throw new Error(`loading the session image into dockerd failed: ${error.message}`);
    });
    const engine = client;
    return {
      address,
      dir,
      gateway,
      tls,
      version,
      call: (method, path, body) => engine.call(method, path, body),
      processes: async (id) => {
        const top = await engine.call("GET", `/containers/${id}/top?ps_args=-eo%20pid,args`) as {
          Processes?: string[][];
        };
        // Docker runs ps on the host and keeps the container's rows (it needs the PID column).
        return (top.Processes ?? []).map((row) => row.slice(1).join(" "));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
