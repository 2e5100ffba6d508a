import { assert, assertEquals, assertThrows } from "./helpers/assert.ts";
import { FLAG_GROUPS, FLAGS, helpText, parseArgs, UsageError } from "../lib/terminal/flags.ts";

Deno.test("flags: long, kebab, short and alias spellings land on one name", () => {
  const a = parseArgs(["--api_base", "http://x/v1", "-m", "gpt-4o", "--yes", "hello", "there"]);
  assertEquals(a.flags.api_base, "http://x/v1");
  assertEquals(a.flags.model, "gpt-4o");
  assertEquals(a.flags.auto_run, true);
  assertEquals(a.positional, ["hello", "there"]);
  const b = parseArgs([
    "--api-base=http://y/v1",
    "-y",
    "-ci",
    "be brief",
    "-t",
    "0.5",
    "-cw",
    "8000",
  ]);
  assertEquals(b.flags.api_base, "http://y/v1");
  assertEquals(b.flags.auto_run, true);
  assertEquals(b.flags.custom_instructions, "be brief");
  assertEquals(b.flags.temperature, 0.5);
  assertEquals(b.flags.context_window, 8000);
});

Deno.test("flags: negatable, grants, optional values and --", () => {
  const a = parseArgs([
    "--no-llm_supports_functions",
    "--allow-read",
    "--allow-net=a.com,b.com",
    "--deny-read=~/.ssh",
    "-A",
  ]);
  assertEquals(a.flags.llm_supports_functions, false);
  assertEquals(a.flags.allow_read, true);
  assertEquals(a.flags.allow_net, ["a.com", "b.com"]);
  assertEquals(a.flags.deny_read, ["~/.ssh"]);
  assertEquals(a.flags.allow_all, true);
  assertEquals(parseArgs(["--reset_profile"]).flags.reset_profile, "");
  assertEquals(parseArgs(["-m", "x", "--", "-y", "z"]).positional, ["-y", "z"]);
  assertEquals(parseArgs(["--", "--", "-y", "x"]).positional, ["-y", "x"]);
  assertEquals(parseArgs(["--json", "--timeout", "5", "--max_turns", "3"]).flags, {
    json: true,
    timeout: 5,
    max_turns: 3,
  });
});

Deno.test("flags: one leading -- (as `deno task start -- ...` passes it) is skipped", () => {
  const a = parseArgs(["--", "-m", "ollama/llama3.1"]);
  assertEquals(a.flags.model, "ollama/llama3.1");
  assertEquals(a.positional, []);
  assertEquals(parseArgs(["--", "--version"]).flags.version, true);
  // Only one, only first: a later -- still ends the flags.
  const b = parseArgs(["--", "-y", "--", "-m", "hi"]);
  assertEquals(b.flags.auto_run, true);
  assertEquals(b.flags.model, undefined);
  assertEquals(b.positional, ["-m", "hi"]);
});

Deno.test("flags: bad input gives one clear line", () => {
  assertThrows(() => parseArgs(["--nope"]), UsageError, "unknown flag --nope");
  assertThrows(() => parseArgs(["--max_turns", "2.5"]), UsageError, "whole number");
  assertThrows(() => parseArgs(["--temperature", "hot"]), UsageError, "a number");
  assertThrows(() => parseArgs(["--safe_mode", "maybe"]), UsageError, "off, ask, auto");
  assertThrows(() => parseArgs(["--model"]), UsageError, "needs a value");
  // A bare --deny-* denies the whole kind (Deno style), e.g. --deny-net: no network.
  assertEquals(parseArgs(["--deny-net"]).flags.deny_net, true);
});

Deno.test("flags: every flag is listed in --help under its group", () => {
  const help = helpText();
  for (const group of FLAG_GROUPS) assert(help.includes(`${group}:`), group);
  // Permission flags are listed in Deno's spelling (`--allow-read`).
  for (const f of FLAGS) {
    assert(
      help.includes(`--${f.name}`) || help.includes(`--${f.name.replaceAll("_", "-")}`),
      f.name,
    );
  }
  const shorts = FLAGS.flatMap((f) => f.short ?? []);
  assertEquals(new Set(shorts).size, shorts.length, "short forms are unique");
});

Deno.test("flags: --help and --version load only the flag table (everything else is a dynamic import)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout));
  // deno-lint-ignore no-explicit-any
  const byUrl = new Map<string, any>(graph.modules.map((m: any) => [m.specifier, m]));
  const seen = new Set<string>();
  const walk = (url: string) => {
    if (seen.has(url)) return;
    seen.add(url);
    for (const dep of byUrl.get(url)?.dependencies ?? []) {
      if (dep.isDynamic) continue;
      // Only what loads: a type-only import (`typeof import("…")` of lazyImport) loads nothing.
      const target = dep.code?.specifier;
      if (target) walk(target);
    }
  };
  walk(graph.roots[0]);
  const root = new URL("../", import.meta.url).href;
  const names = [...seen].map((u) => u.replace(root, "")).sort();
  assertEquals(names, [
    "deno.json",
    "lib/sandbox/split_list.ts",
    "lib/settings/registry.ts",
    "lib/terminal/exit_codes.ts",
    "lib/terminal/flags.ts",
    "lib/terminal/invocation.ts",
    "lib/terminal/lazy_import.ts",
    "main.ts",
  ]);
});
