/**
 * Kernel-level escapes (issue 9, classes 6, 8 and 9), each tried by Python
 * and bash code inside the sandbox and, as the control, the same code under
 * `allowAll()` (no sandbox), which shows the test would see the escape:
 *
 * - Root: /proc/sys opened for writing, capabilities, mount, a user
 *   namespace of its own, the uid code runs as; files made inside still
 *   belong to the real user outside.
 * - Abstract unix sockets while the network is on: a private Xvfb (xdotool,
 *   xwd, a raw connect to `@/tmp/.X11-unix/X<n>` and to its path socket) and
 *   a plain abstract socket server of the host; the display variables and the
 *   X authority file are kept from the code.
 * - Kernel keyrings: a key in the session keyring the sandbox was started
 *   from, read with `keyctl` and with the raw system calls.
 * - Lifetime with `-A`: daemons left by `setsid` + `env -i` and a double fork
 *   end with terminate() and with the program killed by SIGKILL (the control:
 *   the same code run by a plain process leaves them running).
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { join } from "node:path";
import {
  allowAll,
  defaultPermissions,
  type Permissions,
  SandboxSession,
  sandboxSupportSync,
} from "../lib/sandbox/mod.ts";
import { kernelNote, kernelStartupNote, kernelSupportSync } from "../lib/sandbox/kernel.ts";
import { REFUSED_SYSCALLS, seccompFilter } from "../lib/sandbox/seccomp.ts";
import { landlockLauncher } from "../lib/sandbox/landlock.ts";
import { sessionReaper, writeReaper } from "../lib/sandbox/reaper.ts";
import { fixturePermissions, withFixture } from "./helpers/sandbox_fixture.ts";
import { missingPrograms } from "./helpers/requirements.ts";
import { processAlive, textOf, waitGone } from "./helpers/computer_helpers.ts";
import { daemonPids, PYTHON_DAEMONS, SHELL_DAEMON } from "./helpers/escape_daemons.ts";
import { Computer } from "../lib/computer/mod.ts";

const bwrap = sandboxSupportSync().kind === "bwrap";
const isRoot = Deno.uid() === 0;

// Missing programs skip locally (reason printed) and fail the file in CI (.ci/run installs them).
const missingX = missingPrograms("kernel X11 tests", {
  Xvfb: ["-help"],
  xdotool: ["--version"],
  // xwd has no option that exits 0 without a display; x11-apps brings it with xdotool's peers.
  python3: ["--version"],
});
const missingKeys = missingPrograms("kernel keyring tests", {
  keyctl: ["--version"],
  python3: ["--version"],
});
const missingPython = missingPrograms("kernel tests", {
  python3: ["--version"],
  unshare: ["--version"],
});

interface Ran {
  code: number;
  out: string;
}

/**
 * Runs `argv` in a session with `permissions` (the control passes `allowAll()`),
 * optionally behind `prefix` (e.g. a keyring set-up), and returns its output.
 */
async function run(
  permissions: Permissions,
  argv: string[],
  options: { cwd: string; env?: Record<string, string>; prefix?: string[] },
): Promise<Ran> {
  const session = await SandboxSession.open({ permissions, cwd: options.cwd });
  try {
    const wrapped = session.wrap(argv, { ...Deno.env.toObject(), ...(options.env ?? {}) });
    const full = [...(options.prefix ?? []), ...wrapped.argv];
    const out = await new Deno.Command(full[0], {
      args: full.slice(1),
      env: wrapped.env,
      clearEnv: true,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { code: out.code, out: text };
  } finally {
    await session.close();
  }
}

/** `RESULT name ok|denied ...` lines, as the escape suite prints them. */
function results(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^RESULT (\S+) (ok|denied)(.*)$/gm)) r[m[1]] = m[2] + m[3];
  return r;
}

function expect(r: Record<string, string>, name: string, want: "ok" | "denied", out: string) {
  assert(r[name]?.startsWith(want), `${name}: expected ${want}, got ${r[name]}\n${out}`);
}

const PY_RESULT = `
import ctypes, os, socket, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
def t(name, f):
    try:
        v = f(); print("RESULT", name, "ok", v if v is not None else "", flush=True)
    except BaseException as e:
        print("RESULT", name, "denied", type(e).__name__, e, flush=True)
def sys_ok(r):
    if r < 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    return r
`;

