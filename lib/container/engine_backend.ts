/**
 * The Engine API backend (Docker, or `podman system service`): a container per session.
 *
 * @module
 */

import type {
  BoxInfo,
  BoxInput,
  BoxOutput,
  LaunchedBox,
  ListedBox,
  SessionBackend,
} from "./backend.ts";
import { type BoxSpec, engineCreateBody } from "./confine.ts";
import { FORWARDER_CMD } from "./driver_py.ts";
import { refuseEngineSocket } from "./protect.ts";
import { type EngineAddress, EngineClient, type HijackedStream } from "./engine.ts";

/** A box's network mode when its network is on. */
type NetworkMode = "bridge" | "slirp4netns";

/**
 * The network mode per engine address, found once: podman's `slirp4netns` (a user-mode
 * network stack for the box's own namespace, host loopback refused) sets up in a fraction
 * of the time of a bridge (veth, address and firewall rules per box); Docker has no such
 * mode, so it keeps `bridge`.
 */
const networkModes = new Map<string, Promise<NetworkMode>>();

function addressKey(address: EngineAddress): string {
  return address.transport === "unix"
    ? `unix:${address.path}`
    : `tcp:${address.hostname}:${address.port}`;
}

async function* payloads(stream: HijackedStream): AsyncGenerator<Uint8Array> {
  for await (const frame of stream.frames) yield frame.data;
}

/** Sessions in containers on a Docker-API engine. */
export class EngineBackend implements SessionBackend {
  /** Always `docker` (podman serves the same API). */
  readonly kind = "docker";
  /** Nothing particular to note. */
  readonly notes: string[] = [];
  /** True for an engine on a unix socket (this machine). */
  readonly localHost: boolean;
  readonly #engine: EngineClient;
  readonly #key: string;
  readonly #socket: string | undefined;

  /** A backend on the engine at `address`. */
  constructor(address: EngineAddress) {
    this.#engine = new EngineClient(address);
    this.localHost = address.transport === "unix";
    this.#key = addressKey(address);
    this.#socket = address.transport === "unix" ? address.path : undefined;
  }

  /** The mode for a box with the network on (asked of the engine once per address). */
  #networkMode(): Promise<NetworkMode> {
    let mode = networkModes.get(this.#key);
    if (!mode) {
      mode = this.#engine.call("GET", "/version").then(
        (version) => {
          const components = (version as { Components?: { Name?: string }[] } | null)
            ?.Components ?? [];
          return components.some((c) => /podman/i.test(c.Name ?? ""))
            ? "slirp4netns" as const
            : "bridge" as const;
        },
        () => "bridge" as const,
      );
      networkModes.set(this.#key, mode);
    }
    return mode;
  }

  async launch(spec: BoxSpec): Promise<LaunchedBox> {
    // The engine's socket never reaches a box, whatever folder is granted.
    if (this.#socket) {
      refuseEngineSocket(this.#socket, [
        ...spec.writes,
        ...spec.reads,
        ...(spec.proxyDir ? [spec.proxyDir] : []),
      ]);
    }
    const mode = spec.network ? await this.#networkMode() : "bridge";
    try {
      return await this.#launch(spec, mode);
    } catch (error) {
      if (mode !== "slirp4netns" || !/slirp4netns/i.test((error as Error).message)) throw error;
      // A podman without slirp4netns: the bridge from now on.
      networkModes.set(this.#key, Promise.resolve("bridge"));
      return await this.#launch(spec, "bridge");
    }
  }

  async #launch(spec: BoxSpec, mode: NetworkMode): Promise<LaunchedBox> {
    // The container's stdin is open and attached with its output in one connection, made
    // before the start (nothing is missed, and no exec is needed for the first host).
    const body = {
      ...engineCreateBody(spec, mode),
      OpenStdin: true,
      StdinOnce: false,
      AttachStdin: true,
    };
    const query = spec.name ? `?name=${encodeURIComponent(spec.name)}` : "";
    const created = await this.#engine.call("POST", `/containers/create${query}`, body).catch(
      (error) => {
        if ((error as { status?: number }).status === 404 && /image/i.test(error.message)) {
          throw new Error(
            `the image ${spec.image} is not on the container engine: build it with \`deno task image\` (Docker: \`ENGINE=docker deno task image\`, DOCKER_HOST set when it is not /var/run/docker.sock), or name another with --container_image`,
          );
        }
        throw error;
      },
    ) as { Id: string };
    let stream: HijackedStream | undefined;
    try {
      stream = await this.#engine.hijack(
        `/containers/${created.Id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
      );
      await this.#engine.call("POST", `/containers/${created.Id}/start`);
    } catch (error) {
      stream?.close();
      await this.remove(created.Id);
      throw error;
    }
    const attached = stream;
    return {
      id: created.Id,
      output: { chunks: payloads(attached), close: () => attached.close() },
      input: { write: (bytes) => attached.write(bytes), close: () => attached.close() },
    };
  }

  async attach(id: string): Promise<BoxOutput> {
    const stream = await this.#engine.hijack(`/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
    return { chunks: payloads(stream), close: () => stream.close() };
  }

  async openInput(id: string): Promise<BoxInput> {
    const exec = await this.#engine.call("POST", `/containers/${id}/exec`, {
      Cmd: FORWARDER_CMD,
      AttachStdin: true,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
    }) as { Id: string };
    const stream = await this.#engine.hijack(`/exec/${exec.Id}/start`, {
      Detach: false,
      Tty: false,
    });
    // Drain what the engine sends back, so the connection never stalls.
    (async () => {
      try {
        for await (const _ of stream.frames) { /* nothing is expected */ }
      } catch { /* closed */ }
    })();
    return { write: (bytes) => stream.write(bytes), close: () => stream.close() };
  }

  async interrupt(id: string): Promise<void> {
    await this.#engine.call("POST", `/containers/${id}/kill?signal=SIGINT`);
  }

  async inspect(id: string): Promise<BoxInfo | null> {
    const info = await this.#engine.call("GET", `/containers/${id}/json`).catch(() => null) as
      | {
        Name?: string;
        State?: { Running?: boolean };
        Config?: { Cmd?: string[]; Labels?: Record<string, string> };
      }
      | null;
    if (!info) return null;
    return {
      running: info.State?.Running === true,
      cmd: info.Config?.Cmd ?? [],
      labels: info.Config?.Labels ?? {},
      name: (info.Name ?? "").replace(/^\//, ""),
    };
  }

  async claim(id: string, name: string): Promise<void> {
    await this.#engine.call("POST", `/containers/${id}/rename?name=${encodeURIComponent(name)}`);
  }

  async list(key: string): Promise<ListedBox[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [key] }));
    const found = await this.#engine.call("GET", `/containers/json?all=1&filters=${filters}`) as
      | { Id?: string; Names?: string[]; Labels?: Record<string, string> }[]
      | null;
    return (found ?? []).map((c) => ({
      id: c.Id ?? "",
      name: (c.Names?.[0] ?? "").replace(/^\//, ""),
      labels: c.Labels ?? {},
    })).filter((c) => c.id !== "");
  }

  async remove(id: string): Promise<void> {
    await this.#engine.call("DELETE", `/containers/${id}?force=1&v=1`).catch(() => {});
  }

  close(): void {
    this.#engine.close();
  }
}
