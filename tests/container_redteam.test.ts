/**
 * An attacker's review of the container computer (lib/container, real podman). Each escape
 * test has its control: the same attack where it must work, proving the test would see it.
 *
 * - A read or write grant of a folder holding the engine's socket (directly, or through a
 *   link such as `/var/run` -> `/run`) would bind the socket into the box: a unix socket on a
 *   read-only mount still connects, and the engine is root on this machine. Such a box is
 *   refused; the control is a socket of the test's own in a granted folder, reached from
 *   the box.
 * - The interpreter's own files (its data folder: other conversations, the profile cache, the
 *   full outputs and the proxy's folder the host writes into; Deno's cache; the program) are
 *   kept read-only or hidden in a bubblewrap session whatever the grants. A box mounting a
 *   folder that holds them (a working directory of home) must not read or change them
 *   either; the control is the same code on a sibling folder that is not the program's.
 * - A grant nested in a write grant (`--allow-write=<cwd> --allow-read=<cwd>/sub/ssl`): code
 *   of one box renames `sub` away and puts a link there; the engine (root) follows it when it
 *   mounts the next box (a new session, a pool's refill), which then reads a host folder
 *   nobody granted. A link on the way refuses the box; the control reads a real folder there.
 * - A grant inside (or equal to) a denied path: a bubblewrap session mounts the denial over
 *   the grant (a write grant of `<cwd>/.git/hooks` stays read-only; a write grant of a
 *   read-denied `~/.ssh` stays hidden). A box must not mount the grant over the denial either;
 *   the control is the same grant with the denial lifted.
 * - A pool's sweep removes spares of this host whose owner's pid is gone. An instance in
 *   another pid namespace on the same host (containers sharing the host's name) does not see
 *   this one's pid, and must not take its live spares for stale ones. The control is the
 *   pool test's own (tests/container_pool: a killed process's spare is swept).
 * - The empty volume hiding denied folders stays empty: podman 4.3 ignores the Engine API's
 *   `NoCopy` in `Mounts` and fills a new volume with the image's files at its first mount
 *   point. The create body the program makes (with a fresh volume name, so the shared one is
 *   never touched) leaves a new volume empty; the control, the same body in the `Mounts` form,
 *   fills it.
 * - A write-denied path that does not exist yet inside a mounted folder (`<cwd>/.git` in a
 *   folder that is not a repository) could be made by the box; now a missing `.git` is made
 *   empty and mounted read-only, and any other missing denial refuses the box.
 */
import { join } from "node:path";
import { ContainerComputer } from "../lib/container/computer.ts";
import { engineCreateBody } from "../lib/container/confine.ts";
import { parseEngineAddress } from "../lib/container/engine.ts";
import { EngineBackend } from "../lib/container/engine_backend.ts";
import { BoxPool } from "../lib/container/pool.ts";
import { sessionBox } from "../lib/container/session_box.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import type { Permissions } from "../lib/sandbox/permissions.ts";
import {
  containerWorkspace,
  type PodmanEngine,
  startPodman,
  TEST_IMAGE,
} from "./helpers/podman.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

function text(messages: { content?: unknown }[]): string {
  return messages.map((m) => String(m.content ?? "")).join("");
}

async function run(
  engine: PodmanEngine,
  options: { work: string; data: string; permissions: Permissions },
  code: string,
): Promise<string> {
  const c = new ContainerComputer({
    engine: engine.address,
    cwd: options.work,
    dataDir: options.data,
    permissions: options.permissions,
    instance: "redteam-test",
  });
  try {
    return text(await c.run("python", code));
  } finally {
    await c.terminate();
  }
}

/** Python that sends `GET /_ping` to a unix socket and prints the answer's first line. */
function ping(socket: string): string {
  return `import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(${JSON.stringify(socket)})
    s.sendall(b"GET /_ping HTTP/1.0\\r\\nHost: d\\r\\n\\r\\n")
    print("ANSWER", s.recv(200).split(b"\\r\\n")[0].decode())
except OSError as e:
    print("REFUSED", type(e).__name__)`;
}

