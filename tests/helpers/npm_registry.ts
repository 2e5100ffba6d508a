/**
 * A local, slow npm registry for tests of a first run with an empty Deno
 * cache, offline. It serves the packages this machine's Deno cache already
 * holds (`<DENO_DIR>/npm/registry.npmjs.org/<name>/`): each package's cached
 * packument (`registry.json`, cut down to the versions whose files are
 * cached), and each version's extracted folder repacked on request into a
 * `.tgz` under `package/` (GNU tar, sorted, fixed times, `gzip -n -1`, so the
 * same bytes every time), with `dist.tarball`, `dist.integrity` and
 * `dist.shasum` rewritten to match. Tarballs are answered after `tarballDelayMs`
 * (packuments at once), so Deno's download progress stays on screen as long
 * as a test needs. Listens on 127.0.0.1 only. Point Deno at it with
 * `NPM_CONFIG_REGISTRY=<url>` and an empty `DENO_DIR`, and run with
 * `--lock=<a copy from rewriteLockfile>` (the repository's lockfile pins
 * npmjs.org's tarball hashes; with a lockfile Deno fetches every locked
 * package at once, by npm's tarball paths, which are served too) or `--no-lock`.
 *
 * @module
 */

/** A running registry. */
export interface NpmRegistry {
  /** Base URL, ending in `/`. */
  url: string;
  /** Every path asked for, in order. */
  requests: string[];
  /**
   * `lockText` (a deno.lock) with each npm package's integrity replaced by
   * that of the tarball served here (so Deno can run with the lockfile).
   */
  rewriteLockfile(lockText: string): Promise<string>;
  /** Stops the server (waits for it). */
  close(): Promise<void>;
}

/** The Deno cache folder this process uses (DENO_DIR, else Deno's default). */
export async function hostDenoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** Packs `dir` as an npm tarball (entries under `package/`), deterministically. */
async function pack(dir: string): Promise<Uint8Array> {
  const out = await new Deno.Command("tar", {
    args: [
      "-C",
      dir,
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--transform=s,^\\.,package,",
      "-I",
      "gzip -n -1", // fast: the bytes only need to be the same each time
      "-cf",
      "-",
      ".",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`tar ${dir}: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

async function digest(algorithm: "SHA-512" | "SHA-1", data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(algorithm, data as Uint8Array<ArrayBuffer>));
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Starts the registry over `denoDir`'s npm cache (default: this process's).
 * `tarballDelayMs` (default 1500) is how long each tarball answer waits.
 */
export async function startNpmRegistry(
  options: { denoDir?: string; tarballDelayMs?: number } = {},
): Promise<NpmRegistry> {
  const cache = `${options.denoDir ?? await hostDenoDir()}/npm/registry.npmjs.org`;
  const delayMs = options.tarballDelayMs ?? 1500;
  const tarballs = new Map<string, Promise<Uint8Array>>();
  const requests: string[] = [];
  const waits = new Map<ReturnType<typeof setTimeout>, () => void>();
  const controller = new AbortController();
  let base = "";

  const tarball = (name: string, version: string): Promise<Uint8Array> => {
    if (!/^(@[\w.-]+\/)?\w[\w.-]*$/.test(name) || !/^\w[\w.+-]*$/.test(version)) {
      return Promise.reject(new Error(`not a package: ${name}@${version}`));
    }
    const key = `${name}@${version}`;
    let packed = tarballs.get(key);
    if (!packed) {
      packed = pack(`${cache}/${name}/${version}`);
      tarballs.set(key, packed);
    }
    return packed;
  };

  const packument = async (name: string): Promise<Response> => {
    let doc: {
      versions?: Record<string, { dist?: Record<string, string> }>;
      "dist-tags"?: Record<string, string>;
      [key: string]: unknown;
    };
    try {
      doc = JSON.parse(await Deno.readTextFile(`${cache}/${name}/registry.json`));
    } catch {
      return new Response("not found", { status: 404 });
    }
    delete doc["_deno.packumentFormat"];
    const versions: typeof doc.versions = {};
    for (const [version, info] of Object.entries(doc.versions ?? {})) {
      if (!await isDir(`${cache}/${name}/${version}`)) continue; // only what is cached
      const data = await tarball(name, version);
      info.dist = {
        tarball: `${base}${name}/-/${name.split("/").at(-1)}-${version}.tgz`,
        integrity: `sha512-${base64(await digest("SHA-512", data))}`,
        shasum: hex(await digest("SHA-1", data)),
      };
      versions[version] = info;
    }
    doc.versions = versions;
    const newest = Object.keys(versions).at(-1);
    if (newest) doc["dist-tags"] = { latest: newest };
    return Response.json(doc);
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen: () => {},
  }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    // npm's layout, which Deno also uses when a lockfile names the version:
    // /<name>/-/<name without scope>-<version>.tgz
    const m = /^\/((?:@[^/]+\/)?([^/]+))\/-\/([^/]+)\.tgz$/.exec(path);
    if (!m) return await packument(path.slice(1));
    const version = m[3].startsWith(`${m[2]}-`) ? m[3].slice(m[2].length + 1) : "";
    const data = version ? await tarball(m[1], version).catch(() => undefined) : undefined;
    if (!data) return new Response("not found", { status: 404 });
    await new Promise<void>((resolve) => {
      const id = setTimeout(() => {
        waits.delete(id);
        resolve();
      }, delayMs);
      waits.set(id, resolve);
    });
    return new Response(data as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": "application/octet-stream" },
    });
  });
  base = `http://127.0.0.1:${server.addr.port}/`;
  const rewriteLockfile = async (lockText: string): Promise<string> => {
    const lock = JSON.parse(lockText) as { npm?: Record<string, { integrity?: string }> };
    const entries = Object.entries(lock.npm ?? {});
    // A few packs at a time (each is a tar and a gzip process).
    const work = async (): Promise<void> => {
      for (let next = entries.pop(); next; next = entries.pop()) {
        const [key, entry] = next;
        const at = key.indexOf("@", 1); // `name@version`, peer suffixes after `_`
        const version = key.slice(at + 1).split("_")[0];
        const data = await tarball(key.slice(0, at), version).catch(() => undefined);
        if (data) entry.integrity = `sha512-${base64(await digest("SHA-512", data))}`;
      }
    };
    await Promise.all([work(), work(), work(), work()]);
    return JSON.stringify(lock, null, 2);
  };
  return {
    url: base,
    requests,
    rewriteLockfile,
    close: async () => {
      for (const [id, resolve] of waits) {
        clearTimeout(id);
        resolve();
      }
      controller.abort();
      await server.finished;
    },
  };
}
