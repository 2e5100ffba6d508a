/**
 * Sessions in containers on a real Docker Engine (Debian's dockerd 20.10, a private daemon
 * per test file: tests/helpers/docker.ts): state across runs, denials inside the box each
 * with its control (the network: off, the bridge, the host's loopback and abstract sockets), interrupts that stop the run's processes, reattaching from a second
 * computer (Docker keeps a container's stdin open after an attach ends, unlike podman),
 * removal on terminate, the engine's socket out of reach, and the CLI's `--computer docker`.
 */
import { EngineClient, parseEngineAddress } from "../lib/container/engine.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { permissionsFromFlags } from "../lib/sandbox/flags.ts";
import { type DockerEngine, startDocker, TEST_IMAGE } from "./helpers/docker.ts";
import { containerWorkspace } from "./helpers/podman.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { testComputer } from "./helpers/container_computer.ts";
import { hostListener, probe as networkProbe } from "./helpers/container_network.ts";

/** Python that lists every unix socket under `top` (not /proc or /sys). */
const findSockets = (top = "/"): string =>
  `import os, stat
found = []
for top, dirs, files in os.walk(${JSON.stringify(top)}):
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

async function exists(engine: DockerEngine, id: string): Promise<boolean> {
  return await engine.call("GET", `/containers/${id}/json`).then(() => true, () => false);
}

Deno.test("docker: sessions in containers on a real Docker Engine", async (t) => {
  const engine = await startDocker();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const defaults = () => defaultPermissions({ cwd: work });
  try {
    assertMatch(engine.version, /^20\.10\./);

    await t.step(
      "Python and shell state persist; the code's uid; no engine socket inside",
      async () => {
        const hostEnv = { ...Deno.env.toObject(), OI_TEST_SECRET_TOKEN: "do-not-leak" };
        const c = testComputer(engine, work, data, defaults(), { hostEnv });
        try {
          assertEquals(textOf(await c.run("python", "x = 41\nx + 1")), "42\n");
          assertEquals(
            textOf(await c.run("python", "import os\nprint(x, os.getuid())")),
            "41 1000\n",
          );
          // The code runs in this engine's container (its host name is the id's start).
          assertEquals(
            textOf(await c.run("python", "import socket\nprint(socket.gethostname())")),
            `${c.containerId!.slice(0, 12)}\n`,
          );
          assertEquals(textOf(await c.run("shell", "y=7; cd /tmp; echo set")), "set\n");
          assertEquals(textOf(await c.run("sh", "echo $y $(pwd) $(id -u)")), "7 /tmp 1000\n");
          const error = textOf(await c.run("python", "1/0"));
          assertStringIncludes(error, "ZeroDivisionError");
          // No socket at all in the box, the engine's neither (the next computer is the control).
          assertEquals(textOf(await c.run("python", findSockets())), "sockets: []\n");
          assertEquals(
            textOf(
              await c.run(
                "python",
                `import os\nprint(os.path.exists(${JSON.stringify(engine.dir)}))`,
              ),
            ),
            "False\n",
          );
          assertEquals(
            textOf(await c.run("python", "import os\nprint(sorted(os.environ))")).includes(
              "OI_TEST",
            ),
            false,
          );
        } finally {
          await c.terminate();
        }
      },
    );

    await t.step("an image Docker lacks says how to build it for Docker", async () => {
      const c = testComputer(engine, work, data, defaults(), {
        image: "interpreter-session:no-such-tag",
      });
      try {
        const out = textOf(await c.run("python", "print(1)"));
        assertStringIncludes(
          out,
          "the image interpreter-session:no-such-tag is not on the container engine",
        );
        assertStringIncludes(out, "ENGINE=docker deno task image");
      } finally {
        await c.terminate();
      }
    });

    await t.step(
      "a granted folder that does not exist: Docker refuses the box and creates nothing",
      async () => {
        const missing = `${work}-missing/deeper`;
        const c = testComputer(engine, work, data, { ...defaults(), write: [work, missing] });
        try {
          const out = textOf(await c.run("python", "print(1)"));
          assertStringIncludes(out, "could not start");
          assertStringIncludes(out, `bind source path does not exist: ${missing}`);
          assertEquals(
            await Deno.stat(`${work}-missing`).then(() => "created", () => "absent"),
            "absent",
          );
        } finally {
          await c.terminate();
          await Deno.remove(`${work}-missing`, { recursive: true }).catch(() => {});
        }
      },
    );

    await t.step(
      "an attach or exec the engine refuses names its reason, not raw JSON",
      async () => {
        const client = new EngineClient(parseEngineAddress(engine.address));
        try {
          const attach = await client.hijack("/containers/nope/attach?stream=1&stdout=1").then(
            () => "",
            (e: Error) => e.message,
          );
          assertStringIncludes(attach, "404 Not Found No such container: nope");
          const exec = await client.hijack("/exec/nope/start", { Detach: false, Tty: false }).then(
            () => "",
            (e: Error) => e.message,
          );
          assertStringIncludes(exec, "404 Not Found No such exec instance: nope");
          assert(!exec.includes("{"), exec);
        } finally {
          client.close();
        }
      },
    );

    await t.step(
      "the engine's socket is out of reach even for root in the box; bound in, it answers",
      async () => {
        // Root in the box (no capabilities): file modes would not stop it, only the mount does.
        const ping = `import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(${JSON.stringify(`${engine.dir}/docker.sock`)})
    s.sendall(b"GET /_ping HTTP/1.0\\r\\n\\r\\n")
    print("engine:", s.recv(4096).decode().split("\\r\\n")[0])
