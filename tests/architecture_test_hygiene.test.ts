/**
 * Test hygiene: `deno test --parallel` runs every test file in one process, so a
 * test that sets or deletes an environment variable changes it for every test
 * running beside it (a sandboxed session started meanwhile sees another display
 * set-up, another key). No file under tests/ calls `Deno.env.set` or
 * `Deno.env.delete`, or assigns or deletes a `process.env` entry: a value goes in through an option (a computer's `env`, a
 * container computer's `hostEnv`, a session's `wrap(argv, env)`) or a child
 * process's `env:` (tests/helpers/deno_child.ts).
 */

import { assertEquals } from "./helpers/assert.ts";

const TESTS = new URL("./", import.meta.url);

/**
 * A call that changes this process's environment (spacing and line breaks allowed): Deno's
 * `set` / `delete`, or an assignment to or `delete` of a `process.env` entry (node:process).
 */
const CHANGES_ENV = new RegExp(
  [
    /\bDeno\s*\.\s*env\s*\.\s*(set|delete)\s*\(/.source,
    /\bprocess\s*\.\s*env\s*(\.\s*\w+|\[[^\]]*\])\s*(=(?!=)|\?\?=|\|\|=)/.source,
    /\bdelete\s+process\s*\.\s*env\b/.source,
    /\bObject\s*\.\s*assign\s*\(\s*process\s*\.\s*env\b/.source,
  ].join("|"),
  "g",
);

/** `line: text` of each call in `source` that changes this process's environment. */
function envChanges(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(CHANGES_ENV)) {
    const line = source.slice(0, match.index).split("\n").length;
    found.push(`${line}: ${source.split("\n")[line - 1].trim()}`);
  }
  return found;
}

/** The TypeScript and JavaScript files under `dir`, by their path from tests/. */
async function sourceFiles(dir: URL, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) {
      files.push(...await sourceFiles(new URL(`${entry.name}/`, dir), `${rel}/`));
    } else if (entry.isFile && /\.(ts|js|mjs)$/.test(entry.name)) {
      files.push(rel);
    }
  }
  return files;
}

Deno.test("test hygiene: the scan finds a call that changes Deno.env (control)", () => {
  const method = ["se", "t"].join(""); // not spelled out, so this file passes its own scan
  const sample = `const a = 1;\nDeno.env.${method}("X", "1");\nDeno.env\n  .delete("X");\n`;
  assertEquals(envChanges(sample), [`2: Deno.env.${method}("X", "1");`, "3: Deno.env"]);
  const env = ["process", "env"].join("."); // not spelled out either
  const node = [
    `${env}.X = "1";`,
    `${env}["X"] ??= "1";`,
    `delete ${env}.X;`,
    `Object.assign(${env}, { X: 1 });`,
  ];
  assertEquals(envChanges(node.join("\n")), node.map((line, i) => `${i + 1}: ${line}`));
  const reads = 'Deno.env.get("X"); Deno.env.toObject(); if (process.env.X === "1") {}';
  assertEquals(envChanges(reads), []);
});

Deno.test("test hygiene: no file under tests/ sets or deletes a variable of this process's environment", async () => {
  const files = await sourceFiles(TESTS);
  const offending: string[] = [];
  for (const file of files.sort()) {
    const source = await Deno.readTextFile(new URL(file, TESTS));
    for (const found of envChanges(source)) offending.push(`tests/${file}:${found}`);
  }
  assertEquals(
    offending,
    [],
    "pass the value through an option or a child process's env: (tests/helpers/deno_child.ts)",
  );
  // The scan read the tree (the helpers folder too).
  assertEquals(files.includes("architecture_test_hygiene.test.ts"), true);
  assertEquals(files.includes("helpers/deno_child.ts"), true);
});
