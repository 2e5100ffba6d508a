import { assertEquals, assertRejects } from "./helpers/terminal_assert.ts";
import { join } from "node:path";
import {
  ensureDefaultProfile,
  loadProfile,
  mergeProfiles,
  parseProfile,
  ProfileError,
  profileFromFlags,
  profilesDir,
} from "../lib/profiles/mod.ts";
import { interpreterOptionsFromProfile } from "../lib/terminal/settings.ts";

async function withHome(fn: () => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const old = Deno.env.get("INTERPRETER_HOME");
  Deno.env.set("INTERPRETER_HOME", dir);
  try {
    await fn();
  } finally {
    if (old === undefined) Deno.env.delete("INTERPRETER_HOME");
    else Deno.env.set("INTERPRETER_HOME", old);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("profiles: default.yaml is created on first run and every bundled profile is valid", async () => {
  await withHome(async () => {
    const path = await ensureDefaultProfile();
    assertEquals(path, join(profilesDir(), "default.yaml"));
    const p = await loadProfile("default");
    assertEquals((p.llm as Record<string, unknown>).model, "gpt-4o");
    for (const name of ["fast", "vision", "local"]) await loadProfile(name);
  });
});

Deno.test("profiles: unknown keys and wrong types name the file, the key and what was expected", async () => {
  await withHome(async () => {
    const bad: [string, string][] = [
      ["llm:\n  temprature: 1\n", 'my.yaml: unknown key "llm.temprature"'],
      ["auto_run: yes please\n", '"auto_run" should be true or false'],
      ["llm:\n  max_tokens: 1.5\n", "a whole number"],
      ["safe_mode: loud\n", 'one of "off", "ask", "auto"'],
      ["permissions:\n  net: 3\n", "true, false or a list"],
      ["llm: [\n", "not valid YAML"],
    ];
    for (const [text, message] of bad) {
      await assertRejects(() => parseProfile(text, "my.yaml"), ProfileError, message);
      // A second time comes from the parse cache and must fail the same way.
      await assertRejects(() => parseProfile(text, "my.yaml"), ProfileError, message);
    }
    assertEquals(await parseProfile("", "empty.yaml"), {});
  });
});

Deno.test("profiles: flags override the profile, the profile overrides defaults", async () => {
  await withHome(async () => {
    await Deno.mkdir(profilesDir(), { recursive: true });
    await Deno.writeTextFile(
      join(profilesDir(), "work.yaml"),
      "llm:\n  model: m1\n  temperature: 0.3\nauto_run: true\nmax_turns: 7\n",
    );
    const profile = mergeProfiles(
      await loadProfile("work"),
      profileFromFlags({ model: "m2", auto_run: false }),
    );
    const o = interpreterOptionsFromProfile(profile);
    assertEquals(o.llm?.model, "m2");
    assertEquals(o.llm?.temperature, 0.3);
    assertEquals(o.autoRun, false);
    assertEquals(o.maxTurns, 7);
    await assertRejects(() => loadProfile("nothere"), ProfileError, 'no profile "nothere"');
  });
});

Deno.test("profiles: the embedded bundled profiles match profiles/*.yaml", async () => {
  const { BUNDLED_TEXT } = await import("../lib/profiles/bundled.ts");
  for (const [name, text] of Object.entries(BUNDLED_TEXT)) {
    const file = await Deno.readTextFile(new URL(`../profiles/${name}.yaml`, import.meta.url));
    assertEquals(text, file, `${name}: run deno run -A lib/profiles/bundled.ts --write`);
  }
});
