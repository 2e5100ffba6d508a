/**
 * Start-up pays only for what it uses: `--version` and the chat program
 * (lib/terminal/cli.ts, loaded before the first prompt) must not make Deno
 * walk the HTTP server, the MCP server or the container backends. Deno
 * walks every literal `import("…")` reachable at start-up, so those seams use
 * `lazyImport` (lib/terminal/lazy_import.ts). The files Deno opens are seen
 * with strace; a control with a literal import behind `if (false)` shows the
 * walk the test would catch. Also: every `lazyImport` call names the same path
 * in its type and its value, the file exists, and `deno task compile`
 * `--include`s it (the compiler cannot see it either).
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./helpers/assert.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

const hasStrace = await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);
if (!hasStrace) console.log("start-up walk tests skipped: strace is not installed");

/** The repository's files under lib/ that `deno run -A <args>` opens or stats. */
async function libFilesTouched(args: string[]): Promise<string[]> {
  const log = await Deno.makeTempFile({ prefix: "strace-startup-" });
  try {
    const out = await new Deno.Command("strace", {
      args: [
        "-f",
        "-qq",
        "-e",
        "trace=openat,statx,newfstatat",
        "-o",
        log,
        Deno.execPath(),
        "run",
        "-A",
        ...args,
      ],
      cwd: REPO,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const text = await Deno.readTextFile(log);
    const lib = join(REPO, "lib") + "/";
    const files = new Set<string>();
    for (const m of text.matchAll(/"([^"]+\.ts)"/g)) {
      if (m[1].startsWith(lib)) files.add(relative(REPO, m[1]));
    }
    return [...files].sort();
  } finally {
    await Deno.remove(log);
  }
}

/** Folders whose modules only later stages need. */
const HEAVY =
  /^lib\/(mcp\/(cli|serve|serve_tools|http|os_tools)\.ts|server\/(mod|app|websocket|openai)\.ts|container\/|store\/)/;

Deno.test({
  name: "start-up: --version opens only its few modules",
  ignore: !hasStrace,
  fn: async () => {
    const touched = await libFilesTouched(["main.ts", "--version"]);
    assert(
      touched.length <= 10,
      `--version walked ${touched.length} modules: ${touched.join(" ")}`,
    );
  },
});

Deno.test({
  name: "start-up: loading the chat program does not walk the server, the MCP server or containers",
  ignore: !hasStrace,
  fn: async () => {
    const script = await Deno.makeTempFile({ prefix: "startup-walk-", suffix: ".ts" });
    const control = await Deno.makeTempFile({ prefix: "startup-walk-control-", suffix: ".ts" });
    try {
      const cli = join(REPO, "lib/terminal/cli.ts");
      await Deno.writeTextFile(script, `await import(${JSON.stringify(cli)});\n`);
      // Control: the same, plus a literal import that is never taken.
      await Deno.writeTextFile(
        control,
        `await import(${JSON.stringify(cli)});\n` +
          `if (Deno.args[0] === "never") await import(${
            JSON.stringify(join(REPO, "lib/server/mod.ts"))
          });\n`,
      );
      const heavy = (await libFilesTouched([script])).filter((f) => HEAVY.test(f));
      assertEquals(heavy, [], "modules walked before the first prompt");
      const walked = (await libFilesTouched([control])).filter((f) => HEAVY.test(f));
      assert(walked.length >= 4, `control: a literal import is walked (${walked.length} files)`);
    } finally {
      await Deno.remove(script);
      await Deno.remove(control);
    }
  },
});

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await sourceFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

Deno.test("start-up: each lazyImport names one path twice, exists, and is in the compile task", async () => {
  const task: string = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json"))).tasks.compile;
  const included = new Set([...task.matchAll(/--include (\S+)/g)].map((m) => m[1]));
  const files = [join(REPO, "main.ts"), ...await sourceFiles(join(REPO, "lib"))]
    .filter((f) => !f.endsWith("lib/terminal/lazy_import.ts")); // its documentation shows the form
  let calls = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    const uses = text.split("lazyImport<").length - 1;
    const sites = [
      ...text.matchAll(
        /lazyImport<typeof import\("([^"]+)"\)>\(\s*"([^"]+)",\s*import\.meta\.url,?\s*\)/g,
      ),
    ];
    assertEquals(sites.length, uses, `${file}: every lazyImport is written in the checked form`);
    for (const [, typed, loaded] of sites) {
      calls++;
      assertEquals(typed, loaded, `${file}: the type and the import name the same module`);
      const target = relative(REPO, resolve(dirname(file), loaded));
      assert(await Deno.stat(join(REPO, target)).then(() => true, () => false), `${target} exists`);
      assert(included.has(target), `deno task compile has --include ${target}`);
    }
  }
  assert(calls >= 5, `lazyImport call sites found: ${calls}`);
});