/** A unix socket of the test's own answering one line (the control's target). */
function decoy(path: string): { close(): void } {
  const listener = Deno.listen({ transport: "unix", path });
  (async () => {
    for await (const conn of listener) {
      await conn.read(new Uint8Array(512)).catch(() => null);
      await conn.write(new TextEncoder().encode("HTTP/1.0 200 DECOY\r\n\r\n")).catch(() => {});
      conn.close();
    }
  })().catch(() => {});
  return { close: () => listener.close() };
}

Deno.test("container redteam: the engine's socket never reaches a box, whatever is granted", async (t) => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const socket = engine.address.replace(/^unix:\/\//, "");
  const socketDir = socket.slice(0, socket.lastIndexOf("/"));
  // The box's user may open it (as with a `chmod 666`, or a group the box shares): the
  // grant is then all that stands between the box and the engine.
  await Deno.chmod(socketDir, 0o755);
  await Deno.chmod(socket, 0o666);
  const decoyDir = await Deno.makeTempDir({ prefix: "oi-decoy-" });
  await Deno.chmod(decoyDir, 0o755);
  const server = decoy(join(decoyDir, "decoy.sock"));
  await Deno.chmod(join(decoyDir, "decoy.sock"), 0o666);
  const link = `${decoyDir}-link`;
  await Deno.symlink(socketDir, link);
  const granted = (read: string[], write: string[] = [work]): Permissions => ({
    ...defaultPermissions({ cwd: work }),
    read,
    write,
  });
  try {
    await t.step(
      "control: a socket in a read-only granted folder is reached from the box",
      async () => {
        const out = await run(
          engine,
          { work, data, permissions: granted([decoyDir]) },
          ping(join(decoyDir, "decoy.sock")),
        );
        assertStringIncludes(out, "ANSWER HTTP/1.0 200 DECOY");
      },
    );

    await t.step("a read grant of the engine socket's folder refuses the box", async () => {
      const out = await run(
        engine,
        { work, data, permissions: granted([socketDir]) },
        ping(socket),
      );
      assert(!out.includes("ANSWER"), `the box reached the engine: ${out}`);
      assertStringIncludes(out, "could not start");
      assertStringIncludes(out, "the container engine's socket");
    });

    await t.step("a write grant of it, or a link to it, refuses the box too", async () => {
      for (const permissions of [granted([], [work, socketDir]), granted([link])]) {
        const out = await run(engine, { work, data, permissions }, ping(socket));
        assert(!out.includes("ANSWER"), `the box reached the engine: ${out}`);
        assertStringIncludes(out, "the container engine's socket");
      }
    });
  } finally {
    server.close();
    await engine.stop();
    for (const path of [work, data, decoyDir, link]) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
});

Deno.test("container redteam: the interpreter's data folder inside a mounted folder is not the box's", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  // The data folder inside the working directory, owned by the box's user: a home working
  // directory of a person whose uid is the box's (Docker run by a member of its group).
  const data = join(work, ".local-share-interpreter");
  const sibling = join(work, "project");
  try {
    for (const dir of [data, join(data, "conversations"), sibling]) {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.chown(dir, 1000, 1000);
    }
    await Deno.writeTextFile(join(data, "conversations", "other.json"), "OTHER-CHAT-WORDS");
    await Deno.writeTextFile(join(sibling, "notes.json"), "PROJECT-WORDS");
    const attack = (folder: string, file: string) =>
      `import os
try:
    print("READ", open(${JSON.stringify(folder)} + "/" + ${JSON.stringify(file)}).read())
except OSError as e:
    print("NOREAD", type(e).__name__)
try:
    open(${JSON.stringify(folder)} + "/profile_cache.json", "w").write("{}")
    print("WROTE")
except OSError as e:
    print("NOWRITE", type(e).__name__)`;
    const permissions = defaultPermissions({ cwd: work });
    const out = await run(
      engine,
      { work, data, permissions },
      attack(data, "conversations/other.json"),
    );
    assert(!out.includes("OTHER-CHAT-WORDS"), `the box read another conversation: ${out}`);
    assert(!out.includes("WROTE"), `the box wrote into the data folder: ${out}`);
    // The box ran (the attack was tried): both were refused inside it.
    assertStringIncludes(out, "NOREAD FileNotFoundError");
    assertStringIncludes(out, "NOWRITE");
    assert(
      !(await Deno.stat(join(data, "profile_cache.json")).then(() => true, () => false)),
      "a forged profile cache on the host",
    );
    // Control: the same code on a folder that is not the program's reads and writes.
    const control = await run(engine, { work, data, permissions }, attack(sibling, "notes.json"));
    assertStringIncludes(control, "READ PROJECT-WORDS");
    assertStringIncludes(control, "WROTE");
  } finally {
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
});

Deno.test("container redteam: a link planted on the way to a nested grant refuses the next box", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  // A host folder nobody granted, holding a folder of the granted name.
  const outside = await Deno.makeTempDir({ prefix: "oi-outside-" });
  try {
    await Deno.mkdir(join(outside, "ssl"), { recursive: true });
    await Deno.writeTextFile(join(outside, "ssl", "key.txt"), "HOST-ONLY-KEY");
    await Deno.chmod(outside, 0o755);
    await Deno.mkdir(join(work, "sub", "ssl"), { recursive: true });
    await Deno.writeTextFile(join(work, "sub", "ssl", "key.txt"), "GRANTED-KEY");
    await Deno.chown(join(work, "sub"), 1000, 1000);
    const permissions: Permissions = {
      ...defaultPermissions({ cwd: work }),
      write: [work],
      read: [join(work, "sub", "ssl")],
    };
    const options = { work, data, permissions };
    const read = `try:
    print("READ", open(${JSON.stringify(join(work, "sub", "ssl", "key.txt"))}).read())
except OSError as e:
    print("NOREAD", type(e).__name__)`;
    // Control: the granted folder is read from a box.
    assertStringIncludes(await run(engine, options, read), "READ GRANTED-KEY");
    // The first box plants the link (its own folder, renamed: the mount point moves with it).
    const plant = `import os
os.rename(${JSON.stringify(join(work, "sub"))}, ${JSON.stringify(join(work, "old"))})
os.symlink(${JSON.stringify(outside)}, ${JSON.stringify(join(work, "sub"))})
print("planted")`;
    assertStringIncludes(await run(engine, options, plant), "planted");
    assertEquals(await Deno.readLink(join(work, "sub")), outside);
    // The next box must not mount the host folder the link names.
    const out = await run(engine, options, read);
    assert(!out.includes("HOST-ONLY-KEY"), `the box read a folder nobody granted: ${out}`);
    assertStringIncludes(out, `${join(work, "sub")} is a symbolic link`);
  } finally {
    await engine.stop();
    for (const path of [work, data, outside]) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
});

Deno.test("container redteam: a grant inside a denied path does not lift the denial in the box", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const secret = await Deno.makeTempDir({ prefix: "oi-secret-" });
  try {
    await Deno.mkdir(join(work, ".git", "hooks"), { recursive: true });
    await Deno.chown(join(work, ".git", "hooks"), 1000, 1000);
    await Deno.writeTextFile(join(secret, "id_key"), "PRIVATE-KEY");
    await Deno.chmod(secret, 0o755);
    const defaults = defaultPermissions({ cwd: work });
    const hooks = join(work, ".git", "hooks");
    const plant = `try:
    open(${JSON.stringify(join(hooks, "pre-commit"))}, "w").write("echo pwned")
    print("PLANTED")
except OSError as e:
    print("REFUSED", type(e).__name__)`;
    // A write grant of .git/hooks while .git stays denied.
    const hooksGranted = { ...defaults, write: [work, hooks] };
    assert(defaults.denyWrite.includes(join(work, ".git")));
    const out = await run(engine, { work, data, permissions: hooksGranted }, plant);
    assertStringIncludes(out, "REFUSED");
    assert(!(await Deno.stat(join(hooks, "pre-commit")).then(() => true, () => false)));
    // A write grant of the denied .git itself, beside the working folder: read-only too.
    const gitGranted = { ...defaults, write: [work, join(work, ".git")] };
    assertStringIncludes(
      await run(engine, { work, data, permissions: gitGranted }, plant),
      "REFUSED",
    );
    // A write grant of a read-denied folder.
    const read = `try:
    print("READ", open(${JSON.stringify(join(secret, "id_key"))}).read())
except OSError as e:
    print("NOREAD", type(e).__name__)`;
    const secretGranted = {
      ...defaults,
      write: [work, secret],
      denyRead: [...defaults.denyRead, secret],
    };
    const hidden = await run(engine, { work, data, permissions: secretGranted }, read);
    assert(!hidden.includes("PRIVATE-KEY"), `the box read a denied folder: ${hidden}`);
    assertStringIncludes(hidden, "NOREAD");
    // Controls: with the denials lifted, the same grants work.
    const lifted = {
      ...hooksGranted,
      denyWrite: defaults.denyWrite.filter((d) => d !== join(work, ".git")),
    };
    assertStringIncludes(await run(engine, { work, data, permissions: lifted }, plant), "PLANTED");
    const readable = { ...defaults, write: [work, secret] };
    assertStringIncludes(
      await run(engine, { work, data, permissions: readable }, read),
      "READ PRIVATE-KEY",
    );
  } finally {
    await engine.stop();
    for (const path of [work, data, secret]) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
});

const SWEEPER = `
import { parseEngineAddress } from "${new URL("../lib/container/engine.ts", import.meta.url)}";
import { EngineBackend } from "${new URL("../lib/container/engine_backend.ts", import.meta.url)}";
import { BoxPool } from "${new URL("../lib/container/pool.ts", import.meta.url)}";
import { sessionBox } from "${new URL("../lib/container/session_box.ts", import.meta.url)}";
import { defaultPermissions } from "${new URL("../lib/sandbox/defaults.ts", import.meta.url)}";
const [address, cwd, data] = Deno.args;
const pool = new BoxPool(new EngineBackend(parseEngineAddress(address)), { size: 1, instance: "redteam-sweeper" });
const shape = sessionBox({ permissions: { ...defaultPermissions({ cwd }), net: false }, cwd, hostEnv: {}, dataDir: data });
pool.prime(shape);
while (pool.readyCount < 1) await new Promise((r) => setTimeout(r, 50));
console.log("swept, pid " + Deno.pid);
await pool.close();
`;

Deno.test("container redteam: a pool in another pid namespace of this host never sweeps live spares", async () => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const pool = new BoxPool(new EngineBackend(parseEngineAddress(engine.address)), {
    size: 1,
    instance: "redteam-owner",
    ownsBackend: true,
  });
  const shape = sessionBox({
    permissions: { ...defaultPermissions({ cwd: work }), net: false },
    cwd: work,
    hostEnv: {},
    dataDir: data,
  });
  try {
    pool.prime(shape);
    for (let i = 0; i < 600 && pool.readyCount < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [spare] = pool.readyIds;
    assert(spare, "a spare is ready");
    const script = join(data, "sweeper.ts");
    await Deno.writeTextFile(script, SWEEPER);
    const out = await new Deno.Command("unshare", {
      args: [
        "--pid",
        "--fork",
        "--mount-proc",
        Deno.execPath(),
        "run",
        "-A",
        script,
        engine.address,
        work,
        data,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    // The sweeper ran in its own pid namespace, where this process's pid is not seen.
    assert(/swept, pid \d+/.test(said), said);
    const names = await engine.podman("ps", "-a", "--format", "{{.ID}}", "--no-trunc");
    assert(names.includes(spare), "the live pool's spare was removed by another pool's sweep");
  } finally {
    await pool.close();
    await engine.stop();
    for (const path of [work, data]) await Deno.remove(path, { recursive: true }).catch(() => {});
  }
});

Deno.test("container redteam: the volume hiding denied folders gets nothing from the image", async () => {
  const engine = await startPodman();
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: engine.address.replace(/^unix:\/\//, "") },
  });
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`http://engine/v1.41${path}`, {
      method,
      client,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const volumes: string[] = [];
  /** Runs a box hiding /usr/share/doc (the image has files there); what the volume holds. */
  const filled = async (form: "program" | "mounts"): Promise<string> => {
    const volume = `oi-redteam-empty-${crypto.randomUUID().slice(0, 8)}`;
    volumes.push(volume);
    const body = engineCreateBody({
      image: TEST_IMAGE,
      cmd: ["/bin/true"],
      env: {},
      user: "1000:1000",
      workdir: "/tmp",
      labels: {},
      writes: [],
      reads: [],
      protected: [{ path: "/usr/share/doc", mode: "hidden", kind: "dir" }],
      network: false,
      pidsLimit: 64,
      memory: 256 * 1024 * 1024,
    });
    const host = body.HostConfig as Record<string, unknown>;
    const json = JSON.stringify(host).replaceAll("interpreter-empty", volume);
    const fresh = JSON.parse(json) as Record<string, unknown>;
    if (form === "mounts") {
      // The same hiding mount in the Engine API's Mounts form, NoCopy set.
      delete fresh.Binds;
      fresh.Mounts = [{
        Type: "volume",
        Source: volume,
        Target: "/usr/share/doc",
        ReadOnly: true,
        VolumeOptions: { NoCopy: true },
      }];
    }
    assert(json.includes(volume), `the body hides with the empty volume: ${json}`);
    const created = await call("POST", "/containers/create", { ...body, HostConfig: fresh }) as {
      Id: string;
    };
    try {
      await call("POST", `/containers/${created.Id}/start`);
      await call("POST", `/containers/${created.Id}/wait`);
    } finally {
      await call("DELETE", `/containers/${created.Id}?force=1`);
    }
    return await engine.podman(
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      `${volume}:/v:ro`,
      TEST_IMAGE,
      "/bin/sh",
      "-c",
      "ls -A /v",
    );
  };
  try {
    assertEquals(await filled("program"), "", "the program's body leaves the volume empty");
    // Control: the Mounts form copies the image's files in.
    assert((await filled("mounts")).trim() !== "", "the Mounts form filled the volume");
  } finally {
    for (const volume of volumes) await engine.podman("volume", "rm", "-f", volume).catch(() => "");
    client.close();
    await engine.stop();
  }
});

Deno.test({
  // Was a gap: a missing write-denied .git is now made empty (git ignores it) and mounted
  // read-only (protect.ts); container_protect covers the other missing denials.
  name: "container redteam: a missing denied <cwd>/.git cannot be made by the box",
  async fn() {
    const engine = await startPodman();
    const work = await containerWorkspace();
    const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
    const plant = `import os
try:
    os.makedirs(".git")
    open(".git/config", "w").write("[core]\\n\\tfsmonitor = touch /tmp/pwned\\n")
    print("PLANTED")
except OSError as e:
    print("REFUSED", type(e).__name__)`;
    try {
      const permissions = defaultPermissions({ cwd: work });
      const out = await run(engine, { work, data, permissions }, plant);
      assertStringIncludes(out, "REFUSED");
      assertEquals([...Deno.readDirSync(join(work, ".git"))], [], "only the empty stand-in");
      await Deno.remove(join(work, ".git")); // the control's box makes its own
      // Control: with .git granted the same code plants the repository's configuration.
      const granted = {
        ...permissions,
        denyWrite: permissions.denyWrite.filter((d) => !d.endsWith("/.git")),
      };
      assertStringIncludes(
        await run(engine, { work, data, permissions: granted }, plant),
        "PLANTED",
      );
    } finally {
      await engine.stop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
});
