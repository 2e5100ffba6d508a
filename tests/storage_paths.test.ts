/**
 * lib/storage/path.ts (the start-up path's node-free join/resolve/isAbsolute)
 * gives what node:path gives, and the modules before the first prompt import
 * no node: module at all.
 */
import * as nodePath from "node:path";
import { homedir } from "node:os";
import { assertEquals } from "./helpers/assert.ts";
import { homeDir, isAbsolute, join, resolve } from "../lib/storage/path.ts";

const POSIX = Deno.build.os !== "windows";
if (!POSIX) console.log("path comparison skipped: the table is POSIX paths");

const SAMPLES = [
  [],
  [""],
  ["", ""],
  ["/"],
  ["/", ""],
  ["a"],
  ["a", "b"],
  ["a/", "b/"],
  ["/a//b", "c/"],
  ["/a", "../b"],
  ["/a", "../../.."],
  ["a", "../.."],
  ["a", "..", ".."],
  ["./a", "./b"],
  [".", "."],
  ["./"],
  ["a", "/b"],
  ["/tmp/x/", "config"],
  ["/home/me/.config", "interpreter", "profiles"],
  ["a/..", "/"],
  ["..", "a", "./"],
];

Deno.test({
  name: "paths: join, resolve and isAbsolute match node:path",
  ignore: !POSIX,
  fn: () => {
    for (const parts of SAMPLES) {
      assertEquals(join(...parts), nodePath.join(...parts), `join(${JSON.stringify(parts)})`);
      assertEquals(
        resolve(...parts),
        nodePath.resolve(...parts),
        `resolve(${JSON.stringify(parts)})`,
      );
      for (const p of parts) {
        assertEquals(isAbsolute(p), nodePath.isAbsolute(p), `isAbsolute(${JSON.stringify(p)})`);
      }
    }
  },
});

Deno.test({
  name: "paths: the home folder falls back to the account's entry when HOME is unset",
  ignore: !POSIX,
  fn: async () => {
    // In a child with no HOME (tests never change this process's environment).
    const code = `import { homeDir } from ${
      JSON.stringify(
        new URL("../lib/storage/path.ts", import.meta.url).href,
      )
    }; import { homedir } from "node:os"; console.log(JSON.stringify([homeDir(), homedir()]));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const [ours, node] = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(ours, node);
    assertEquals(homeDir(), Deno.env.get("HOME") ?? homedir());
  },
});

Deno.test("paths: nothing before the first prompt imports a node: module", async () => {
  // The modules runCli loads up to the prompt (the rest loads after it is drawn).
  const roots = [
    "../main.ts",
    "../lib/terminal/cli.ts",
    "../lib/sandbox/profile.ts",
    "../lib/sandbox/flags.ts",
    "../lib/sandbox/describe.ts",
    "../lib/llm/providers.ts",
  ].map((p) => new URL(p, import.meta.url).href);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...roots.slice(0, 1)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[];
    }[];
  };
  const byName = new Map(graph.modules.map((m) => [m.specifier, m]));
  const nodeImports: string[] = [];
  for (const root of roots) {
    // Static imports only: those load with the module.
    const seen = new Set<string>();
    const walk = (spec: string, from: string) => {
      if (seen.has(spec)) return;
      seen.add(spec);
      if (spec.startsWith("node:")) nodeImports.push(`${spec} (via ${from})`);
      for (const dep of byName.get(spec)?.dependencies ?? []) {
        if (!dep.isDynamic && dep.code?.specifier) walk(dep.code.specifier, spec);
      }
    };
    walk(root, root);
  }
  assertEquals(nodeImports, []);
});
