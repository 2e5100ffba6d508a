import { assert, assertEquals, assertRejects } from "./helpers/assert.ts";
import { join } from "node:path";
import {
  ensureDefaultProfile,
  loadProfile,
  mergeProfiles,
  parseProfile,
  ProfileError,
  profileFromFlags,
  type ProfileLocation,
} from "../lib/profiles/mod.ts";
import { interpreterOptionsFromProfile } from "../lib/terminal/settings.ts";

/** Gives each test its own profiles and cache folders (never the shared environment). */
async function withHome(fn: (where: ProfileLocation) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn({ dir: join(dir, "profiles") });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("profiles: default.yaml is created on first run and every bundled profile is valid", async () => {
  await withHome(async (where) => {
    const path = await ensureDefaultProfile(where);
    assertEquals(path, join(where.dir!, "default.yaml"));
    const p = await loadProfile("default", where);
    assertEquals((p.llm as Record<string, unknown>).model, "gpt-4o");
    for (const name of ["fast", "vision", "local"]) await loadProfile(name, where);
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
  await withHome(async (where) => {
    await Deno.mkdir(where.dir!, { recursive: true });
    await Deno.writeTextFile(
      join(where.dir!, "work.yaml"),
      "llm:\n  model: m1\n  temperature: 0.3\nauto_run: true\nmax_turns: 7\n",
    );
    const profile = mergeProfiles(
      await loadProfile("work", where),
      profileFromFlags({ model: "m2", auto_run: false }),
    );
    const o = interpreterOptionsFromProfile(profile);
    assertEquals(o.llm?.model, "m2");
    assertEquals(o.llm?.temperature, 0.3);
    assertEquals(o.autoRun, false);
    assertEquals(o.maxTurns, 7);
    await assertRejects(() => loadProfile("nothere", where), ProfileError, 'no profile "nothere"');
  });
});

Deno.test("profiles: the bundled profiles are profiles/*.yaml, every one of them", async () => {
  const { BUNDLED_TEXT } = await import("../lib/profiles/bundled.ts");
  for (const [name, text] of Object.entries(BUNDLED_TEXT)) {
    const file = await Deno.readTextFile(new URL(`../profiles/${name}.yaml`, import.meta.url));
    assertEquals(text, file, name);
  }
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL("../profiles/", import.meta.url))) {
    if (entry.name.endsWith(".yaml")) files.push(entry.name.slice(0, -5));
  }
  assert(files.length > 0);
  assertEquals(Object.keys(BUNDLED_TEXT).sort(), files.sort());
});
