/**
 * The compiled binary: `deno task compile` bakes the runtime permissions in;
 * the binary answers `--version` and runs model-written python under the
 * sandbox (its in-sandbox network relay is the binary itself).
 *
 * `deno compile` downloads `denort` from Deno's servers, which cannot be
 * reached here; with DENORT_BIN pointing at a local denort the test runs,
 * otherwise it is skipped with the reason printed.
 */

import { join } from "node:path";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { sandboxSkipReason } from "./helpers/sandbox_fixture.ts";

const denort = Deno.env.get("DENORT_BIN");
const hasComputer = await Deno.stat(new URL("../lib/computer/mod.ts", import.meta.url)).then(
  () => true,
  () => false,
);
const sandboxSkip = await sandboxSkipReason();
if (!denort) {
  console.log(
    "sandbox_compile skipped: DENORT_BIN is not set (deno compile would download denort, and Deno's servers cannot be reached here)",
  );
}

const repo = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "compiled binary: --version, and python runs under the sandbox",
  ignore: !denort,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "interpreter-compile-" });
    try {
      const bin = join(dir, "interpreter");
      const task = JSON.parse(await Deno.readTextFile(join(repo, "deno.json"))).tasks
        .compile as string;
      const args = task.replace(/^deno compile /, "").replace("dist/interpreter", bin).split(" ");
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["compile", ...args],
        cwd: repo,
        env: { DENORT_BIN: denort! },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(300_000),
      }).output();
      assert(built.success, new TextDecoder().decode(built.stderr));

      const home = join(dir, "home");
      const work = join(dir, "work");
      await Deno.mkdir(work, { recursive: true });
      const run = (argv: string[]) =>
        new Deno.Command(bin, {
          args: argv,
          cwd: work,
          env: { INTERPRETER_HOME: home, HOME: home },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(120_000),
        }).output();

      const v = await run(["--version"]);
      assertEquals(v.code, 0);
      assert(/^interpreter \d+\.\d+\.\d+/.test(new TextDecoder().decode(v.stdout)));

      await t.step({
        name: "python under the sandbox",
        ignore: !hasComputer || !!sandboxSkip,
        fn: async () => {
          const outside = join(dir, "outside.txt");
          const code = `open("inside.txt", "w").write("ok")\ntry:\n    open(${
            JSON.stringify(outside)
          }, "w").write("x")\nexcept OSError as e:\n    print("denied:", e)`;
          const fake = startFakeOpenAI({
            script: [{ toolCalls: [{ language: "python", code }] }, { text: "Done." }],
          });
          try {
            const r = await run([
              "--api_base",
              fake.url,
              "--model",
              "gpt-4o-mini",
              "--api_key",
              "sk-compile-test-0123456789",
              "-y",
              "--json",
              "write files",
            ]);
            const out = new TextDecoder().decode(r.stdout);
            assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
            assertEquals(await Deno.readTextFile(join(work, "inside.txt")), "ok");
            assert(!(await Deno.stat(outside).then(() => true, () => false)), "no write outside");
            assertStringIncludes(out, "denied:");
          } finally {
            await fake.close();
          }
        },
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
