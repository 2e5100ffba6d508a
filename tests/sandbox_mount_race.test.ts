/**
 * A host socket folder that vanishes between the sandbox's search and
 * bubblewrap's mount fails the start; the computer tries again. These tests
 * check that the recognised message is the one the real bubblewrap prints for
 * each kind of mask, and that other failures are not taken for it.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { isVanishedMount } from "../lib/sandbox/mount_race.ts";
import { missingPrograms } from "./helpers/requirements.ts";

const missing = missingPrograms("sandbox mount race tests", { bwrap: ["--version"] });

async function bwrapOutput(args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command("bwrap", { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: out.code, text: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test({
  name: "mount race: bubblewrap's errors for a vanished folder mask and file mask are recognised",
  ignore: !!missing,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mount-race-" });
    const gone = `${dir}/vanished`; // never created: as if removed after the search
    try {
      const folder = await bwrapOutput([
        "--ro-bind",
        "/",
        "/",
        "--perms",
        "0000",
        "--tmpfs",
        gone,
        "--",
        "true",
      ]);
      assertEquals(folder.code, 1, folder.text);
      assert(isVanishedMount(folder.text), folder.text);
      const file = await bwrapOutput([
        "--ro-bind",
        "/",
        "/",
        "--ro-bind",
        "/etc/hostname",
        gone,
        "--",
        "true",
      ]);
      assertEquals(file.code, 1, file.text);
      assert(isVanishedMount(file.text), file.text);
      // Control: the same masks over a folder that exists start fine.
      await Deno.mkdir(gone);
      const present = await bwrapOutput([
        "--ro-bind",
        "/",
        "/",
        "--perms",
        "0000",
        "--tmpfs",
        gone,
        "--",
        "true",
      ]);
      assertEquals(present.code, 0, present.text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("mount race: other start failures are not retried", () => {
  assertEquals(isVanishedMount("bwrap: execvp python3: No such file or directory"), false);
  assertEquals(
    isVanishedMount("could not start the python session (python3 did not answer)"),
    false,
  );
  assertEquals(isVanishedMount("Traceback (most recent call last):"), false);
});
