/**
 * The library works when imported from a project that is not this one: no
 * dependency may rely on this repository's deno.json import map. A child Deno
 * runs with `--no-config` from a temp folder, chats with the fake model (the
 * model client and the tokenizer load), runs TypeScript (the JS transformer
 * loads) and Python, and prints what it got.
 */

import { assert, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";

const modUrl = new URL("../mod.ts", import.meta.url).href;
const profilesUrl = new URL("../lib/profiles/mod.ts", import.meta.url).href;

Deno.test("library: chat and every language work from outside the repository's config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "interpreter-outside-" });
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "typescript", code: "const n: number = 40;\nn + 2" }] },
      { toolCalls: [{ language: "python", code: "print(6 * 7)" }] },
      { text: "Both said 42." },
    ],
  });
  try {
    const script = `
import { Interpreter } from ${JSON.stringify(modUrl)};
const i = new Interpreter({
  autoRun: true,
  llm: { model: "gpt-4o", apiBase: ${
      JSON.stringify(fake.url)
    }, apiKey: "sk-test", contextWindow: 8000, maxTokens: 500 },
});
import { parseProfile } from ${JSON.stringify(profilesUrl)};
// The YAML parser loads through its full npm: specifier too.
const profile = await parseProfile("llm:\\n  model: gpt-4o\\n", "p.yaml");
console.log("PROFILE", JSON.stringify(profile));
const messages = await i.chat("compute 42 twice");
console.log(JSON.stringify(messages));
await i.computer.terminate();
`;
    await Deno.writeTextFile(`${dir}/main.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", "--no-lock", "main.ts"],
      cwd: dir,
      env: { INTERPRETER_HOME: `${dir}/home`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, `child failed (${out.code}): ${stderr}`);
    const outputs =
      (JSON.parse(stdout.trim().split("\n").at(-1)!) as { type: string; content: string }[])
        .filter((m) => m.type === "console").map((m) => m.content);
    assertStringIncludes(outputs.join("|"), "42");
    assert(outputs.length === 2 && outputs.every((o) => o.includes("42")), JSON.stringify(outputs));
    assertStringIncludes(stdout, "Both said 42.");
    assertStringIncludes(stdout, 'PROFILE {"llm":{"model":"gpt-4o"}}');
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
