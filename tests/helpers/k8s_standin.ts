/**
 * A stand-in Kubernetes API server for the k8s tests (no cluster runs here): real HTTP and
 * real WebSockets on 127.0.0.1, the pod routes the Kubernetes backend uses, with a real
 * podman container behind each pod (the "kubelet"). It checks the bearer token, speaks the
 * `v5.channel.k8s.io` subprotocol for attach and exec (a channel byte before the data;
 * channel 3 carries the exec's status), and records the manifests it was sent.
 *
 * Supported: POST/GET/DELETE `/api/v1/namespaces/{ns}/pods[/{name}]`, GET `…/{name}/attach`
 * and `…/{name}/exec` (WebSocket upgrades). Everything else answers 404.
 *
 * @module
 */

import type { PodmanEngine } from "./podman.ts";

/** A running stand-in. */
export interface KubeStandIn {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The token it requires. */
  token: string;
  /** Pod manifests received (POST bodies). */
  manifests: Record<string, unknown>[];
  /** Subprotocols clients asked for on exec/attach. */
  protocols: string[];
  /** Names of pods that exist now. */
  pods(): string[];
  /** Removes every pod and stops. */
  close(): Promise<void>;
}

interface Pod {
  name: string;
  namespace: string;
  manifest: Record<string, unknown>;
  phase: string;
}

/** Options of {@linkcode startKubeStandIn}. */
export interface KubeStandInOptions {
  /** The bearer token it requires (default `standin-token`). */
  token?: string;
  /**
   * Milliseconds between accepting an attach and really attaching to the container (as a
   * loaded node would take): what the container prints meanwhile is not seen by that attach,
   * as with a real attach. Default 0.
   */
  attachDelayMs?: number;
}

