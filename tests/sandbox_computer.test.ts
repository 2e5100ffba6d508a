/**
 * The real Computer under the sandbox: live python/bash/JS sessions keep
 * their state inside bubblewrap, escapes fail and the model is told what was
 * denied and which flag would allow it, stop() interrupts without losing the
 * session, terminate() leaves nothing behind.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { processesWith, textOf, waitUntil } from "./helpers/computer_helpers.ts";
import {
  sandboxSkipReason,
  withFixture,
  withSandboxedComputer,
} from "./helpers/sandbox_fixture.ts";

const skip = await sandboxSkipReason();
if (skip) console.log(`sandbox computer tests skipped: ${skip}`);
const hasPython = await new Deno.Command("python3", { args: ["-c", "1"] }).output().then(
  (o) => o.success,
  () => false,
);

Deno.test({
  name: "computer + sandbox: python keeps state; escapes fail and the model is told the flag",
  ignore: !!skip || !hasPython,
  async fn() {
    await withSandboxedComputer({}, async (computer, fx) => {
      assertEquals(
        textOf(await computer.run("python", "x = 41\n_ = open('made.txt', 'w').write('ok')")),
        "",
      );
      assertEquals(textOf(await computer.run("python", "x + 1")), "42\n");
      assertEquals(await Deno.readTextFile(join(fx.work, "made.txt")), "ok");

      const write = textOf(
        await computer.run("python", `open(${JSON.stringify(join(fx.outside, "x.txt"))}, "w")`),
      );
      assertStringIncludes(write, "Read-only file system");
      assertStringIncludes(write, `[sandbox] Writing ${join(fx.outside, "x.txt")} was denied`);
      assertStringIncludes(write, `--allow-write=${fx.outside}`);

      const secret = textOf(
        await computer.run("python", `print(open(${JSON.stringify(fx.secretFile)}).read())`),
      );
      assert(!secret.includes("SECRET-KEY-MATERIAL"), secret);
      assertStringIncludes(secret, "[sandbox]");
      assertStringIncludes(secret, `--allow-read=${join(fx.home, ".ssh")}`);
      // The session survived the errors.
      assertEquals(textOf(await computer.run("python", "x")), "41\n");
    });
  },
});

Deno.test({
  name: "computer + sandbox: a host list lets python reach one host; others get a 403 and a note",
  ignore: !!skip || !hasPython,
  async fn() {
    await withFixture(async (fx0) => {
      const allowed = fx0.allowedPort;
      await withSandboxedComputer({ "allow-net": `127.0.0.1:${allowed}` }, async (computer) => {
        const ok = textOf(
          await computer.run(
            "python",
            `import urllib.request\nprint(urllib.request.urlopen("http://127.0.0.1:${allowed}/", timeout=10).read())`,
          ),
        );
        assertStringIncludes(ok, "allowed-host-ok");
        const refused = textOf(
          await computer.run(
            "python",
            `urllib.request.urlopen("http://127.0.0.1:${fx0.otherPort}/", timeout=10).read()`,
          ),
        );
        assertStringIncludes(refused, "403");
        assert(!refused.includes("other-host-reached"));
        assertStringIncludes(
          refused,
          `[sandbox] Network access to 127.0.0.1:${fx0.otherPort} was denied`,
        );
        assertStringIncludes(refused, `--allow-net=127.0.0.1:${fx0.otherPort} would allow it`);
      });
    });
  },
});

Deno.test({
  name: "computer + sandbox: stop() interrupts python inside the sandbox and keeps the session",
  ignore: !!skip || !hasPython,
  async fn() {
    await withSandboxedComputer({}, async (computer) => {
      await computer.run("python", "state = 'kept'");
      let out = "";
      for await (
        const chunk of computer.stream(
          "python",
          "import time\nprint('sleeping', flush=True)\ntime.sleep(60)",
        )
      ) {
        if (chunk.format !== "output" || typeof chunk.content !== "string") continue;
        out += chunk.content;
        if (out.includes("sleeping")) await computer.stop();
      }
      assertStringIncludes(out, "KeyboardInterrupt");
      assertEquals(textOf(await computer.run("python", "state")), "'kept'\n");
    });
  },
});

Deno.test({
  name:
    "computer + sandbox: shell keeps state; background jobs die at terminate; denied programs are named",
  ignore: !!skip,
  async fn() {
    const marker = `4242.${Math.floor(Math.random() * 1e6)}`;
    await withSandboxedComputer({ "deny-run": "curl" }, async (computer, fx) => {
      assertEquals(
        textOf(await computer.run("shell", "cd sub 2>/dev/null || mkdir sub && cd sub; V=7")),
        "",
      );
      assertEquals(textOf(await computer.run("shell", "echo $V $(basename $PWD)")), "7 sub\n");
      const curl = textOf(await computer.run("shell", "curl --version"));
      assertStringIncludes(curl, "Permission denied");
      assertStringIncludes(curl, "[sandbox] Running curl was denied (--deny-run=curl)");
      const outside = textOf(await computer.run("shell", `echo x > ${fx.outside}/y.txt`));
      assertStringIncludes(outside, `--allow-write=${fx.outside}`);
      await computer.run(
        "shell",
        `setsid nohup sleep ${marker} >/dev/null 2>&1 &\nsleep ${marker} &`,
      );
      assert(
        await waitUntil(() => processesWith(marker).length >= 2),
        "background jobs run between runs",
      );
      await computer.terminate();
      await waitUntil(() => processesWith(marker).length === 0);
      assertEquals(processesWith(marker), []);
    });
  },
});

Deno.test({
  name: "computer + sandbox: JavaScript gets Deno's own errors and the session temp dir",
  ignore: !!skip,
  async fn() {
    await withSandboxedComputer({}, async (computer, fx) => {
      const denied = textOf(
        await computer.run(
          "javascript",
          `await Deno.readTextFile(${JSON.stringify(fx.secretFile)})`,
        ),
      );
      assertStringIncludes(denied, "NotCapable");
      assertStringIncludes(denied, "[sandbox]");
      const tmp = textOf(
        await computer.run(
          "javascript",
          `const f = Deno.env.get("TMPDIR") + "/t.txt"; await Deno.writeTextFile(f, "ok"); await Deno.readTextFile(f)`,
        ),
      );
      assertEquals(tmp, '"ok"\n');
    });
  },
});

const hasPerl = await new Deno.Command("perl", { args: ["-e", "1"] }).output().then(
  (o) => o.success,
  () => false,
);

Deno.test({
  name: "computer + sandbox: perl one-shot runs are confined too",
  ignore: !!skip || !hasPerl,
  async fn() {
    await withSandboxedComputer({ "deny-net": true }, async (computer, fx) => {
      const out = textOf(
        await computer.run(
          "perl",
          `open(my $w, ">", "made.txt") or die "work: $!"; print $w "ok"; close($w); print "work ok\\n";
open(my $o, ">", "${fx.outside}/p.txt") or print "outside denied: $!\\n";
open(my $s, "<", "${fx.secretFile}") or print "secret denied: $!\\n";
use IO::Socket::INET; IO::Socket::INET->new(PeerAddr => "127.0.0.1:${fx.allowedPort}", Timeout => 5) or print "net denied: $!\\n";`,
        ),
      );
      assertStringIncludes(out, "work ok");
      assertStringIncludes(out, "outside denied: Read-only file system");
      assertStringIncludes(out, "secret denied: Permission denied");
      assertStringIncludes(out, "net denied");
      assertEquals(await Deno.readTextFile(join(fx.work, "made.txt")), "ok");
      assert(!(await Deno.stat(join(fx.outside, "p.txt")).then(() => true, () => false)));
    });
  },
});

Deno.test({
  name:
    "computer + sandbox: without bubblewrap, code does not run and the error says how to fix it",
  ignore: Deno.build.os !== "linux" || !hasPython,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sandbox-nobwrap-" });
    try {
      // A PATH with python but no bwrap.
      const bin = join(dir, "bin");
      await Deno.mkdir(bin);
      const python = (await new Deno.Command("python3", {
        args: ["-c", "import sys; print(sys.executable)"],
      }).output()).stdout;
      await Deno.symlink(
        await Deno.realPath(new TextDecoder().decode(python).trim()),
        join(bin, "python3"),
      );
      const script = join(dir, "run.ts");
      // the workspace beside bin/: a program in the working directory is never used (class 3)
      const work = join(dir, "work");
      await Deno.mkdir(work);
      const computerUrl = new URL("../lib/computer/mod.ts", import.meta.url).href;
      const sandboxUrl = new URL("../lib/sandbox/mod.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { Computer } from ${JSON.stringify(computerUrl)};
import { defaultPermissions, allowAll } from ${JSON.stringify(sandboxUrl)};
const confined = new Computer({ permissions: defaultPermissions({ cwd: ${
          JSON.stringify(work)
        } }), cwd: ${JSON.stringify(work)} });
const out = await confined.run("python", "open('ran.txt', 'w').write('x')");
console.log(JSON.stringify(out.map((m) => m.content).join("")));
await confined.terminate();
const open = new Computer({ permissions: allowAll(), cwd: ${JSON.stringify(work)} });
console.log(JSON.stringify((await open.run("python", "print('unconfined ok')")).map((m) => m.content).join("")));
await open.terminate();
`,
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-lock",
          "--no-check",
          "--config",
          new URL("../deno.json", import.meta.url).pathname,
          script,
        ],
        env: { ...Deno.env.toObject(), PATH: bin },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertStringIncludes(stdout, "Code not run: no OS sandbox");
      assertStringIncludes(stdout, "install bubblewrap");
      assertStringIncludes(stdout, "-A / --allow-all");
      assertStringIncludes(stdout, "unconfined ok");
      assert(
        !(await Deno.stat(join(work, "ran.txt")).then(() => true, () => false)),
        "nothing ran",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "computer + sandbox: under --allow-run=<list> the sessions still start; other programs are named",
  ignore: !!skip || !hasPython,
  async fn() {
    await withSandboxedComputer({ "allow-run": "ls" }, async (computer) => {
      const py = textOf(
        await computer.run(
          "python",
          "import subprocess\nprint(subprocess.run(['ls', '/'], capture_output=True).returncode)\nsubprocess.run(['cat', '/etc/hostname'])",
        ),
      );
      assertStringIncludes(py, "0\n");
      assertStringIncludes(py, "--allow-run=cat would allow it");
      const sh = textOf(
        await computer.run("shell", "ls / >/dev/null && echo listed; cat /etc/hostname"),
      );
      assertStringIncludes(sh, "listed");
      assertStringIncludes(sh, "[sandbox] Running cat is not allowed (programs are limited to ls)");
    });
  },
});