except OSError as e:
    print(type(e).__name__, e.errno)`;
        const root = { limits: { user: "0:0" } };
        const c = testComputer(engine, work, data, defaults(), root);
        try {
          assertEquals(textOf(await c.run("python", "import os\nprint(os.getuid())")), "0\n");
          assertEquals(textOf(await c.run("python", findSockets())), "sockets: []\n");
          assertEquals(textOf(await c.run("python", ping)), "FileNotFoundError 2\n");
        } finally {
          await c.terminate();
        }
        // The engine's folder granted for reading is refused (a socket connects on a read-only
        // mount). The control: a socket of the test's own in a granted folder is found and used.
        const refused = testComputer(
          engine,
          work,
          data,
          { ...defaults(), read: [work, engine.dir] },
          root,
        );
        try {
          assertStringIncludes(
            textOf(await refused.run("python", ping)),
            "the container engine's socket",
          );
        } finally {
          await refused.terminate();
        }
        const decoyDir = await Deno.makeTempDir({ prefix: "oi-decoy-" });
        await Deno.chmod(decoyDir, 0o755);
        const decoy = Deno.listen({ transport: "unix", path: `${decoyDir}/docker.sock` });
        (async () => {
          for await (const conn of decoy) {
            await conn.read(new Uint8Array(512)).catch(() => null);
            await conn.write(new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\n")).catch(() => {});
            conn.close();
          }
        })().catch(() => {});
        const control = testComputer(
          engine,
          work,
          data,
          { ...defaults(), read: [work, decoyDir] },
          root,
        );
        try {
          assertStringIncludes(
            textOf(await control.run("python", findSockets(decoyDir))),
            `${decoyDir}/docker.sock`,
          );
          assertEquals(
            textOf(
              await control.run(
                "python",
                ping.replace(`${engine.dir}/docker.sock`, `${decoyDir}/docker.sock`),
              ),
            ),
            "engine: HTTP/1.0 200 OK\n",
          );
        } finally {
          await control.terminate();
          decoy.close();
          await Deno.remove(decoyDir, { recursive: true }).catch(() => {});
        }
      },
    );

    await t.step(
      "a denied write fails inside the container; the write grant is the control",
      async () => {
        const code = `open(${JSON.stringify(work + "/made.txt")}, "w").write("x")\nprint("wrote")`;
        const readOnly = { ...defaults(), write: [] as string[], read: [work] };
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
          await Deno.remove(`${work}/made.txt`).catch(() => {});
        }
      },
    );

    await t.step(
      "a --deny-write inside a mounted folder holds in the box (mounted over, read-only)",
      async () => {
        // The default permissions deny writes to <cwd>/.git; the box mounts <cwd> whole and
        // .git again, read-only (protect.ts; more cases in container_protect on podman).
        // (Earlier boxes made it empty: a missing denied .git is made so it can be mounted.)
        await Deno.mkdir(`${work}/.git`, { recursive: true });
        await Deno.chown(`${work}/.git`, 1000, 1000);
        const c = testComputer(engine, work, data, defaults());
        const code = `open(${
          JSON.stringify(`${work}/.git/planted`)
        }, "w").write("x")\nprint("wrote")`;
        try {
          assertStringIncludes(textOf(await c.run("python", code)), "Read-only file system");
          assert(!(await Deno.stat(`${work}/.git/planted`).then(() => true, () => false)));
          assert(!c.notes.some((n) => n.startsWith("not enforced")), c.notes.join("; "));
        } finally {
          await c.terminate();
        }
        // Control: with .git no longer denied, the same code writes there.
        const granted = testComputer(engine, work, data, {
          ...defaults(),
          denyWrite: defaults().denyWrite.filter((d) => d !== `${work}/.git`),
        });
        try {
          assertEquals(textOf(await granted.run("python", code)), "wrote\n");
        } finally {
          await granted.terminate();
          await Deno.remove(`${work}/.git`, { recursive: true });
        }
        // The control: with the folder mounted read-only nothing is said, and the write fails.
        const readOnly = testComputer(engine, work, data, {
          ...defaults(),
          write: [],
          read: [work],
        });
        try {
          const code = `open(${JSON.stringify(`${work}/made`)}, "w").write("x")`;
          assertStringIncludes(textOf(await readOnly.run("python", code)), "Read-only file system");
          assert(
            !readOnly.notes.some((n) => n.startsWith("not enforced")),
            readOnly.notes.join("; "),
          );
        } finally {
          await readOnly.terminate();
        }
      },
    );

    await t.step(
      "--deny-net: no network inside; with the network on (the bridge) a host listener answers",
      async () => {
        // A listener on the bridge's host address: only a box on the bridge can reach it.
        const listener = Deno.listen({ hostname: engine.gateway, port: 0 });
        const served = (async () => {
          for await (const conn of listener) {
            await conn.write(new TextEncoder().encode("hello from the host\n")).catch(() => {});
            conn.close();
          }
        })();
        const code = `import socket
