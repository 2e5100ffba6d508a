/**
 * The in-sandbox launcher used when the network is limited to a host list.
 * The sandbox has its own empty network namespace, so this process listens on
 * the namespace's loopback (the port HTTP_PROXY points at), relays each
 * connection to the host proxy's unix socket bound into the sandbox, then runs
 * the session command in the same process group and exits with its status.
 *
 * Usage: `deno run … relay.ts <socket> <port> -- <command…>` (or the compiled
 * binary's hidden `__sandbox-relay` entry, see {@linkcode runRelay}).
 *
 * @module
 */

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/**
 * Pipes one accepted connection both ways to the unix socket at `socketPath`
 * until either side ends, then closes both; a socket that refuses (the proxy is
 * gone) drops the connection.
 */
export async function relayConnection(conn: Deno.Conn, socketPath: string): Promise<void> {
  let upstream: Deno.UnixConn | undefined;
  try {
    upstream = await Deno.connect({ transport: "unix", path: socketPath });
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(conn.writable),
    ]);
  } catch {
    // The proxy is gone (session ending) or the handshake failed: drop the connection.
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
    try {
      upstream?.close();
    } catch { /* closed */ }
  }
}

/**
 * Runs the relay and the command `args` describe (`<socket> <port> -- cmd…`);
 * resolves to the exit code to leave with.
 */
export async function runRelay(args: string[]): Promise<number> {
  const sep = args.indexOf("--");
  const [socketPath, port] = args;
  const command = args.slice(sep + 1);
  if (sep < 2 || command.length === 0) {
    console.error("sandbox relay: usage: <socket> <port> -- <command…>");
    return 2;
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(port) });
  (async () => {
    for await (const conn of listener) relayConnection(conn, socketPath);
  })().catch(() => {});
  // Stop signals are for the session command (same process group), not for us.
  for (const s of SIGNALS) Deno.addSignalListener(s, () => {});
  const env = Deno.env.toObject();
  delete env.NO_COLOR;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command[0], {
      args: command.slice(1),
      env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (e) {
    console.error(`sandbox: cannot run ${command[0]}: ${(e as Error).message}`);
    return 127;
  }
  const status = await child.status;
  return status.signal
    ? 128 + (Deno.build.os === "linux" ? signalNumber(status.signal) : 15)
    : status.code;
}

function signalNumber(signal: Deno.Signal): number {
  const table: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return table[signal] ?? 15;
}

if (import.meta.main) {
  Deno.exit(await runRelay(Deno.args));
}
