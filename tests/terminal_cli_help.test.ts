/**
 * `--help` and the bundled default profile say what the program really does:
 * permission flags in Deno's spelling, the real default permissions, and a
 * permissions example that parses.
 */

import { parse } from "yaml";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { helpText, parseArgs } from "../lib/terminal/flags.ts";
import { interpreterOptionsFromProfile } from "../lib/terminal/settings.ts";
import {
  defaultPermissions,
  describePermissions,
  permissionsFromProfile,
} from "../lib/sandbox/mod.ts";

const DEFAULT_YAML = new URL("../profiles/default.yaml", import.meta.url);

Deno.test("help: permission flags in Deno's spelling; both spellings parse alike", () => {
  const help = helpText();
  assertStringIncludes(help, "-A, --allow-all");
  assertStringIncludes(help, "--allow-read[=PATHS]");
  assertStringIncludes(help, "--deny-net");
  assert(!help.includes("--allow_read["), "the snake_case spelling is not the one shown");
  assertStringIncludes(help, "--allow_remote_auto_run");
  assertEquals(parseArgs(["--allow_read=/a,/b"]), parseArgs(["--allow-read=/a,/b"]));
  assertEquals(parseArgs(["--allow-all"]).flags.allow_all, true);
  assertEquals(parseArgs(["-A"]).flags.allow_all, true);
  assertEquals(parseArgs(["--allow-remote-auto-run"]).flags.allow_remote_auto_run, true);
});

Deno.test("help: fits an 80-column terminal", () => {
  for (const line of helpText().split("\n")) {
    assert(line.length <= 80, `longer than 80 columns: ${line}`);
  }
});

Deno.test("help: --debug means detailed logs", () => {
  const options = interpreterOptionsFromProfile({ debug: true });
  assertEquals(options.verbose, true);
});

Deno.test("default profile: the permissions comment is true and its example parses", async () => {
  const text = await Deno.readTextFile(DEFAULT_YAML);
  assert(!/everything allowed/i.test(text), "the default is not 'everything allowed'");
  const cwd = Deno.cwd();
  const defaults = defaultPermissions({ cwd });
  // What the comment says: read all but secrets, write only cwd (+ temp), network on.
  assertStringIncludes(text, "read anywhere except secrets");
  assertStringIncludes(text, "write only in the working directory");
  assertStringIncludes(text, "network on");
  assertEquals(defaults.read, true);
  assert(defaults.denyRead.some((p) => p.endsWith("/.ssh")));
  assertEquals(defaults.write, [cwd]);
  assertEquals(defaults.net, true);
  // The commented example, uncommented, is a valid permissions section.
  const start = text.indexOf("# permissions:");
  const example = text.slice(start).split("\n").filter((l) => l.startsWith("#"))
    .map((l) => l.slice(2)).join("\n");
  const section = (parse(example) as { permissions: unknown }).permissions;
  const p = permissionsFromProfile(section, { cwd });
  assertEquals(p.net, ["pypi.org", "files.pythonhosted.org"]);
  assert(Array.isArray(p.write) && p.write.includes(cwd), "the working directory stays writable");
  assertStringIncludes(describePermissions(p, { cwd }), "net pypi.org, files.pythonhosted.org");
});

Deno.test("cli: `deno task start -- --version` prints the version (the task's -- is skipped)", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const home = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "start", "--", "--version"],
      cwd: root,
      env: { INTERPRETER_HOME: home, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(stdout.trim(), `interpreter ${config.version}`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