s = socket.socket(); s.settimeout(5)
try:
    s.connect((${JSON.stringify(engine.gateway)}, ${listener.addr.port}))
    print("got", s.recv(100).decode().strip())
except OSError as e:
    print(type(e).__name__, e.errno)`;
        try {
          const off = testComputer(
            engine,
            work,
            data,
            permissionsFromFlags({ "allow-all": true, "deny-net": true }, { cwd: work }),
          );
          try {
            assertEquals(textOf(await off.run("python", code)), "OSError 101\n"); // ENETUNREACH
          } finally {
            await off.terminate();
          }
          const on = testComputer(
            engine,
            work,
            data,
            permissionsFromFlags({ "allow-all": true }, {
              cwd: work,
            }),
          );
          try {
            assertEquals(textOf(await on.run("python", code)), "got hello from the host\n");
            const info = await engine.call("GET", `/containers/${on.containerId}/json`) as {
              HostConfig: { NetworkMode: string };
            };
            assertEquals(info.HostConfig.NetworkMode, "bridge");
          } finally {
            await on.terminate();
          }
        } finally {
          listener.close();
          await served.catch(() => {});
        }
      },
    );

    await t.step(
      "network on (the bridge): the host's loopback and abstract sockets stay out of reach; control: the host's network",
      async () => {
        const abstract = `oi-docker-net-${crypto.randomUUID()}`;
        const listener = hostListener(abstract);
        const host = listener.child;
        const probe = networkProbe(await listener.port, abstract, { alias: false });
        try {
          const on = testComputer(engine, work, data, defaults());
          try {
            const out = textOf(await on.run("python", probe));
            assertStringIncludes(out, "default-route True"); // the network is on
            assertStringIncludes(out, "tcp-lo blocked");
            assertStringIncludes(out, "abstract blocked");
          } finally {
            await on.terminate();
          }
          // The control: the same probe in a box on the host's network reaches both.
          const created = await engine.call("POST", "/containers/create", {
            Image: TEST_IMAGE,
            Cmd: ["/usr/bin/python3", "-c", probe],
            User: "1000:1000",
            HostConfig: { NetworkMode: "host", ReadonlyRootfs: true, CapDrop: ["ALL"] },
          }) as { Id: string };
          try {
            await engine.call("POST", `/containers/${created.Id}/start`);
            await engine.call("POST", `/containers/${created.Id}/wait`);
            const logs = String(
              await engine.call("GET", `/containers/${created.Id}/logs?stdout=1&stderr=1`),
            );
            assertStringIncludes(logs, "tcp-lo reached");
            assertStringIncludes(logs, "abstract reached");
          } finally {
            await engine.call("DELETE", `/containers/${created.Id}?force=1`).catch(() => {});
          }
        } finally {
          host.kill();
          await host.status;
          await host.stdout.cancel().catch(() => {});
        }
      },
    );

    await t.step(
      "with a host list only the listed host is reachable, through the proxy bound in",
      async () => {
        const serve = (body: string) =>
          Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(body));
        const allowed = serve("hello from the listed host");
        const other = serve("this must not be reached");
        const fetchCode = (port: number) =>
          `import urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=10).read().decode())
