/**
 * Denials inside a mounted folder hold in the box (lib/container/protect.ts, real podman):
 * the default write denial of `<cwd>/.git` (a planted hook would run on the host later) and a
 * read denial of a secret inside the working directory, each with its control (the same code
 * with the path granted). A link on the way to a denied path refuses the box with one line; a
 * missing `.git` is made empty (git ignores it) and read-only; any other missing write denial
 * refuses the box.
 */
import type { ContainerComputer } from "../lib/container/computer.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { containerWorkspace, startPodman } from "./helpers/podman.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { testComputer } from "./helpers/container_computer.ts";

async function run(c: ContainerComputer, code: string): Promise<string> {
  try {
    return textOf(await c.run("python", code));
  } finally {
    await c.terminate();
  }
}

Deno.test("container: denials inside the mounted working folder hold in the box; granting is the control", async (t) => {
  const engine = await startPodman();
  const work = await containerWorkspace();
  const data = await Deno.makeTempDir({ prefix: "oi-container-data-" });
  const defaults = () => defaultPermissions({ cwd: work });
  try {
    await Deno.mkdir(`${work}/.git/hooks`, { recursive: true });
    await Deno.chown(`${work}/.git`, 1000, 1000);
    await Deno.chown(`${work}/.git/hooks`, 1000, 1000);
    const hook = `${work}/.git/hooks/pre-commit`;
    const plant = `open(${JSON.stringify(hook)}, "w").write("#!/bin/sh\\necho pwned\\n")
print("planted")`;

    await t.step("the default write denial of .git: a hook cannot be planted", async () => {
      const c = testComputer(engine, work, data, defaults());
      assert(defaults().denyWrite.includes(`${work}/.git`), "the default denies .git");
      assertStringIncludes(await run(c, plant), "Read-only file system");
      assert(!(await Deno.stat(hook).then(() => true, () => false)), "no hook on the host");
      assert(!c.notes.some((n) => n.startsWith("not enforced")), c.notes.join("; "));
      // Control: with .git granted (no longer denied), the same code plants it.
      const granted = {
        ...defaults(),
        denyWrite: defaults().denyWrite.filter((d) => !d.endsWith("/.git")),
      };
      assertEquals(await run(testComputer(engine, work, data, granted), plant), "planted\n");
      assertStringIncludes(await Deno.readTextFile(hook), "pwned");
      await Deno.remove(hook);
    });

    await t.step("a read denial inside the folder: a file and a folder are hidden", async () => {
      await Deno.writeTextFile(`${work}/token.txt`, "TOKEN-123");
      await Deno.mkdir(`${work}/keys`);
      await Deno.writeTextFile(`${work}/keys/id`, "KEY-456");
      const code = `for p in ("token.txt", "keys/id"):
    try:
        print(p, repr(open(p).read()))
    except OSError as e:
        print(p, type(e).__name__)`;
      const denied = {
        ...defaults(),
        denyRead: [...defaults().denyRead, `${work}/token.txt`, `${work}/keys`],
      };
      const out = await run(testComputer(engine, work, data, denied), code);
      assert(!out.includes("TOKEN-123") && !out.includes("KEY-456"), out);
      assertStringIncludes(out, "token.txt ''");
      assertStringIncludes(out, "keys/id FileNotFoundError");
      // Writing into the hidden folder fails too (its empty stand-in is not the code's).
      const write = `open("keys/new", "w").write("x")`;
      assertStringIncludes(await run(testComputer(engine, work, data, denied), write), "Error");
      assert(!(await Deno.stat(`${work}/keys/new`).then(() => true, () => false)));
      // Control: without the denial both are read.
      const control = await run(testComputer(engine, work, data, defaults()), code);
      assertStringIncludes(control, "TOKEN-123");
      assertStringIncludes(control, "KEY-456");
    });

    await t.step("a link on the way to a denied path refuses the box with one line", async () => {
      await Deno.remove(`${work}/.git`, { recursive: true });
      await Deno.symlink("/etc", `${work}/.git`);
      const c = testComputer(engine, work, data, defaults());
      const out = await run(c, "print('ran')");
      assert(!out.includes("ran\n"), out);
      assertStringIncludes(out, `${work}/.git is a symbolic link inside a mounted folder`);
      assertStringIncludes(out, "remove the link, or grant the path");
      await Deno.remove(`${work}/.git`);
    });

    await t.step(
      "a missing .git is made empty and read-only; another missing denial refuses the box",
      async () => {
        // A folder that is not a repository: the box must not make one (a .git/config whose
        // fsmonitor the host's next `git status` would run).
        const plant = `import os
try:
    os.makedirs(".git", exist_ok=True)
    open(".git/config", "w").write("[core]\\n\\tfsmonitor = touch /tmp/pwned\\n")
    print("PLANTED")
except OSError as e:
    print("REFUSED", type(e).__name__)`;
        assertStringIncludes(
          await run(testComputer(engine, work, data, defaults()), plant),
          "REFUSED",
        );
        assertEquals([...Deno.readDirSync(`${work}/.git`)], [], "an empty .git, which git ignores");
        const git = await new Deno.Command("git", { args: ["status"], cwd: work, stderr: "piped" })
          .output();
        assertStringIncludes(new TextDecoder().decode(git.stderr), "not a git repository");
        // Control: with .git not denied (and the empty one gone), the same code makes it.
        await Deno.remove(`${work}/.git`);
        const granted = {
          ...defaults(),
          denyWrite: defaults().denyWrite.filter((d) => !d.endsWith("/.git")),
        };
        assertStringIncludes(
          await run(testComputer(engine, work, data, granted), plant),
          "PLANTED",
        );
        await Deno.remove(`${work}/.git`, { recursive: true });
        // Any other missing write denial refuses the box, with what to do.
        const missing = { ...defaults(), denyWrite: [...defaults().denyWrite, `${work}/.profile`] };
        const out = await run(testComputer(engine, work, data, missing), "print('ran')");
        assert(!out.includes("ran\n"), out);
        assertStringIncludes(out, `${work}/.profile is write-denied but not there yet`);
        assertStringIncludes(out, `--allow-write=${work}/.profile`);
        assert(!(await Deno.stat(`${work}/.profile`).then(() => true, () => false)));
      },
    );
  } finally {
    await engine.stop();
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
});