// ---- Class 6: root ------------------------------------------------------------------------------

const PY_ROOT = PY_RESULT + `
work, mnt, owned = sys.argv[1:4]
def open_sysctl():
    fd = os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY)  # opened, never written
    os.close(fd)
t("core_pattern", open_sysctl)
t("uid", lambda: os.getuid())
t("caps", lambda: [l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1])
def mount():
    sys_ok(libc.mount(b"none", mnt.encode(), b"tmpfs", 0, None))
    libc.umount2(mnt.encode(), 0)
t("mount", mount)
t("userns", lambda: subprocess.run(["unshare", "-r", "true"], check=True, capture_output=True))
t("create", lambda: open(work + "/made-by-python", "w").write("x"))
t("write_owned", lambda: open(owned, "a").write("python was here"))  # the user's file, outside
`;

const SH_ROOT = `
work=$1 mnt=$2 owned=$3
r() { if eval "$2" >/dev/null 2>&1; then echo "RESULT $1 ok"; else echo "RESULT $1 denied"; fi; }
r core_pattern 'exec 3>>/proc/sys/kernel/core_pattern'
r uid0 '[ "$(id -u)" = 0 ]'
r mount 'mount -t tmpfs none "$mnt" && umount "$mnt"'
r userns 'unshare -r true'
r create 'echo x > "$work/made-by-bash"'
r write_owned 'echo "bash was here" >> "$owned"'
`;

Deno.test({
  name:
    "kernel class 6 (root): no real root inside; /proc/sys read-only; files belong to the real user",
  ignore: !bwrap,
  async fn() {
    await withFixture(async (fx) => {
      const mnt = join(fx.root, "mnt");
      await Deno.mkdir(mnt);
      for (const sandboxed of [true, false]) {
        const p = sandboxed ? fixturePermissions(fx) : allowAll();
        const label = sandboxed ? "sandbox" : "control (allowAll)";
        // A file of the real user (root, when run as root) outside every grant.
        const owned = join(fx.outside, "owned-by-the-user.txt");
        await Deno.writeTextFile(owned, "");
        const args = [fx.work, mnt, owned];
        const py = await run(p, ["python3", "-c", PY_ROOT, ...args], { cwd: fx.work });
        const sh = await run(p, ["bash", "-c", SH_ROOT, "sh", ...args], { cwd: fx.work });
        const written = await Deno.readTextFile(owned);
        assertEquals(written.length > 0, !sandboxed, `${label}: the outside file holds ${written}`);
        const rp = results(py.out);
        const rs = results(sh.out);
        if (sandboxed) {
          expect(rp, "core_pattern", "denied", py.out);
          expect(rs, "core_pattern", "denied", sh.out);
          expect(rp, "mount", "denied", py.out);
          expect(rs, "mount", "denied", sh.out);
          expect(rp, "userns", "denied", py.out);
          expect(rs, "userns", "denied", sh.out);
          assertEquals(rp.caps, "ok 0000000000000000", `${label}: ${py.out}`);
          if (isRoot) {
            assert(!rp.uid.startsWith("ok 0"), `${label}: code runs as uid 0\n${py.out}`);
            expect(rs, "uid0", "denied", sh.out);
          }
        } else if (isRoot) {
          // The control: as root with no sandbox, each of these works.
          expect(rp, "core_pattern", "ok", py.out);
          expect(rs, "core_pattern", "ok", sh.out);
          expect(rp, "mount", "ok", py.out);
          expect(rs, "mount", "ok", sh.out);
          expect(rs, "uid0", "ok", sh.out);
          assert(rp.caps !== "ok 0000000000000000", py.out);
        }
        if (!sandboxed) expect(rp, "userns", "ok", py.out);
        expect(rp, "create", "ok", py.out);
        expect(rs, "create", "ok", sh.out);
        for (const [r, out] of [[rp, py.out], [rs, sh.out]] as const) {
          expect(r, "write_owned", sandboxed ? "denied" : "ok", out);
        }
        for (const f of ["made-by-python", "made-by-bash"]) {
          const info = await Deno.stat(join(fx.work, f));
          assertEquals(info.uid, Deno.uid(), `${label}: ${f} belongs to the real user`);
          await Deno.remove(join(fx.work, f));
        }
      }
    });
  },
});

