/**
 * Code faults that used to hang a run or spill into the next one (issue 11,
 * items 1-3): a full disk while the full output is written, code that
 * redirects or closes its own standard output, and Python code that
 * daemonises by double fork.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf, withComputer } from "./helpers/computer_helpers.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import type { ComputerOptions } from "../lib/computer/types.ts";
import type { Computer } from "../lib/computer/mod.ts";

/** A computer working in a fresh folder, sandboxed; `fn` gets the folder too. */
async function inWorkspace(
  options: ComputerOptions,
  fn: (computer: Computer, work: string) => Promise<void>,
): Promise<void> {
  const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "faults-work-" }));
  try {
    await withComputer(
      { cwd: work, permissions: defaultPermissions({ cwd: work }), timeout: 20, ...options },
      (computer) => fn(computer, work),
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** Runs `code` and returns its text and how long it took (ms). */
async function timed(computer: Computer, language: string, code: string) {
  const started = performance.now();
  const text = textOf(await computer.run(language, code));
  return { text, ms: performance.now() - started };
}

Deno.test("faults: shell code that redirects its output to a file ends with its code; no records in the file", async () => {
  await inWorkspace({}, async (computer, work) => {
    const { text, ms } = await timed(
      computer,
      "shell",
      "exec >build.log 2>&1\necho building\necho warning >&2\necho done",
    );
    assert(ms < 10_000, `ended with the code, not the time limit (${ms} ms)`);
    assert(!text.includes("stopped after"), text);
    assertEquals(await Deno.readTextFile(join(work, "build.log")), "building\nwarning\ndone\n");
    // the next run's output reaches the model again
    assertEquals(textOf(await computer.run("shell", "echo next")), "next\n");
    assertEquals(await Deno.readTextFile(join(work, "build.log")), "building\nwarning\ndone\n");
  });
});

Deno.test("faults: shell code that closes its stdout and stderr ends with its code; the next run is clean", async () => {
  await inWorkspace({}, async (computer) => {
    const { text, ms } = await timed(
      computer,
      "shell",
      "echo before\nexec 1>&- 2>&-\necho lost\ntrue",
    );
    assert(ms < 10_000, `ended with the code (${ms} ms)`);
    assertEquals(text, "before\n");
    assertEquals(textOf(await computer.run("shell", "echo next; echo err >&2")), "next\nerr\n");
    // and code that takes over fds of its own (3, 10, 11, {var}) does not break the session
    const { text: third, ms: took } = await timed(
      computer,
      "shell",
      "exec 3>fd3.txt 10>fd10.txt 11>fd11.txt {mine}>fdvar.txt\necho three >&3\necho ten >&10\n" +
        "echo var >&$mine\necho shown",
    );
    assert(took < 10_000, `ended with the code (${took} ms)`);
    assertEquals(third, "shown\n");
    assertEquals(
      textOf(await computer.run("shell", "cat fd3.txt fd10.txt fd11.txt fdvar.txt")),
      "three\nten\nvar\n",
    );
  });
});

Deno.test("faults: python code that closes or replaces its stdout ends with its code; the next run is clean", async () => {
  await inWorkspace({}, async (computer, work) => {
    let result = await timed(
      computer,
      "python",
      "import os\nprint('before', flush=True)\nos.close(1)\nos.close(2)",
    );
    assert(result.ms < 10_000, `ended with the code (${result.ms} ms)`);
    assertEquals(result.text, "before\n");
    assertEquals(
      textOf(
        await computer.run("python", "import sys\nprint('next')\nprint('err', file=sys.stderr)"),
      ),
      "next\nerr\n",
    );

    result = await timed(
      computer,
      "python",
      "import sys\nsys.stdout = open('out.txt', 'w')\nprint('to the file')",
    );
    assertEquals(result.text, "");
    assertEquals(textOf(await computer.run("python", "print('back')")), "back\n");
    assertEquals(await Deno.readTextFile(join(work, "out.txt")), "to the file\n");

    // closing the stream object itself (fd 1 goes with it)
    result = await timed(computer, "python", "import sys\nsys.stdout.close()");
    assertEquals(textOf(await computer.run("python", "print('reopened')")), "reopened\n");
    // a wrapper around the original stream is the code's choice and stays
    await computer.run(
      "python",
      "import io, sys\nsys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding='utf-8', line_buffering=True)\nwrapped = sys.stdout",
    );
    assertEquals(textOf(await computer.run("python", "print(sys.stdout is wrapped)")), "True\n");
    assert(!(await Deno.readTextFile(join(work, "out.txt"))).includes("\x1e"));
  });
});

Deno.test("faults: javascript code that closes stdout ends with its code", async () => {
  await inWorkspace({}, async (computer) => {
    // Deno.stdout.close(): the driver still reaches fd 1
    let result = await timed(
      computer,
      "javascript",
      "console.log('before');\nDeno.stdout.close();\n1",
    );
    assert(result.ms < 10_000, `ended with the code (${result.ms} ms)`);
    assertStringIncludes(result.text, "before\n");
    // (console.log stays broken in that session: Deno cannot reopen it) a new session:
    await computer.terminate();
    // node:fs closeSync(1) and (2): nothing reaches the output any more: the session ends now
    result = await timed(
      computer,
      "javascript",
      "import { closeSync } from 'node:fs';\nconsole.log('before');\ncloseSync(1);\ncloseSync(2);",
    );
    assert(result.ms < 10_000, `ended with the code (${result.ms} ms)`);
    assertStringIncludes(result.text, "before\n");
    assertStringIncludes(result.text, "session ended");
    assertEquals(textOf(await computer.run("javascript", "console.log('next')")), "next\n");
  });
});

Deno.test("faults: python code that daemonises by double fork and closes fds 0-2 leaves no traceback, here or in the next block", async () => {
  await inWorkspace({}, async (computer, work) => {
    const code = `import os, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() > 0:
        sys.exit(0)
    sys.stdout.flush(); sys.stderr.flush()
    for fd in (0, 1, 2):
        os.close(fd)
    time.sleep(0.5)
    open('daemon.txt', 'w').write('daemon ran')
    sys.exit(0)
os.waitpid(pid, 0)
print("started daemon")`;
    const { text } = await timed(computer, "python", code);
    assertEquals(text, "started daemon\n");
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 3; i++) {
      assertEquals(
        textOf(await computer.run("python", `print("next block ${i}")`)),
        `next block ${i}\n`,
      );
    }
    assertEquals(await Deno.readTextFile(join(work, "daemon.txt")), "daemon ran");
    // a forked child that falls off the end of the code ends there too (no second driver)
    const fell = textOf(
      await computer.run(
        "python",
        "import os\nchild = os.fork()\nif child: os.waitpid(child, 0)\nprint('pid', 'parent' if child else 'child')",
      ),
    );
    assertEquals(fell.split("\n").filter(Boolean).sort(), ["pid child", "pid parent"]);
    assertEquals(textOf(await computer.run("python", "print('in step')")), "in step\n");
  });
});

const isRoot = Deno.uid() === 0;
if (!isRoot) console.log("skipping the full-disk tests: mounting a small tmpfs needs root");

/** Runs `fn` with a 64 KiB tmpfs mounted on a fresh folder (root only). */
async function withFullDisk(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "faults-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
  }).output();
  assert(mount.success, new TextDecoder().decode(mount.stderr));
  try {
    await fn(dir);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [language, code] of [
    ["shell", "head -c 600000 /dev/urandom | base64 -w 100; echo LAST-LINE"],
    [
      "python",
      "import base64, os\nfor i in range(8000): print(base64.b64encode(os.urandom(75)).decode())\nprint('LAST-LINE')",
    ],
  ]
) {
  Deno.test({
    name:
      `faults: a full disk while the full output is written: the run ends with its code and says the file could not be saved (${language})`,
    ignore: !isRoot,
    fn: async () => {
      // Control: on a disk with room, the same run keeps its full output in a file.
      await inWorkspace({}, async (computer) => {
        const { text } = await timed(computer, language, code);
        const path = text.match(/Full output: (\S+\.log)/)?.[1];
        assert(path, text);
        assert((await Deno.stat(path)).size > 600_000);
      });
      await withFullDisk(async (full) => {
        await inWorkspace({ dataDir: full, timeout: 60 }, async (computer) => {
          const { text, ms } = await timed(computer, language, code);
          assert(ms < 30_000, `ended with the code (${ms} ms)`);
          assert(!text.includes("stopped after"), text);
          assertStringIncludes(text, "The full output could not be saved: No space left on device");
          assert(text.trimEnd().endsWith("LAST-LINE"), text.slice(-200));
          // nothing half-written is left to fill the disk, and the session goes on
          const left = [...Deno.readDirSync(join(full, "outputs"))];
          assertEquals(left, []);
          const next = language === "shell" ? "echo next" : "print('next')";
          assertEquals(textOf(await computer.run(language, next)), "next\n");
        });
      });
    },
  });
}
