/**
 * The first run with no npm registry reachable (an empty Deno cache): one line saying what
 * failed and what to check, exit 6, no stack trace. The control: the same command with the
 * machine's cache gets past loading (it fails later, at the model, with exit 1).
 */
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function run(env: Record<string, string>): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "-y", "--api_base", "http://127.0.0.1:9/v1", "--api_key", "x", "hi"],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("cli: with an empty cache and no registry, one line and exit 6 (no stack trace)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oi-offline-" });
  try {
    const home = `${dir}/home`;
    const out = await run({
      DENO_DIR: `${dir}/deno`,
      NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
      INTERPRETER_HOME: home,
    });
    const stderr = new TextDecoder().decode(out.stderr);
    const lines = stderr.split("\n").filter((l) => l.startsWith("interpreter:"));
    assertEquals(out.code, 6, stderr);
    assertEquals(lines.length, 1, stderr);
    assertStringIncludes(lines[0], "could not load its modules: Failed caching npm package");
    assertStringIncludes(lines[0], "NPM_CONFIG_REGISTRY");
    assert(!stderr.includes("Uncaught") && !/\n\s+at /.test(stderr), stderr);

    // Control: with the machine's cache it loads and fails later, at the unreachable model.
    const control = await run({ INTERPRETER_HOME: home });
    const controlErr = new TextDecoder().decode(control.stderr);
    assertEquals(control.code, 1, controlErr);
    assert(!controlErr.includes("could not load its modules"), controlErr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