Deno.test({
  name:
    "kernel class 6: under a write-all grant /proc/sys and /sys stay read-only (control: allowAll() as root opens them)",
  ignore: !bwrap || !!missingPython,
  async fn() {
    await withFixture(async (fx) => {
      const py = PY_RESULT + `
def open_w(path):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)  # opened, never written
    os.close(fd)
t("core_pattern", lambda: open_w("/proc/sys/kernel/core_pattern"))
t("sysfs", lambda: open_w(sys.argv[1]))
`;
      const sh = `target=$1
r() { if (eval "$2") >/dev/null 2>&1; then echo "RESULT $1 ok"; else echo "RESULT $1 denied"; fi; }
r core_pattern 'exec 3>>/proc/sys/kernel/core_pattern'
r sysfs 'exec 3>>"$target"'`;
      // A root-owned sysfs file that exists on every Linux: a cgroup or kernel tunable.
      const target = ["/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/profiling"]
        .find((f) => {
          try {
            return Deno.statSync(f).isFile;
          } catch {
            return false;
          }
        }) ?? "/sys/kernel/uevent_helper";
      for (const sandboxed of [true, false]) {
        const p = sandboxed ? fixturePermissions(fx, { "allow-write": true }) : allowAll();
        const rp = await run(p, ["python3", "-c", py, target], { cwd: fx.work });
        const rs = await run(p, ["bash", "-c", sh, "sh", target], { cwd: fx.work });
        for (const [r, out] of [[results(rp.out), rp.out], [results(rs.out), rs.out]] as const) {
          if (sandboxed) {
            expect(r, "core_pattern", "denied", out);
            expect(r, "sysfs", "denied", out);
          } else if (isRoot) {
            expect(r, "core_pattern", "ok", out);
            expect(r, "sysfs", "ok", out);
          }
        }
      }
    });
  },
});

Deno.test({
  name:
    "kernel class 6: under a read list /sys stays hidden (the read-only /sys bind shows nothing new)",
  ignore: !bwrap,
  async fn() {
    await withFixture(async (fx) => {
      const code = `[ -e /sys/kernel ] && echo SYS_VISIBLE || echo SYS_HIDDEN`;
      const listed = await run(fixturePermissions(fx, { "allow-read": fx.work }), [
        "bash",
        "-c",
        code,
      ], { cwd: fx.work });
      assertStringIncludes(listed.out, "SYS_HIDDEN");
      const all = await run(fixturePermissions(fx), ["bash", "-c", code], { cwd: fx.work });
      assertStringIncludes(all.out, "SYS_VISIBLE", "control: with read-all, /sys is there");
    });
  },
});

Deno.test({
  name: "kernel class 6: /proc/sysrq-trigger is never writable inside (where the kernel has it)",
  ignore: !bwrap,
  async fn() {
    await withFixture(async (fx) => {
      const code = `[ -e /proc/sysrq-trigger ] || { echo ABSENT; exit 0; }
        if (exec 4>>/proc/sysrq-trigger) 2>/dev/null; then echo WRITABLE; else echo DENIED; fi`;
      const r = await run(fixturePermissions(fx), ["bash", "-c", code], { cwd: fx.work });
      assert(/ABSENT|DENIED/.test(r.out), r.out);
    });
  },
});

// ---- Class 8: abstract unix sockets ------------------------------------------------------------

