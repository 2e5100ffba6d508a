/**
 * Each setting is declared once (lib/settings/registry.ts): the flag table, the
 * profile schema, the flags-to-profile mapping, the engine options a profile
 * gives, the server's settable list and the defaults all come from it. Bad
 * values are refused with exit 2 and one line naming the setting as typed.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { runCli } from "./helpers/terminal_cli.ts";
import {
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MAX_TURNS,
  type Setting,
  SETTINGS,
} from "../lib/settings/registry.ts";
import { FLAGS, parseArgs } from "../lib/terminal/flags.ts";
import { PROFILE_SCHEMA, type Schema } from "../lib/profiles/schema.ts";
import { getSetting, profileFromFlags } from "../lib/profiles/mod.ts";
import { interpreterOptionsFromProfile } from "../lib/terminal/settings.ts";
import { applySettings, readAllSettings } from "../lib/server/settings.ts";
import type { InterpreterLike } from "../lib/server/types.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { Computer } from "../lib/computer/mod.ts";

function flatKeys(schema: Schema, prefix = ""): string[] {
  return Object.entries(schema).flatMap(([key, type]) =>
    typeof type === "object" && !("choices" in type)
      ? flatKeys(type as Schema, `${prefix}${key}.`)
      : [`${prefix}${key}`]
  );
}

/** A valid value of a setting, as a flag's text and as a profile value. */
function sample(setting: Setting): { text: string; value: unknown } {
  if (setting.choices) return { text: setting.choices.at(-1)!, value: setting.choices.at(-1) };
  if (setting.type === "int" || setting.type === "number") {
    const n = Math.max(setting.min ?? 0, (setting.above ?? 0) + 1, 1);
    return { text: String(n), value: n };
  }
  if (setting.type === "bool") return { text: "", value: true };
  if (setting.type === "string_list") return { text: "a", value: ["a"] };
  return { text: "some-value", value: "some-value" };
}

const withKey = SETTINGS.filter((s) => s.key);

Deno.test("registry: every flag is a registry row, and no name is declared twice", () => {
  const rows = SETTINGS.filter((s) => s.flag);
  assert(rows.length > 50, `only ${rows.length} flags`);
  assertEquals(FLAGS.map((f) => f.name), rows.map((s) => s.flag!.name));
  for (const flag of FLAGS) assert(SETTINGS.includes(flag.setting), flag.name);
  const longs = FLAGS.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
  assertEquals(longs.length, new Set(longs).size, "a long flag name is declared twice");
  const shorts = FLAGS.flatMap((f) => f.short ?? []);
  assertEquals(shorts.length, new Set(shorts).size, "a short flag is declared twice");
  const keys = withKey.map((s) => s.key);
  assertEquals(keys.length, new Set(keys).size, "a profile key is declared twice");
});

Deno.test("registry: the profile schema holds exactly the registry's keys", () => {
  assert(withKey.length > 60, `only ${withKey.length} keys`);
  assertEquals(flatKeys(PROFILE_SCHEMA).sort(), withKey.map((s) => s.key!).sort());
});

Deno.test("registry: each setting flag lands at its profile key, and each key gives its engine option", () => {
  const mapped = withKey.filter((s) => s.flag && s.flagToProfile !== false && !s.flag.inverts);
  assert(mapped.length > 20, `only ${mapped.length} mapped flags`);
  for (const setting of mapped) {
    const { text, value } = sample(setting);
    const argv = setting.type === "bool" ? [`--${setting.flag!.name}`] : [
      `--${setting.flag!.name}`,
      text,
    ];
    const profile = profileFromFlags(parseArgs(argv).flags);
    assertEquals(getSetting(profile, setting.key!), value, setting.key);
  }
  const inverted = withKey.find((s) => s.flag?.inverts)!;
  assertEquals(
    getSetting(profileFromFlags(parseArgs([`--${inverted.flag!.name}`]).flags), inverted.key!),
    false,
  );
  const options = withKey.filter((s) => s.option && s.type !== "any");
  assert(options.length > 15, `only ${options.length} options`);
  for (const setting of options) {
    const { value } = sample(setting);
    const profile: Record<string, unknown> = {};
    const parts = setting.key!.split(".");
    let table = profile;
    for (const part of parts.slice(0, -1)) table = (table[part] ??= {}) as Record<string, unknown>;
    table[parts.at(-1)!] = value;
    const engine = interpreterOptionsFromProfile(profile);
    let got: unknown = engine;
    for (const part of setting.option!.split(".")) got = (got as Record<string, unknown>)?.[part];
    assertEquals(got, value, `${setting.key} -> ${setting.option}`);
  }
});

