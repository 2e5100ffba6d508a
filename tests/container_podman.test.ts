/**
 * Sessions in real podman containers (lib/container): state across runs, denials inside
 * the container each with its control, interrupts that stop the container's processes,
 * reattaching from a second computer, and removal on terminate.
 */
import { EngineClient, parseEngineAddress } from "../lib/container/engine.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import type { PodmanEngine } from "./helpers/podman.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { testComputer, withPodman } from "./helpers/container_computer.ts";

/** Python that lists every unix socket in the box's file system (not /proc or /sys). */
const FIND_SOCKETS = `import os, stat
found = []
for top, dirs, files in os.walk("/"):
    if top.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    for name in files:
        try:
            if stat.S_ISSOCK(os.lstat(os.path.join(top, name)).st_mode):
                found.append(os.path.join(top, name))
        except OSError:
            pass
print("sockets:", sorted(found))`;

async function exists(engine: PodmanEngine, id: string): Promise<boolean> {
  const client = new EngineClient(parseEngineAddress(engine.address));
  try {
    await client.call("GET", `/containers/${id}/json`);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

Deno.test("container: Python and shell state persist; errors, input and the code's uid", async () => {
  await withPodman(async (engine, work, data) => {
    // The host's environment holds a secret (given as the computer's host environment, never
    // through Deno.env: tests run side by side in one process).
    const hostEnv = { ...Deno.env.toObject(), OI_TEST_SECRET_TOKEN: "do-not-leak" };
    const c = testComputer(engine, work, data, defaultPermissions({ cwd: work }), { hostEnv });
    try {
      assertEquals(textOf(await c.run("python", "x = 41\nx + 1")), "42\n");
      assertEquals(textOf(await c.run("python", "import os\nprint(x, os.getuid())")), "41 1000\n");
      // No engine socket (nor any other) is reachable in the box; the host-list test below is
      // the control (it finds the proxy's socket it binds in).
      assertEquals(textOf(await c.run("python", FIND_SOCKETS)), "sockets: []\n");
      assertEquals(textOf(await c.run("shell", "y=7; cd /tmp; echo set")), "set\n");
      assertEquals(textOf(await c.run("sh", "echo $y $(pwd)")), "7 /tmp\n");
      const error = textOf(await c.run("python", "1/0"));
      assertStringIncludes(error, "ZeroDivisionError");
      assertStringIncludes(error, '"<cell-', "the traceback shows the run's own code");
      assertStringIncludes(textOf(await c.run("python", "input('name? ')")), "no keyboard");
      assertStringIncludes(textOf(await c.run("ruby", "puts 1")), "does not run in container");
      // A change of permissions restarts the box (its state is gone), as local sessions do.
      const before = c.containerId;
      c.permissions = { ...c.permissions, net: false };
      const restarted = textOf(await c.run("python", "print('x' in dir())"));
      assertStringIncludes(restarted, "permissions changed");
      assertStringIncludes(restarted, "False");
      assert(c.containerId !== before);
      // The host's environment (a secret in it) is not passed.
      assertEquals(
        textOf(await c.run("python", "import os\nprint(sorted(os.environ))")).includes("OI_TEST"),
        false,
      );
    } finally {
      await c.terminate();
    }
  });
});

Deno.test("container: a denied write fails inside the container; the write grant is the control", async () => {
  await withPodman(async (engine, work, data) => {
    const code = `open(${JSON.stringify(work + "/made.txt")}, "w").write("x")\nprint("wrote")`;
    const readOnly = { ...defaultPermissions({ cwd: work }), write: [] as string[], read: [work] };
    const denied = testComputer(engine, work, data, readOnly);
    try {
      assertMatch(textOf(await denied.run("python", code)), /Read-only file system/);
      assert(!(await Deno.stat(`${work}/made.txt`).then(() => true, () => false)));
    } finally {
      await denied.terminate();
    }
    const granted = testComputer(engine, work, data, { ...readOnly, write: [work] });
    try {
      assertEquals(textOf(await granted.run("python", code)), "wrote\n");
      assertEquals(await Deno.readTextFile(`${work}/made.txt`), "x");
    } finally {
      await granted.terminate();
    }
  });
});

Deno.test("container: a denied network connection fails inside; with the network on it reaches the host", async () => {
  await withPodman(async (engine, work, data) => {
    // The podman bridge's gateway is the host: port 9 has no listener, so "refused" proves
    // the packet reached the host's stack; without a network it is unreachable.
    const code = `import socket\ns = socket.socket(); s.settimeout(5)
try:
    s.connect(("10.88.0.1", 9)); print("connected")
except OSError as e:
    print(type(e).__name__, e.errno)`;
    const off = testComputer(engine, work, data, {
      ...defaultPermissions({ cwd: work }),
      net: false,
    });
    try {
      assertStringIncludes(textOf(await off.run("python", code)), "101"); // ENETUNREACH
    } finally {
      await off.terminate();
    }
    const on = testComputer(engine, work, data, { ...allowAll(), read: [work], write: [work] });
    try {
      const result = textOf(await on.run("python", code));
      assert(/ConnectionRefusedError 111|connected/.test(result), result);
    } finally {
      await on.terminate();
    }
  });
});

Deno.test("container: an interrupted long run stops every process it started; state stays", async () => {
  await withPodman(async (engine, work, data) => {
    const c = testComputer(engine, work, data, defaultPermissions({ cwd: work }));
    try {
      await c.run("python", "kept = 'yes'");
      const started = Date.now();
      const out = textOf(
        await c.run(
          "python",
          "import subprocess, time\nsubprocess.Popen(['sleep', '1000'])\nwhile True: time.sleep(0.1)",
          { timeout: 2 },
        ),
      );
      assertStringIncludes(out, "KeyboardInterrupt");
      assertStringIncludes(out, "stopped: the run took longer than 2 s");
      assert(Date.now() - started < 20_000);
      const ps = await engine.podman("top", c.containerId!, "args");
      assert(!ps.includes("sleep 1000"), `the sleep survived:\n${ps}`);
      assertEquals(textOf(await c.run("python", "print(kept)")), "yes\n");
      // The shell: a foreground and a background job both end with the interrupt.
      const sh = textOf(await c.run("shell", "sleep 999 & sleep 998", { timeout: 2 }));
      assertStringIncludes(sh, "stopped");
      const after = await engine.podman("top", c.containerId!, "args");
      assert(!/sleep 99[89]/.test(after), `a shell job survived:\n${after}`);
      // stop() from outside (what the server's /stop does).
      const run = c.run("python", "import time\nwhile True: time.sleep(0.05)", { timeout: 0 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await c.stop();
      assertStringIncludes(textOf(await run), "KeyboardInterrupt");
    } finally {
      await c.terminate();
    }
  });
});

Deno.test("container: a second computer reattaches to the container and keeps Python state; terminate removes it", async () => {
  await withPodman(async (engine, work, data) => {
    const first = testComputer(engine, work, data, defaultPermissions({ cwd: work }), {
      session: "s1",
    });
    await first.run("python", "counter = 10");
    const id = first.containerId!;
    first.detach(); // the instance goes away without removing the container
    const second = testComputer(engine, work, data, defaultPermissions({ cwd: work }), {
      session: "s1",
      container: id,
    });
    try {
      assertEquals(textOf(await second.run("python", "counter += 1\ncounter")), "11\n");
      assertEquals(second.containerId, id);
    } finally {
      await second.terminate();
    }
    assert(!(await exists(engine, id)), "terminate removed the container");
    // A container of another session is not reattached: a fresh one starts.
    const other = testComputer(engine, work, data, defaultPermissions({ cwd: work }), {
      session: "s2",
      container: id,
    });
    try {
      assertStringIncludes(textOf(await other.run("python", "print('fresh')")), "fresh");
      assert(other.containerId !== id);
    } finally {
      await other.terminate();
    }
  });
});

Deno.test("container: with a host list only the listed host is reachable, through the proxy bound in", async () => {
  const serve = (text: string) =>
    Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(text));
  const allowed = serve("hello from the listed host");
  const other = serve("this must not be reached");
  try {
    await withPodman(async (engine, work, data) => {
      const fetchCode = (port: number) =>
        `import urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=10).read().decode())
except urllib.error.HTTPError as e:
    print("refused", e.code)`;
      const c = testComputer(engine, work, data, {
        ...defaultPermissions({ cwd: work }),
        net: [`127.0.0.1:${allowed.addr.port}`],
      });
      try {
        // The control: the listed host answers through the proxy.
        assertEquals(
          textOf(await c.run("python", fetchCode(allowed.addr.port))),
          "hello from the listed host\n",
        );
        const refused = textOf(await c.run("python", fetchCode(other.addr.port)));
        assertStringIncludes(refused, "refused 403");
        assertStringIncludes(refused, `--allow-net=127.0.0.1:${other.addr.port}`);
        // Around the proxy there is no network at all.
        const direct = textOf(
          await c.run(
            "python",
            `import socket\ns = socket.socket(); s.settimeout(5)
try:
    s.connect(("10.88.0.1", ${other.addr.port})); print("connected")
except OSError as e:
    print("errno", e.errno)`,
          ),
        );
        assertEquals(direct, "errno 101\n");
        assert(c.notes.some((n) => n.includes("only the listed hosts")), c.notes.join("; "));
        assertEquals(
          textOf(await c.run("python", FIND_SOCKETS)),
          "sockets: ['/run/oi-proxy/proxy.sock']\n",
        );
      } finally {
        await c.terminate();
      }
    });
  } finally {
    await allowed.shutdown();
    await other.shutdown();
  }
});