except urllib.error.HTTPError as e:
    print("refused", e.code)`;
        const c = testComputer(engine, work, data, {
          ...defaults(),
          net: [`127.0.0.1:${allowed.addr.port}`],
        });
        try {
          assertEquals(
            textOf(await c.run("python", fetchCode(allowed.addr.port))),
            "hello from the listed host\n",
          );
          const refused = textOf(await c.run("python", fetchCode(other.addr.port)));
          assertStringIncludes(refused, "refused 403");
          assertStringIncludes(refused, `--allow-net=127.0.0.1:${other.addr.port}`);
          assertEquals(
            textOf(await c.run("python", findSockets())),
            "sockets: ['/run/oi-proxy/proxy.sock']\n",
          );
        } finally {
          await c.terminate();
          await allowed.shutdown();
          await other.shutdown();
        }
      },
    );

    await t.step(
      "an interrupted long run stops every process it started; state stays",
      async () => {
        const c = testComputer(engine, work, data, defaults());
        try {
          await c.run("python", "kept = 'yes'");
          const out = textOf(
            await c.run(
              "python",
              "import subprocess, time\nsubprocess.Popen(['sleep', '1000'])\nwhile True: time.sleep(0.1)",
              { timeout: 2 },
            ),
          );
          assertStringIncludes(out, "KeyboardInterrupt");
          assertStringIncludes(out, "stopped: the run took longer than 2 s");
          const ps = await engine.processes(c.containerId!);
          assert(ps.some((p) => p.includes("python3")), `docker top lists the driver:\n${ps}`);
          assert(
            !ps.some((p) => p.includes("sleep 1000")),
            `the sleep survived:\n${ps.join("\n")}`,
          );
          assertEquals(textOf(await c.run("python", "print(kept)")), "yes\n");
          const sh = textOf(await c.run("shell", "sleep 999 & sleep 998", { timeout: 2 }));
          assertStringIncludes(sh, "stopped");
          const after = await engine.processes(c.containerId!);
          assert(!after.some((p) => /sleep 99[89]/.test(p)), `a shell job survived:\n${after}`);
          // stop() from outside (what the server's /stop does).
          const running = c.run("python", "import time\nwhile True: time.sleep(0.05)", {
            timeout: 0,
          });
          await new Promise((resolve) => setTimeout(resolve, 500));
          await c.stop();
          assertStringIncludes(textOf(await running), "KeyboardInterrupt");
          assertEquals(textOf(await c.run("python", "print(kept)")), "yes\n");
        } finally {
          await c.terminate();
        }
      },
    );

    await t.step(
      "JavaScript and TypeScript live in the box's deno; a busy loop is stopped; perl runs inside",
      async () => {
        const c = testComputer(engine, work, data, defaults());
        try {
          await c.run("python", "kept = 'yes'");
          assertEquals(textOf(await c.run("javascript", "let count = 40;\ncount += 1;")), "41\n");
          assertEquals(textOf(await c.run("javascript", "Deno.uid()")), "1000\n");
          const ts = "interface P { n: number }\nconst p: P = { n: count as number };\np.n * 2";
          assertEquals(textOf(await c.run("typescript", ts)), "82\n");
          const ps = await engine.processes(c.containerId!);
          assert(ps.some((p) => p.includes("/usr/local/bin/deno run")), ps.join("\n"));
          const stopped = textOf(await c.run("javascript", "while (true) {}", { timeout: 2 }));
          assertStringIncludes(stopped, "stopped: the run took longer than 2 s");
          const after = await engine.processes(c.containerId!);
          assert(!after.some((p) => p.includes("deno run")), `the busy deno survived:\n${after}`);
          assertEquals(textOf(await c.run("js", "6 * 7")), "42\n");
          assertEquals(textOf(await c.run("perl", 'print "perl ", $<, "\\n";')), "perl 1000\n");
          assertEquals(textOf(await c.run("python", "print(kept)")), "yes\n");
        } finally {
          await c.terminate();
        }
      },
    );

    await t.step(
      "second and third computers reattach and keep state; terminate removes the box",
      async () => {
        const first = testComputer(engine, work, data, defaults(), { session: "s1" });
        await first.run("python", "counter = 10");
        const id = first.containerId!;
        first.detach(); // the instance goes away without removing the container
        // Docker keeps the container's stdin open after the first host's attach ends: the
        // driver is still there, reading its named pipe.
        const info = await engine.call("GET", `/containers/${id}/json`) as {
          State: { Running: boolean };
          Config: { OpenStdin: boolean; StdinOnce: boolean };
        };
        assert(info.State.Running && info.Config.OpenStdin && !info.Config.StdinOnce);
        const second = testComputer(engine, work, data, defaults(), {
          session: "s1",
          container: id,
        });
        assertEquals(textOf(await second.run("python", "counter += 1\ncounter")), "11\n");
        assertEquals(second.containerId, id);
        second.detach();
        const third = testComputer(engine, work, data, defaults(), {
          session: "s1",
          container: id,
        });
        try {
          assertEquals(textOf(await third.run("python", "counter += 1\ncounter")), "12\n");
          assertEquals(third.containerId, id);
          // The detached hosts' input execs ended with their connections: one forwarder left.
          const ps = await engine.processes(id);
          assertEquals(ps.filter((p) => p.startsWith("cat")).length, 1, ps.join("\n"));
        } finally {
          await third.terminate();
        }
        assert(!(await exists(engine, id)), "terminate removed the container");
        // A container of another session is not reattached: a fresh one starts.
        const kept = testComputer(engine, work, data, defaults(), { session: "s2" });
        await kept.run("python", "print(1)");
        const keptId = kept.containerId!;
        kept.detach();
        const other = testComputer(engine, work, data, defaults(), {
          session: "s3",
          container: keptId,
        });
        try {
          assertEquals(textOf(await other.run("python", "print('fresh')")), "fresh\n");
          assert(other.containerId !== keptId);
        } finally {
          await other.terminate();
        }
      },
    );

    await t.step(
      "the CLI: --computer docker runs the model's code in a box, removed at exit",
      async () => {
        // The box's host name is the start of its container id; the engine's events name the box.
        const code = "import socket\nprint('host:', socket.gethostname())";
        const script = () => [{ toolCalls: [{ language: "python", code }] }, { text: "Done." }];
        const fake = startFakeOpenAI({ script: [...script(), ...script()] });
        const home = await Deno.makeTempDir({ prefix: "oi-container-cli-" });
        const created = async (since: number): Promise<{ id: string; instance?: string }[]> => {
          const filters = encodeURIComponent(
            JSON.stringify({ type: ["container"], event: ["create"] }),
          );
          const until = Math.ceil(Date.now() / 1000) + 1;
          const answer = await engine.call(
            "GET",
            `/events?since=${since}&until=${until}&filters=${filters}`,
          );
          const lines = answer === null
            ? []
            : typeof answer === "string"
            ? answer.trim().split("\n")
            : [JSON.stringify(answer)];
          return lines.filter((l) => l.trim()).map((l) => JSON.parse(l)).map((e) => ({
            id: e.id ?? e.Actor?.ID,
            instance: e.Actor?.Attributes?.["io.interpreter.instance"],
          }));
        };
        try {
          const since = Math.floor(Date.now() / 1000) - 1;
          const inBox = await runCli([
            ...modelArgs(fake.url),
            "-y",
            "--computer",
            "docker",
            "--container_engine",
            engine.address,
            "check where you run",
          ], { home, cwd: work, timeoutMs: 120_000 });
          assertEquals(inBox.code, 0, inBox.stderr);
          const host = /host: (\S+)/.exec(inBox.stdout)?.[1] ?? "";
          const boxes = (await created(since)).filter((e) => e.instance === "cli");
          assertEquals(boxes.length, 1, JSON.stringify(boxes));
          assert(host.length === 12 && boxes[0].id.startsWith(host), `${host} / ${boxes[0].id}`);
          const left = await engine.call(
            "GET",
            `/containers/json?all=1&filters=${
              encodeURIComponent(JSON.stringify({ label: ["io.interpreter.instance=cli"] }))
            }`,
          ) as unknown[];
          assertEquals(left.length, 0, "the chat's container was removed at exit");
          // The control: the same code on this machine (bubblewrap) runs in no box of the engine.
          const localSince = Math.floor(Date.now() / 1000);
          const local = await runCli([...modelArgs(fake.url), "-y", "check where you run"], {
            home,
            cwd: home,
            timeoutMs: 120_000,
          });
          assertEquals(local.code, 0, local.stderr);
          const localHost = /host: (\S+)/.exec(local.stdout)?.[1] ?? "";
          assert(localHost && localHost !== host, local.stdout);
          assertEquals(await created(localSince), []);
        } finally {
          await fake.close();
          await Deno.remove(home, { recursive: true }).catch(() => {});
        }
      },
    );
  } finally {
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
