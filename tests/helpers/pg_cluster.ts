/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a temporary folder, started with
 * `pg_ctl` on 127.0.0.1 and a free port, trust authentication for one user, stopped and
 * removed by `stop()`. As root, the cluster runs as the `postgres` user (PostgreSQL refuses
 * root). Needs the Debian package postgresql (initdb and pg_ctl under /usr/lib/postgresql).
 *
 * @module
 */

/** A running throwaway cluster. */
export interface PgCluster {
  /** `postgres://oi@127.0.0.1:PORT/postgres`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/** The folder of PostgreSQL's programs (the newest version installed). */
export function pgBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = [...Deno.readDirSync(base)].map((e) => e.name).filter((n) => /^\d+$/.test(n))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  return `${base}/${versions[0]}/bin`;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(argv: string[], asPostgres: boolean): Promise<string> {
  const full = asPostgres ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
  const out = await new Deno.Command(full[0], {
    args: full.slice(1),
    stdout: "piped",
    stderr: "piped",
    env: { LANG: "C.UTF-8", LC_ALL: "C.UTF-8" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${argv.join(" ")} failed: ${text}`);
  return text;
}

/** Starts a new cluster (about 2-4 s). */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  const asPostgres = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "oi-pg-" });
  if (asPostgres) await run(["chown", "postgres:", dir], false);
  const data = `${dir}/data`;
  await run([`${bin}/initdb`, "-D", data, "-U", "oi", "--auth=trust", "-E", "UTF8"], asPostgres);
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    try {
      await run([
        `${bin}/pg_ctl`,
        "-D",
        data,
        "-l",
        `${dir}/log`,
        "-w",
        "-t",
        "60",
        "-o",
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
        "start",
      ], asPostgres);
      return {
        url: `postgres://oi@127.0.0.1:${port}/postgres`,
        port,
        stop: async () => {
          await run([`${bin}/pg_ctl`, "-D", data, "-m", "fast", "-w", "stop"], asPostgres)
            .catch(() => {});
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        },
      };
    } catch (error) {
      if (attempt >= 2) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw error;
      }
    }
  }
}
