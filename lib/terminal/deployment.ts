/**
 * The deployment settings (`--computer`, `--container-engine`, `--container-image`,
 * `--store`, `--instance-id`, `--lease-seconds`, or the profile's `deployment` section):
 * which computer each session gets (this machine, or a container on an engine) and which
 * conversation store the server shares with other instances. Loaded only when one is set.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Profile } from "../profiles/mod.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { ComputerLike } from "../computer/types.ts";
import type { SessionOrigin, StoreLink } from "../server/store_link.ts";

/** What the server (or a chat) uses from the deployment settings. */
export interface Deployment {
  /** Builds a session's computer (undefined: the local computer, as always). */
  computer?: (origin?: SessionOrigin) => ComputerLike;
  /** The store link (server only). */
  storeLink?: StoreLink;
  /** Start-up lines: what the permission flags mean in a container. */
  notes: string[];
  /** Removes what the deployment started itself (the server's pre-started boxes). */
  close?: () => Promise<void>;
}

/** The default engine address of a kind (when neither the flag nor DOCKER_HOST says). */
function defaultEngine(kind: string): string {
  const fromEnv = Deno.env.get("DOCKER_HOST");
  if (fromEnv) return fromEnv;
  return kind === "docker" ? "unix:///var/run/docker.sock" : "unix:///run/podman/podman.sock";
}

/**
 * Checks the deployment settings a chat uses before anything starts: the engine address, or
 * the kubeconfig. Resolves to one line saying what is wrong, or undefined.
 */
export async function checkDeployment(profile: Profile): Promise<string | undefined> {
  const d = (profile.deployment ?? {}) as Record<string, unknown>;
  const kind = typeof d.computer === "string" ? d.computer : "local";
  try {
    if (kind === "kubernetes") {
      const { loadKubeconfig } = await import("../container/kubeconfig.ts");
      await loadKubeconfig(typeof d.kubeconfig === "string" ? d.kubeconfig : undefined);
    } else if (kind !== "local") {
      const { parseEngineAddress } = await import("../container/engine.ts");
      parseEngineAddress(
        typeof d.container_engine === "string" ? d.container_engine : defaultEngine(kind),
      );
    }
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Reads the profile's deployment section; opens the store when one is named. */
export async function openDeployment(
  profile: Profile,
  permissions: Permissions | undefined,
  options: { server: boolean; secrets?: (string | undefined)[] },
): Promise<Deployment> {
  const d = (profile.deployment ?? {}) as Record<string, unknown>;
  const kind = typeof d.computer === "string" ? d.computer : "local";
  const out: Deployment = { notes: [] };
  if (typeof d.store === "string" && d.store) {
    if (!options.server) throw new Error("--store is for --server (a shared store of sessions)");
    const { openStore, storeFilePath } = await import("../store/mod.ts");
    const { StoreLink } = await import("../server/store_link.ts");
    const { knownSecrets } = await import("../storage/secrets.ts");
    const store = await openStore(d.store, { secrets: knownSecrets(options.secrets ?? []) });
    // Every session's history and the leases: no code reads or forges them, wherever the file is
    // (in the working directory too). SQLite's -wal and -shm files hold the same.
    const file = storeFilePath(d.store);
    if (file) {
      const { registerSecretFile } = await import("../sandbox/secret_files.ts");
      for (const path of [file, `${file}-wal`, `${file}-shm`]) registerSecretFile(resolve(path));
    }
    const lease = typeof d.lease_seconds === "number" ? d.lease_seconds * 1000 : undefined;
    out.storeLink = new StoreLink(store, {
      instance: typeof d.instance_id === "string" ? d.instance_id : undefined,
      leaseMs: lease,
    });
  }
  if (kind === "local") return out;
  const { ContainerComputer } = await import("../container/computer.ts");
  const { boxSpec } = await import("../container/confine.ts");
  const { defaultPermissions } = await import("../sandbox/defaults.ts");
  const { parseEngineAddress } = await import("../container/engine.ts");
  let engine: string | import("../container/backend.ts").SessionBackend;
  if (kind === "kubernetes") {
    const { loadKubeconfig } = await import("../container/kubeconfig.ts");
    const { KubeBackend } = await import("../container/k8s.ts");
    const access = await loadKubeconfig(
      typeof d.kubeconfig === "string" ? d.kubeconfig : undefined,
    );
    // One backend (one HTTP client) for every session's pod.
    engine = new KubeBackend(access);
  } else {
    engine = typeof d.container_engine === "string" ? d.container_engine : defaultEngine(kind);
    parseEngineAddress(engine); // a bad address is a usage error now, not at the first run
  }
  const cwd = Deno.cwd();
  const perms = permissions ?? defaultPermissions({ cwd });
  // An engine on this machine: denials inside mounted folders are mounted over (protect.ts).
  const localPaths = typeof engine === "string" && parseEngineAddress(engine).transport === "unix";
  out.notes = boxSpec({
    image: "",
    permissions: perms,
    cwd,
    cmd: [],
    labels: {},
    localPaths,
  }).notes;
  const image = typeof d.container_image === "string" ? d.container_image : undefined;
  const instance = out.storeLink?.instance ?? (options.server ? "server" : "cli");
  const { numberDefault, settingByKey } = await import("../settings/registry.ts");
  const poolSize = typeof d.container_pool === "number"
    ? d.container_pool
    : numberDefault(settingByKey("deployment.container_pool")!);
  // The server keeps pre-started boxes (pool.ts) on the Engine API; a chat (one session)
  // starts its own box in the background at start-up instead.
  let pool: import("../container/pool.ts").BoxPool | undefined;
  if (options.server && poolSize > 0 && typeof engine === "string") {
    const { BoxPool } = await import("../container/pool.ts");
    const { EngineBackend } = await import("../container/engine_backend.ts");
    const { needsProxy, sessionBox } = await import("../container/session_box.ts");
    const backend = new EngineBackend(parseEngineAddress(engine, Deno.env.toObject()));
    const made = new BoxPool(backend, { size: poolSize, instance, ownsBackend: true });
    pool = made;
    out.close = () => made.close();
    if (!needsProxy(perms)) {
      made.prime(
        sessionBox({
          image,
          permissions: perms,
          cwd,
          hostEnv: Deno.env.toObject(),
          localPaths,
        }),
      );
    }
  }
  out.computer = (origin) => {
    const computer = new ContainerComputer({
      engine: pool ? undefined : engine,
      pool,
      image,
      permissions: perms,
      cwd,
      instance,
      session: origin?.id ?? "cli",
      container: origin?.container ?? undefined,
      onContainer: origin?.onContainer,
    });
    if (!options.server && poolSize > 0) computer.start().catch(() => {}); // a run reports it
    return computer;
  };
  return out;
}
