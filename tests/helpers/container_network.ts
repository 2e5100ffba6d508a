/**
 * Network probes for the container tests: a host process listening on 127.0.0.1 and on an
 * abstract unix socket, and the Python a box runs to try both.
 *
 * @module
 */

/**
 * Python probing a TCP port on the host's loopback (and, unless `alias: false`, slirp4netns's
 * host alias 10.0.2.2) and an abstract unix socket; it also says whether it has a default route.
 */
export function probe(port: number, abstract: string, options: { alias?: boolean } = {}): string {
  return `import socket
def attempt(label, family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(address)
        print(label, "reached", flush=True)
    except OSError as e:
        print(label, "blocked", type(e).__name__, flush=True)
    finally:
        s.close()
attempt("tcp-lo", socket.AF_INET, ("127.0.0.1", ${port}))
${
    options.alias === false
      ? ""
      : `attempt("tcp-alias", socket.AF_INET, ("10.0.2.2", ${port}))\n`
  }attempt("abstract", socket.AF_UNIX, "\\0${abstract}")
routes = open("/proc/net/route").read().splitlines()[1:]
print("default-route", any(r.split()[1] == "00000000" for r in routes), flush=True)
`;
}

/** A host process listening on 127.0.0.1 (TCP) and on an abstract unix socket. */
export function hostListener(
  abstract: string,
): { port: Promise<number>; child: Deno.ChildProcess } {
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      `import socket, threading
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(16)
a = socket.socket(socket.AF_UNIX); a.bind("\\0${abstract}"); a.listen(16)
def serve(s):
    while True:
        c, _ = s.accept(); c.close()
threading.Thread(target=serve, args=(a,), daemon=True).start()
print(t.getsockname()[1], flush=True)
serve(t)
`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const port = (async () => {
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    return Number(new TextDecoder().decode(value).trim());
  })();
  return { port, child };
}
