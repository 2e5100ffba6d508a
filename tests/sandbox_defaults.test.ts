/**
 * Safe defaults everywhere: a `Computer`, an `Interpreter` and the package's
 * default `interpreter` run code under the default permissions (read anywhere
 * but secrets, write only in the working directory and the session temp
 * folder); `allowAll()` is the explicit opt-out. The engine tells the model
 * which permissions are in force.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf, withComputer } from "./helpers/computer_helpers.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { Computer } from "../lib/computer/mod.ts";
import { Interpreter, interpreter } from "../mod.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { sandboxSupportSync } from "../lib/sandbox/sandbox.ts";

const support = sandboxSupportSync();
if (support.kind !== "bwrap") {
  console.log(`sandbox default-permission runs skipped: no bubblewrap here (${support.reason})`);
}

Deno.test("defaults: Computer, Interpreter and the default interpreter use defaultPermissions", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "defaults-" }));
  try {
    assertEquals(new Computer().permissions, defaultPermissions({ cwd: Deno.cwd() }));
    const computer = new Computer({ cwd: dir });
    assertEquals(computer.permissions, defaultPermissions({ cwd: dir }));
    // Made for the computer's working directory, and it follows a change of it.
    computer.cwd = Deno.cwd();
    assertEquals(computer.permissions, defaultPermissions({ cwd: Deno.cwd() }));
    // The explicit opt-out.
    assertEquals(new Computer({ permissions: allowAll() }).permissions, allowAll());

    assertEquals(new Interpreter().permissions, defaultPermissions({ cwd: Deno.cwd() }));
    assertEquals(interpreter.permissions, defaultPermissions({ cwd: Deno.cwd() }));
    const it = new Interpreter();
    const made = it.computer as Computer;
    assertEquals(made.permissions, it.permissions, "the engine's computer has the same");
    const open = new Interpreter({ permissions: allowAll() });
    assertEquals((open.computer as Computer).permissions, allowAll());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "defaults: code may write in the working directory only, unless allowAll() is given",
  ignore: support.kind !== "bwrap",
  async fn() {
    const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "defaults-work-" }));
    const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "defaults-outside-" }));
    const code = `for path in ['${work}/a.txt', '${outside}/b.txt']:\n` +
      "    try:\n" +
      "        open(path, 'w').write('x')\n" +
      "        print('WROTE', path)\n" +
      "    except OSError as e:\n" +
      "        print('DENIED', path, e.strerror)";
    try {
      await withComputer({ cwd: work }, async (computer) => {
        const text = textOf(await computer.run("python", code));
        assertStringIncludes(text, `WROTE ${work}/a.txt`);
        assertStringIncludes(text, `DENIED ${outside}/b.txt`);
      });
      await withComputer({ cwd: work, permissions: allowAll() }, async (computer) => {
        const text = textOf(await computer.run("python", code));
        assertStringIncludes(text, `WROTE ${outside}/b.txt`);
      });
    } finally {
      await Deno.remove(work, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    }
  },
});

Deno.test("defaults: the system message states the permissions in force", async () => {
  const fake = startFakeOpenAI({ script: [{ text: "hi" }, { text: "hi" }] });
  const llm = { model: "gpt-4o-mini", apiBase: fake.url, apiKey: "sk-defaults-test-0123456789" };
  try {
    await new Interpreter({ llm }).chat("hello");
    await new Interpreter({ llm, permissions: allowAll() }).chat("hello");
    const systems = fake.requests.map((r) =>
      String((r.messages as { content: unknown }[])[0].content)
    );
    const sandboxed = systems[0];
    assertStringIncludes(sandboxed, "a sandbox enforces them");
    assertStringIncludes(sandboxed, "read all except ~/.ssh");
    assertStringIncludes(sandboxed, "write . and session temp");
    assertStringIncludes(sandboxed, "env all except API keys");
    assertStringIncludes(sandboxed, `working directory ${Deno.cwd()}`);
    assert(!sandboxed.includes("everything is allowed"), sandboxed);
    assertStringIncludes(systems[1], "Permissions: everything is allowed.");
  } finally {
    await fake.close();
  }
});

Deno.test("defaults: the whole ~/.docker is a secret (registry logins and the engine's TLS client key)", () => {
  const home = Deno.env.get("HOME") ?? "";
  const denied = defaultPermissions({ cwd: "/tmp" }).denyRead;
  assert(denied.includes(`${home}/.docker`), denied.join(" "));
  assert(!denied.includes(`${home}/.docker/config.json`), "the folder, not one file of it");
});