/** Starts the stand-in; pods run as containers on `engine`. */
export function startKubeStandIn(
  engine: PodmanEngine,
  options: KubeStandInOptions = {},
): KubeStandIn {
  const token = options.token ?? "standin-token";
  const pods = new Map<string, Pod>();
  const manifests: Record<string, unknown>[] = [];
  const protocols: string[] = [];
  const children = new Set<Deno.ChildProcess>();
  let counter = 0;

  const spawn = (args: string[], stdin: "piped" | "null"): Deno.ChildProcess => {
    const child = new Deno.Command("podman", {
      args,
      env: engine.env,
      stdin,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.add(child);
    child.status.finally(() => children.delete(child));
    return child;
  };

  // deno-lint-ignore no-explicit-any
  async function startPod(pod: Pod, spec: any): Promise<void> {
    const c = spec.containers[0];
    const args = ["run", "-d", "--name", pod.name, "--read-only", "--cap-drop", "ALL"];
    args.push("--security-opt", "no-new-privileges", "--network", "none");
    args.push("--user", `${spec.securityContext.runAsUser}:${spec.securityContext.runAsGroup}`);
    args.push("--tmpfs", "/tmp:rw,mode=1777", "--tmpfs", "/run/oi:rw,mode=1777");
    for (const e of c.env ?? []) args.push("-e", `${e.name}=${e.value}`);
    args.push(
      "-w",
      c.workingDir ?? "/tmp",
      "--entrypoint",
      c.command[0],
      c.image,
      ...c.command.slice(1),
    );
    const out = await spawn(args, "null").output();
    pod.phase = out.success ? "Running" : "Failed";
  }

  function podObject(pod: Pod): Record<string, unknown> {
    // deno-lint-ignore no-explicit-any
    const m = pod.manifest as any;
    return {
      ...m,
      metadata: { ...m.metadata, name: pod.name, namespace: pod.namespace },
      status: { phase: pod.phase },
    };
  }

  function stream(
    request: Request,
    pod: Pod,
    cmd: string[],
    options: { stdin: boolean; delayMs?: number },
  ): Response {
    if (pod.phase !== "Running") {
      return Response.json({ message: `pod ${pod.name} is ${pod.phase}` }, { status: 409 });
    }
    const asked = request.headers.get("sec-websocket-protocol") ?? "";
    protocols.push(asked);
    if (!asked.split(",").map((p) => p.trim()).includes("v5.channel.k8s.io")) {
      return new Response("v5.channel.k8s.io required", { status: 400 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: "v5.channel.k8s.io" });
    socket.binaryType = "arraybuffer";
    const withStdin = options.stdin;
    let closed = false;
    const started = (async () => {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (closed) return undefined;
      return spawn(cmd, withStdin ? "piped" : "null");
    })();
    const writer = started.then((child) => withStdin ? child?.stdin.getWriter() : undefined);
    const pumps: Promise<void>[] = [];
    socket.onopen = async () => {
      const child = await started;
      if (!child) return;
      for (const [channel, readable] of [[1, child.stdout], [2, child.stderr]] as const) {
        pumps.push(
          (async () => {
            for await (const chunk of readable) {
              if (socket.readyState !== WebSocket.OPEN) continue;
              const message = new Uint8Array(chunk.length + 1);
              message[0] = channel;
              message.set(chunk, 1);
              socket.send(message);
            }
          })().catch(() => {}),
        );
      }
      child.status.then(async (status) => {
        await Promise.all(pumps);
        if (socket.readyState === WebSocket.OPEN) {
          const body = JSON.stringify({ status: status.success ? "Success" : "Failure" });
          socket.send(new Uint8Array([3, ...new TextEncoder().encode(body)]));
          socket.close();
        }
      });
    };
    socket.onmessage = async (event) => {
      const data = new Uint8Array(event.data as ArrayBuffer);
      const input = await writer;
      if (data[0] === 0 && input) input.write(data.slice(1)).catch(() => {});
      if (data[0] === 255 && data[1] === 0) input?.close().catch(() => {});
    };
    socket.onclose = async () => {
      closed = true;
      const child = await started;
      try {
        child?.kill("SIGKILL");
      } catch { /* ended */ }
    };
    return response;
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    if (request.headers.get("authorization") !== `Bearer ${token}`) {
      return Response.json({ kind: "Status", message: "Unauthorized" }, { status: 401 });
    }
    const url = new URL(request.url);
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)(?:\/(attach|exec))?)?$/
      .exec(url.pathname);
    if (!match) return Response.json({ message: "not found" }, { status: 404 });
    const [, namespace, name, sub] = match;
    if (!name && request.method === "POST") {
      // deno-lint-ignore no-explicit-any
      const manifest = await request.json() as any;
      manifests.push(manifest);
      const pod: Pod = {
        name: `${manifest.metadata.generateName ?? "pod-"}${++counter}${
          crypto.randomUUID().slice(0, 5)
        }`,
        namespace,
        manifest,
        phase: "Pending",
      };
      pods.set(pod.name, pod);
      startPod(pod, manifest.spec).catch(() => (pod.phase = "Failed"));
      return Response.json(podObject(pod), { status: 201 });
    }
    const pod = name ? pods.get(decodeURIComponent(name)) : undefined;
    if (!pod) return Response.json({ message: `pods "${name}" not found` }, { status: 404 });
    if (!sub && request.method === "GET") return Response.json(podObject(pod));
    if (!sub && request.method === "DELETE") {
      pods.delete(pod.name);
      await spawn(["rm", "-f", pod.name], "null").output();
      return Response.json(podObject(pod));
    }
    if (sub === "attach") {
      return stream(request, pod, ["attach", "--no-stdin", pod.name], {
        stdin: false,
        delayMs: options.attachDelayMs,
      });
    }
    if (sub === "exec") {
      const cmd = url.searchParams.getAll("command");
      const withStdin = url.searchParams.get("stdin") === "true";
      return stream(
        request,
        pod,
        ["exec", ...(withStdin ? ["-i"] : []), pod.name, ...cmd],
        { stdin: withStdin },
      );
    }
    return Response.json({ message: "method not allowed" }, { status: 405 });
  });

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    manifests,
    protocols,
    pods: () => [...pods.keys()],
    close: async () => {
      for (const pod of pods.values()) await spawn(["rm", "-f", pod.name], "null").output();
      pods.clear();
      for (const child of children) {
        try {
          child.kill("SIGKILL");
        } catch { /* ended */ }
      }
      await server.shutdown();
    },
  };
}
