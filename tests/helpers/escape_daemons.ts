/**
 * Code that leaves daemons behind the way a session's process tree cannot
 * see: `setsid` + `env -i` (no session id, no token, re-parented), and a
 * Python double fork with an empty environment. Each prints `DPID <pid>`
 * (host pids when unconfined). Used by the lifetime tests of `-A` sessions
 * (tests/sandbox_kernel_escape.test.ts and its script helper).
 *
 * @module
 */

/** Shell code: one `setsid env -i` daemon; prints its pid. */
export const SHELL_DAEMON = `f="$TMPDIR/daemon-sh"
setsid env -i sh -c 'echo $$ > "$1"; exec sleep 300' sh "$f" </dev/null >/dev/null 2>&1 &
for _ in $(seq 200); do [ -s "$f" ] && break; sleep 0.05; done
echo "DPID $(cat "$f")"`;

/** Python code: a `setsid env -i` daemon and a classic double fork; prints both pids. */
export const PYTHON_DAEMONS = `import os, subprocess, time
f = os.path.join(os.environ["TMPDIR"], "daemon-py")
subprocess.Popen(["setsid", "env", "-i", "sh", "-c", 'echo $$ > "$1"; exec sleep 301', "sh", f],
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode()); os.close(w)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2): os.dup2(devnull, fd)
        os.execve("/bin/sleep", ["sleep", "302"], {})
    os._exit(0)
os.close(w)
print("DPID", os.read(r, 32).decode())
for _ in range(200):
    if os.path.exists(f) and open(f).read().strip(): break
    time.sleep(0.05)
print("DPID", open(f).read().strip())`;

/** The pids a run printed with `DPID`. */
export function daemonPids(text: string): number[] {
  return [...text.matchAll(/DPID (\d+)/g)].map((m) => Number(m[1]));
}
