/**
 * Reads a kubeconfig (the file `kubectl` uses): the current context's cluster address, CA,
 * and the user's bearer token or client certificate, and the namespace. Inline `*-data`
 * fields and file paths are both read. Exec plugins and auth providers are not supported
 * (a clear error says so).
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";

/** What a Kubernetes client needs to talk to the API server. */
export interface KubeAccess {
  /** The API server, e.g. `https://10.0.0.1:6443`. */
  server: string;
  /** Namespace for session pods (the context's, else `default`). */
  namespace: string;
  /** Bearer token. */
  token?: string;
  /** PEM CA certificate of the API server. */
  caCert?: string;
  /** PEM client certificate and key. */
  cert?: string;
  /** PEM client key. */
  key?: string;
}

type Named<T> = { name: string } & T;

function decode(b64: unknown): string | undefined {
  return typeof b64 === "string"
    ? new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))
    : undefined;
}

/** Parses kubeconfig text (`path` resolves relative file names). */
export async function parseKubeconfig(text: string, path = "kubeconfig"): Promise<KubeAccess> {
  const { parse } = await import("npm:yaml@^2.9.1");
  // deno-lint-ignore no-explicit-any
  const doc = parse(text) as any;
  const fail = (why: string): never => {
    throw new Error(`kubeconfig ${path}: ${why}`);
  };
  if (!doc || typeof doc !== "object") fail("not a kubeconfig (YAML mapping expected)");
  const contextName = doc["current-context"] ?? fail("no current-context");
  // deno-lint-ignore no-explicit-any
  const find = <T>(list: any, name: string, what: string): T =>
    (Array.isArray(list) ? list : []).find((e: Named<T>) => e?.name === name)?.[what] ??
      fail(`no ${what} named ${JSON.stringify(name)}`);
  // deno-lint-ignore no-explicit-any
  const context = find<any>(doc.contexts, contextName, "context");
  // deno-lint-ignore no-explicit-any
  const cluster = find<any>(doc.clusters, context.cluster, "cluster");
  // deno-lint-ignore no-explicit-any
  const user = context.user ? find<any>(doc.users, context.user, "user") : {};
  if (user.exec || user["auth-provider"]) {
    fail("exec plugins and auth providers are not supported: use a token or a client certificate");
  }
  const file = (name: unknown): string | undefined => {
    if (typeof name !== "string") return undefined;
    return Deno.readTextFileSync(isAbsolute(name) ? name : join(dirname(path), name));
  };
  const server = typeof cluster.server === "string"
    ? cluster.server
    : fail("cluster has no server");
  return {
    server: server.replace(/\/+$/, ""),
    namespace: typeof context.namespace === "string" ? context.namespace : "default",
    token: typeof user.token === "string" ? user.token : file(user.tokenFile)?.trim(),
    caCert: decode(cluster["certificate-authority-data"]) ?? file(cluster["certificate-authority"]),
    cert: decode(user["client-certificate-data"]) ?? file(user["client-certificate"]),
    key: decode(user["client-key-data"]) ?? file(user["client-key"]),
  };
}

/** Reads the kubeconfig at `path` (default `KUBECONFIG`, else `~/.kube/config`). */
export async function loadKubeconfig(path?: string): Promise<KubeAccess> {
  const file = path ?? Deno.env.get("KUBECONFIG")?.split(":")[0] ??
    join(Deno.env.get("HOME") ?? "/", ".kube", "config");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new Error(`cannot read the kubeconfig ${file}: ${(error as Error).message}`);
  }
  return await parseKubeconfig(text, file);
}
