/**
 * The Kubernetes backend: a pod per session through the Kubernetes API, configured by a
 * kubeconfig (kubeconfig.ts). The driver's output comes over `attach`, the forwarder and
 * interrupts go over `exec`, both on the `v5.channel.k8s.io` WebSocket protocol (each binary
 * message is a channel byte, 0 stdin, 1 stdout, 2 stderr, 3 status, then the data; v5 adds
 * channel 255 to close a stream). The pod never gets API credentials
 * (`automountServiceAccountToken: false`). Tested only against a stand-in API server
 * (tests/helpers/k8s_standin.ts): no cluster runs where this was built.
 *
 * @module
 */

import type { BoxInfo, BoxInput, BoxOutput, LaunchedBox, SessionBackend } from "./backend.ts";
import type { BoxSpec } from "./confine.ts";
import { FORWARDER_CMD } from "./driver_py.ts";
import type { KubeAccess } from "./kubeconfig.ts";

/** The WebSocket subprotocol spoken for exec and attach. */
const K8S_CHANNEL_PROTOCOL = "v5.channel.k8s.io";
/** Milliseconds a pod may take to be running. */
const POD_START_TIMEOUT_MS = 120_000;
/** Milliseconds an API call may take. */
const K8S_CALL_TIMEOUT_MS = 30_000;
const MANAGED_BY = "app.kubernetes.io/managed-by";

/** Turns a box into a pod manifest. */
function podManifest(spec: BoxSpec): Record<string, unknown> {
  const [uid, gid] = spec.user.split(":").map(Number);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: "interpreter-session-",
      labels: { [MANAGED_BY]: "interpreter" },
      // Session ids may hold characters label values may not: annotations carry them.
      annotations: spec.labels,
    },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsUser: uid, runAsGroup: gid ?? uid, runAsNonRoot: true },
      containers: [{
        name: "session",
        image: spec.image,
        command: spec.cmd,
        env: Object.entries(spec.env).map(([name, value]) => ({ name, value })),
        workingDir: "/tmp",
        stdin: false,
        tty: false,
        securityContext: {
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        },
        resources: { limits: { memory: String(spec.memory) } },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, { name: "oi", mountPath: "/run/oi" }],
      }],
      volumes: [
        { name: "tmp", emptyDir: { sizeLimit: "512Mi" } },
        { name: "oi", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
      ],
    },
  };
}

/** Sessions in pods. */
export class KubeBackend implements SessionBackend {
  /** Always `kubernetes`. */
  readonly kind = "kubernetes";
  /** What the flags mean for pods. */
  readonly notes: string[] = [
    "kubernetes: no host folders are mounted in pods; the network is the cluster's (use a NetworkPolicy)",
  ];
  /** Pods run elsewhere: no host folder is bound. */
  readonly localHost = false;
  readonly #access: KubeAccess;
  readonly #http: Deno.HttpClient;