Deno.test("registry: the server exposes exactly the registry's server settings, by their names", () => {
  const interpreter = new Interpreter();
  // Settings with no value yet (llm.apiBase...) are not listed: give each one first.
  Object.assign(interpreter.llm, {
    apiBase: "http://127.0.0.1:9/v1",
    apiVersion: "1",
    contextWindow: 1000,
    maxTokens: 100,
    supportsFunctions: true,
    supportsVision: false,
  });
  const exposed = Object.keys(readAllSettings(interpreter as unknown as InterpreterLike)).sort();
  // Replies name them by Open Interpreter's snake_case key.
  const declared = SETTINGS.filter((s) => s.server).map((s) => s.key!);
  assert(declared.length > 15, `only ${declared.length} server settings`);
  assertEquals(exposed, ["messages", ...declared].sort());
  // Open Interpreter's snake_case names and `model` name the same settings.
  const changed = applySettings(
    interpreter as unknown as InterpreterLike,
    { model: "gpt-4o", max_turns: 7, custom_instructions: "Be brief." },
    { allowRemoteAutoRun: false },
  );
  assertEquals(changed, { model: "gpt-4o", max_turns: 7, custom_instructions: "Be brief." });
  assertEquals(interpreter.llm.model, "gpt-4o");
  assertEquals(interpreter.customInstructions, "Be brief.");
  assertEquals(interpreter.maxTurns, 7);
  // The registry's bounds hold there too.
  let refused = "";
  try {
    applySettings(interpreter as unknown as InterpreterLike, { max_turns: 0 }, {
      allowRemoteAutoRun: false,
    });
  } catch (error) {
    refused = (error as Error).message;
  }
  assertStringIncludes(refused, "a whole number of at least 1");
  assertEquals(interpreter.maxTurns, 7);
});

Deno.test("registry: the defaults are the registry's", async () => {
  const interpreter = new Interpreter();
  assertEquals(interpreter.maxOutput, DEFAULT_MAX_OUTPUT);
  assertEquals(interpreter.maxTurns, DEFAULT_MAX_TURNS);
  const computer = new Computer();
  assertEquals(computer.maxOutput, DEFAULT_MAX_OUTPUT);
  await computer.terminate();
  const row = SETTINGS.find((s) => s.key === "max_output")!;
  assertEquals(row.default, DEFAULT_MAX_OUTPUT);
  // Every declared default is the engine's.
  const withDefault = SETTINGS.filter((s) => s.default !== undefined && s.option);
  assert(withDefault.length >= 8, `only ${withDefault.length} defaults`);
  for (const setting of withDefault) {
    let value: unknown = interpreter;
    for (const part of setting.option!.split(".")) value = (value as Record<string, unknown>)[part];
    assertEquals(value, setting.default, setting.key);
  }
});

Deno.test("bad values exit 2 with one line naming the setting as typed and what is allowed", async () => {
  const home = await Deno.makeTempDir({ prefix: "settings-bad-" });
  try {
    const cases: [string[], string][] = [
      [["--max_turns", "-3"], '--max_turns expects a whole number of at least 1, got "-3"'],
      [["--max_turns", "0"], '--max_turns expects a whole number of at least 1, got "0"'],
      [["--max-turns", "2.5"], '--max-turns expects a whole number of at least 1, got "2.5"'],
      [["--timeout", "-5"], '--timeout expects a number of at least 0, got "-5"'],
      [["--max_output", "-1"], '--max_output expects a whole number of at least 1, got "-1"'],
      [["-x", "-5"], '-x expects a whole number of at least 1, got "-5"'],
      [
        ["--temperature", "3"],
        '--temperature expects a number of at least 0 and at most 2, got "3"',
      ],
    ];
    for (const [args, line] of cases) {
      const run = await runCli([...args, "hi"], { home });
      assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      const lines = run.stderr.trim().split("\n");
      assertEquals(lines.length, 1, run.stderr);
      assertStringIncludes(lines[0], line);
    }
    // The same in a profile names the key as written there.
    const profiles = `${home}/config/profiles`;
    await Deno.mkdir(profiles, { recursive: true });
    await Deno.writeTextFile(`${profiles}/bad.yaml`, "max_turns: -3\n");
    const run = await runCli(["--profile", "bad", "hi"], { home });
    assertEquals(run.code, 2, run.stderr);
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
    assertStringIncludes(run.stderr, '"max_turns" should be a whole number of at least 1');
    // Control: good values pass the check (the run then fails later for want of a model key).
    const good = await runCli(["--max_turns", "3", "--timeout", "0", "--version"], { home });
    assertEquals(good.code, 0, good.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