/** A private Xvfb on a free display number; resolves once it accepts clients. */
async function startXvfb(): Promise<{ display: string; stop(): Promise<void> }> {
  const child = new Deno.Command("Xvfb", {
    args: ["-displayfd", "1", "-nolisten", "tcp", "-noreset", "-screen", "0", "320x200x24"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  while (!/\d+\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(timer);
  reader.releaseLock();
  const n = text.match(/(\d+)\n/)?.[1];
  if (!n) throw new Error(`Xvfb did not start: ${text}`);
  return {
    display: `:${n}`,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

const PY_X11 = PY_RESULT + `
n = sys.argv[1]
def conn(addr):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(addr); s.close()
t("x11_abstract", lambda: conn("\\0/tmp/.X11-unix/X" + n))
t("x11_path", lambda: conn("/tmp/.X11-unix/X" + n))
t("display_env", lambda: os.environ["DISPLAY"])
t("xauthority_env", lambda: os.environ["XAUTHORITY"])
t("xauthority_file", lambda: open(sys.argv[2]).read())
`;

const SH_X11 = `
d=$1
r() { if eval "$2" >/dev/null 2>&1; then echo "RESULT $1 ok"; else echo "RESULT $1 denied"; fi; }
r xdotool 'DISPLAY=$d timeout 10 xdotool getdisplaygeometry'
r xwd '[ "$(DISPLAY=$d timeout 10 xwd -root -silent | wc -c)" -gt 1000 ]'
`;

Deno.test({
  name:
    "kernel class 8 (X11): xdotool, xwd and raw connects to a private Xvfb fail inside; work under allowAll()",
  ignore: !bwrap || !!missingX,
  async fn() {
    const support = kernelSupportSync();
    assert(
      support.landlock,
      `Landlock's abstract-socket scope is missing here: ${kernelNote(true)}`,
    );
    const x = await startXvfb();
    const n = x.display.slice(1);
    try {
      await withFixture(async (fx) => {
        const xauth = join(fx.outside, "Xauthority");
        await Deno.writeTextFile(xauth, "MIT-MAGIC-COOKIE-OF-THE-TEST\n");
        // The session hides the X authority file its environment names (given to the session,
        // never through Deno.env: tests run side by side in one process).
        const env = { DISPLAY: x.display, XAUTHORITY: xauth };
        for (const sandboxed of [true, false]) {
          const p = sandboxed ? fixturePermissions(fx) : allowAll();
          const py = await run(p, ["python3", "-c", PY_X11, n, xauth], { cwd: fx.work, env });
          const sh = await run(p, ["bash", "-c", SH_X11, "sh", x.display], { cwd: fx.work, env });
          const rp = results(py.out);
          const rs = results(sh.out);
          const want = sandboxed ? "denied" : "ok";
          for (const name of ["x11_abstract", "x11_path", "display_env", "xauthority_env"]) {
            expect(rp, name, want, py.out);
          }
          expect(rp, "xauthority_file", want, py.out);
          expect(rs, "xdotool", want, sh.out);
          expect(rs, "xwd", want, sh.out);
        }
      });
    } finally {
      await x.stop();
    }
  },
});

/** A plain abstract unix socket server of the host (python3), greeting each client. */
async function abstractServer(name: string): Promise<{ stop(): Promise<void> }> {
  const code = `
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind("\\0" + sys.argv[1]); s.listen(8)
print("READY", flush=True)
while True:
    c, _ = s.accept(); c.sendall(b"hello-from-host\\n"); c.close()
`;
  const child = new Deno.Command("python3", {
    args: ["-c", code, name],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("READY")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the abstract socket server did not start");
    text += value;
  }
  reader.releaseLock();
  return {
    async stop() {
      child.kill("SIGKILL");
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

Deno.test({
  name:
    "kernel class 8: a host abstract socket is unreachable inside with the network on; reachable under allowAll(); inside-made ones work",
  ignore: !bwrap || !!missingPython,
  async fn() {
    assert(kernelSupportSync().landlock, kernelNote(true));
    const name = `oi-kernel-test-${crypto.randomUUID()}`;
    const server = await abstractServer(name);
    const py = PY_RESULT + `
def talk():
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect("\\0" + sys.argv[1])
    return s.recv(100).decode().strip()
t("host_abstract", talk)
def own():
    srv = socket.socket(socket.AF_UNIX); srv.bind("\\0own-" + sys.argv[1]); srv.listen(1)
    c = socket.socket(socket.AF_UNIX); c.connect("\\0own-" + sys.argv[1]); c.close()
t("own_abstract", own)
def path_socket():
    p = os.path.join(os.environ["TMPDIR"], "p.sock")
    srv = socket.socket(socket.AF_UNIX); srv.bind(p); srv.listen(1)
    c = socket.socket(socket.AF_UNIX); c.connect(p); c.close()
t("own_path", path_socket)
`;
    // bash has no socket client of its own: python's stands in, started from a bash script.
    const sh = `python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect("\\0"+sys.argv[1]); print(s.recv(100).decode().strip())' "$1" \
      && echo "RESULT host_abstract ok" || echo "RESULT host_abstract denied"`;
    try {
      await withFixture(async (fx) => {
        for (const sandboxed of [true, false]) {
          const p = sandboxed ? fixturePermissions(fx) : allowAll();
          const rp = await run(p, ["python3", "-c", py, name], { cwd: fx.work });
          const rs = await run(p, ["bash", "-c", sh, "sh", name], { cwd: fx.work });
          const r = results(rp.out);
          expect(r, "host_abstract", sandboxed ? "denied" : "ok", rp.out);
          expect(results(rs.out), "host_abstract", sandboxed ? "denied" : "ok", rs.out);
          if (!sandboxed) assertStringIncludes(rp.out, "hello-from-host");
          expect(r, "own_abstract", "ok", rp.out);
          expect(r, "own_path", "ok", rp.out);
        }
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test("kernel class 8: where Landlock is missing, the note says abstract sockets stay reachable", () => {
  const none = { userns: true, seccomp: true, landlock: false };
  assertStringIncludes(kernelNote(true, none) ?? "", "abstract unix sockets of the host");
  assertEquals(kernelNote(false, none), undefined, "no shared network: nothing to say");
  assertEquals(kernelNote(true, { ...none, landlock: true }), undefined);
});

// ---- Class 9: kernel keyrings ------------------------------------------------------------------

const PY_KEYS = PY_RESULT + `
KEYCTL_READ, KEY_SPEC_SESSION_KEYRING = 11, -3
def read_key():
    kid = sys_ok(libc.syscall(249, b"user", b"oi_kernel_secret", None, 0)) if os.uname().machine == "x86_64" \\
        else sys_ok(libc.syscall(218, b"user", b"oi_kernel_secret", None, 0))
    buf = ctypes.create_string_buffer(200)
    keyctl = 250 if os.uname().machine == "x86_64" else 219
    n = sys_ok(libc.syscall(keyctl, KEYCTL_READ, kid, buf, 200))
    return buf.raw[:n].decode()
t("key", read_key)
`;

const SH_KEYS =
  `keyctl print %user:oi_kernel_secret && echo "RESULT key ok" || echo "RESULT key denied"`;

Deno.test({
  name:
    "kernel class 9: a key in the session keyring is unreadable inside; readable under allowAll()",
  ignore: !bwrap || !!missingKeys,
  async fn() {
    const secret = `KEYRING-SECRET-${crypto.randomUUID()}`;
    // A new session keyring holding the key, then the (wrapped) command, as a login would have.
    const prefix = [
      "keyctl",
      "session",
      "-",
      "sh",
      "-c",
      'keyctl add user oi_kernel_secret "$0" @s >/dev/null && exec "$@"',
      secret,
    ];
    await withFixture(async (fx) => {
      for (const sandboxed of [true, false]) {
        const p = sandboxed ? fixturePermissions(fx) : allowAll();
        const py = await run(p, ["python3", "-c", PY_KEYS], { cwd: fx.work, prefix });
        const sh = await run(p, ["bash", "-c", SH_KEYS], { cwd: fx.work, prefix });
        expect(results(py.out), "key", sandboxed ? "denied" : "ok", py.out);
        expect(results(sh.out), "key", sandboxed ? "denied" : "ok", sh.out);
        assertEquals(py.out.includes(secret), !sandboxed, py.out);
        assertEquals(sh.out.includes(secret), !sandboxed, sh.out);
      }
    });
  },
});

// ---- The generated programs ------------------------------------------------------------------

Deno.test("kernel: the seccomp filter is whole instructions for both architectures and lists the keyring calls", () => {
  for (const arch of ["x86_64", "aarch64"] as const) {
    const f = seccompFilter(arch);
    assertEquals(f.length % 8, 0);
    assert(f.length / 8 < 4096, "BPF_MAXINSNS");
  }
  for (const name of ["keyctl", "add_key", "request_key", "bpf", "userfaultfd"]) {
    assert(REFUSED_SYSCALLS.includes(name), name);
  }
});

Deno.test("kernel: the launcher is a static ELF for each architecture", () => {
  for (const [arch, machine] of [["x86_64", 0x3e], ["aarch64", 0xb7]] as const) {
    const elf = landlockLauncher(arch);
    assertEquals([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
    assertEquals(elf[18], machine);
    assert(elf.length < 1024, `small: ${elf.length}`);
  }
});

// ---- Class 12: lifetime with -A ---------------------------------------------------------------

const TERMINATE_BOUND_MS = 10_000;

Deno.test({
  name:
    "kernel class 12: under allowAll(), setsid + env -i daemons (bash, python) end with terminate(); control: the same code run by a plain process survives it",
  ignore: !!missingPython,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "kernel-lifetime-" });
    const survivors: number[] = [];
    const pids: number[] = [];
    try {
      // Control: run directly (no session, no reaper), the daemons outlive their parent's end.
      for (const argv of [["python3", "-c", PYTHON_DAEMONS], ["bash", "-c", SHELL_DAEMON]]) {
        const out = await new Deno.Command(argv[0], {
          args: argv.slice(1),
          env: { TMPDIR: dataDir },
          stdout: "piped",
          stderr: "inherit",
        }).output();
        const pids = daemonPids(new TextDecoder().decode(out.stdout));
        assert(pids.length >= 1, "the control printed its daemons' pids");
        survivors.push(...pids);
      }
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(survivors.filter(processAlive), survivors, "control: the daemons escaped");
      // The session: the same code under allowAll(); terminate() ends its daemons too.
      const computer = new Computer({ dataDir, permissions: allowAll() });
      try {
        for (const [language, code] of [["python", PYTHON_DAEMONS], ["shell", SHELL_DAEMON]]) {
          const text = textOf(await computer.run(language, code));
          const found = daemonPids(text);
          assert(found.length >= 1, `${language} printed its daemons' pids: ${text}`);
          pids.push(...found);
        }
        assertEquals(pids.filter(processAlive), pids, "the daemons run while the session does");
      } finally {
        await computer.terminate();
      }
      assertEquals(await waitGone(pids, TERMINATE_BOUND_MS), [], "left after terminate()");
    } finally {
      for (const pid of [...survivors, ...pids]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "kernel class 12: under allowAll(), setsid + env -i daemons end when the program is killed with SIGKILL",
  ignore: !!missingPython,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "kernel-lifetime-" });
    const script = new URL("./helpers/reaper_script.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", script, dataDir],
      env: { TMPDIR: dataDir },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    let pids: number[] = [];
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!/^PIDS .*$/m.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      reader.releaseLock();
      pids = JSON.parse(text.match(/^PIDS (.*)$/m)?.[1] ?? "[]");
      assert(pids.length >= 3, `the script printed its daemons: ${text}`);
      assertEquals(pids.filter(processAlive), pids, "the daemons run while the program does");
      child.kill("SIGKILL");
      await child.status;
      assertEquals(await waitGone(pids, TERMINATE_BOUND_MS), [], "left after kill -9");
    } finally {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.stdout.cancel().catch(() => {});
      await child.status;
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "kernel: the start-up note says nothing under -A, and what the probe found otherwise",
  ignore: !bwrap,
  fn() {
    assertEquals(kernelStartupNote(allowAll()), undefined);
    const support = kernelSupportSync();
    const p = defaultPermissions({ cwd: Deno.cwd() });
    assertEquals(kernelStartupNote(p), kernelNote(true, support));
    assertEquals(
      kernelStartupNote({ ...p, net: false }),
      kernelNote(false, support),
      "no shared network: abstract sockets are the session's own",
    );
  },
});

Deno.test({
  name:
    "kernel: the session reaper exits as its command did (code, signal) and is an ELF for both architectures",
  ignore: Deno.build.os !== "linux",
  async fn() {
    for (const [arch, machine] of [["x86_64", 0x3e], ["aarch64", 0xb7]] as const) {
      const elf = sessionReaper(arch)!;
      assertEquals([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
      assertEquals(elf[18], machine);
    }
    const dir = await Deno.makeTempDir({ prefix: "kernel-reaper-" });
    try {
      const reaper = writeReaper(dir);
      if (!sessionReaper()) return; // no reaper for this architecture: the watchdog stays
      assert(reaper, "the reaper runs on this machine");
      const run = (script: string) =>
        new Deno.Command(reaper, { args: ["/bin/sh", "-c", script], stderr: "null" }).output();
      assertEquals((await run("exit 7")).code, 7);
      assertEquals((await run("kill -TERM $$")).signal, "SIGTERM");
      const missing = await new Deno.Command(reaper, { args: ["/nonexistent"], stderr: "piped" })
        .output();
      assertEquals(missing.code, 127);
      assertStringIncludes(new TextDecoder().decode(missing.stderr), "cannot run command");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