  /** A backend for the cluster `access` describes. */
  constructor(access: KubeAccess) {
    this.#access = access;
    this.#http = Deno.createHttpClient({
      caCerts: access.caCert ? [access.caCert] : undefined,
      ...(access.cert && access.key ? { cert: access.cert, key: access.key } : {}),
    });
  }

  #podPath(name = ""): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.#access.namespace)}/pods${
      name ? `/${encodeURIComponent(name)}` : ""
    }`;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.#access.server + path, {
        method,
        client: this.#http,
        signal: AbortSignal.timeout(K8S_CALL_TIMEOUT_MS),
        headers: {
          ...(this.#access.token ? { authorization: `Bearer ${this.#access.token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(`Kubernetes API unreachable: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.trim();
      try {
        message = JSON.parse(text).message ?? message;
      } catch { /* not JSON */ }
      throw new Error(`Kubernetes ${method} ${path}: ${response.status} ${message}`);
    }
    return text ? JSON.parse(text) : null;
  }

  #socket(path: string): WebSocket {
    const url = this.#access.server.replace(/^http/, "ws") + path;
    // Deno's WebSocket takes headers (the bearer token) and the HTTP client (the CA and
    // client certificate of the kubeconfig, for wss).
    const ws = new WebSocket(url, {
      client: this.#http,
      protocols: [K8S_CHANNEL_PROTOCOL],
      headers: this.#access.token ? { authorization: `Bearer ${this.#access.token}` } : {},
    });
    ws.binaryType = "arraybuffer";
    return ws;
  }

  async launch(spec: BoxSpec): Promise<LaunchedBox> {
    const pod = await this.#call("POST", this.#podPath(), podManifest(spec)) as {
      metadata: { name: string };
    };
    const name = pod.metadata.name;
    const deadline = Date.now() + POD_START_TIMEOUT_MS;
    while (true) {
      const info = await this.#call("GET", this.#podPath(name)) as {
        status?: { phase?: string };
      };
      const phase = info.status?.phase;
      if (phase === "Running") return { id: name };
      if (phase === "Failed" || phase === "Succeeded" || Date.now() > deadline) {
        await this.remove(name);
        throw new Error(`pod ${name} did not start (phase ${phase ?? "unknown"})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async attach(name: string): Promise<BoxOutput> {
    const ws = this.#socket(
      `${this.#podPath(name)}/attach?container=session&stdout=true&stderr=true`,
    );
    await opened(ws);
    return { chunks: channelOutput(ws), close: () => ws.close() };
  }

  async openInput(name: string): Promise<BoxInput> {
    const ws = this.#socket(`${this.#podPath(name)}/exec?${execQuery(FORWARDER_CMD, true)}`);
    await opened(ws);
    return {
      write: (bytes) => {
        if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("exec closed"));
        const message = new Uint8Array(bytes.length + 1);
        message.set(bytes, 1); // channel 0: stdin
        ws.send(message);
        return Promise.resolve();
      },
      close: () => ws.close(),
    };
  }

  async interrupt(name: string): Promise<void> {
    const cmd = ["/usr/bin/python3", "-c", "import os, signal; os.kill(1, signal.SIGINT)"];
    const ws = this.#socket(`${this.#podPath(name)}/exec?${execQuery(cmd, false)}`);
    await opened(ws);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.close();
        resolve();
      }, K8S_CALL_TIMEOUT_MS);
      ws.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async inspect(name: string): Promise<BoxInfo | null> {
    const pod = await this.#call("GET", this.#podPath(name)).catch(() => null) as {
      metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> };
      spec?: { containers?: { command?: string[] }[] };
      status?: { phase?: string };
    } | null;
    if (!pod || pod.metadata?.labels?.[MANAGED_BY] !== "interpreter") return null;
    return {
      running: pod.status?.phase === "Running",
      cmd: pod.spec?.containers?.[0]?.command ?? [],
      labels: pod.metadata?.annotations ?? {},
    };
  }

  async remove(name: string): Promise<void> {
    await this.#call("DELETE", `${this.#podPath(name)}?gracePeriodSeconds=0`).catch(() => {});
  }

  close(): void {
    this.#http.close();
  }
}

function execQuery(cmd: string[], stdin: boolean): string {
  const q = new URLSearchParams({ container: "session", stdout: "true", stderr: "true" });
  if (stdin) q.set("stdin", "true");
  for (const part of cmd) q.append("command", part);
  return q.toString();
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error("the Kubernetes API did not open the stream in time"));
    }, K8S_CALL_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(timer);
      if (ws.protocol !== K8S_CHANNEL_PROTOCOL) {
        ws.close();
        reject(new Error(`the API server did not speak ${K8S_CHANNEL_PROTOCOL}`));
      } else resolve();
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error("the Kubernetes API refused the stream"));
    };
  });
}

/** The stdout and stderr channels of a stream, as bytes, until it closes. */
async function* channelOutput(ws: WebSocket): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  ws.onmessage = (event) => {
    const data = new Uint8Array(event.data as ArrayBuffer);
    if (data.length > 1 && (data[0] === 1 || data[0] === 2)) queue.push(data.subarray(1));
    wake?.();
  };
  ws.onclose = () => {
    closed = true;
    wake?.();
  };
  while (true) {
    if (queue.length) {
      yield queue.shift()!;
      continue;
    }
    if (closed) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}
