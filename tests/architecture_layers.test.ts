/**
 * The layers of lib/ and the one-way flow between them. Every import of every
 * lib file — static, dynamic (`import("…")`) and type-only — is read with
 * Deno's own parser (`deno info --json` over a root that imports each file),
 * and the test fails on an import from a lower layer to a higher one, on an
 * import between two different parts of the same layer, on a cycle of static
 * imports between files, and on a computed `import()` it could not read.
 *
 * Layers, lowest first (a part may import only parts of lower layers and itself):
 *   wire  <  settings  <  storage, store  <  sandbox  <  desktop  <  computer, llm, mcp client
 *   <  container, profiles  <  core  <  server, mcp front  <  terminal
 */

import { assert, assertEquals } from "./helpers/assert.ts";

const ROOT = new URL("../", import.meta.url);
const LIB = new URL("lib/", ROOT);

/** Each part of lib/ and its layer (higher imports lower, never the reverse). */
const LAYERS: Record<string, number> = {
  wire: 0,
  settings: 0.5,
  storage: 1,
  store: 1,
  sandbox: 2,
  desktop: 3,
  computer: 4,
  llm: 4,
  "mcp client": 4,
  container: 5,
  profiles: 5,
  core: 6,
  server: 7,
  "mcp front": 7.5,
  terminal: 8,
};

/**
 * The files of lib/mcp that serve MCP (a front end, like the server; mod.ts is the folder's
 * entry and re-exports both sides); the rest is its client, which the engine uses.
 */
const MCP_FRONT = new Set([
  "cli.ts",
  "http.ts",
  "mod.ts",
  "os_tools.ts",
  "serve.ts",
  "serve_tools.ts",
  "session.ts",
]);

/**
 * Computed `import(` the graph still sees: code text the computer writes for the sandbox to run,
 * and lazyImport (start-up seams), whose every call site names its module in
 * `typeof import("…")`, a type-only import the graph reads (tests/terminal_cli_lazy_import checks them).
 */
const NOT_IMPORTS = [
  "computer/js_transform.ts: const load = `await import(${from}${attrs})`;",
  "terminal/lazy_import.ts: return import(new URL(path, base).href);",
];

/** The part a lib file belongs to (`lib/core/x.ts` → `core`). */
function partOf(path: string): string {
  const [folder, ...rest] = path.split("/");
  if (folder === "mcp") return MCP_FRONT.has(rest.join("/")) ? "mcp front" : "mcp client";
  return folder;
}

async function libFiles(dir = LIB, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) out.push(...await libFiles(new URL(`${entry.name}/`, dir), `${rel}/`));
    else if (rel.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

interface Edge {
  from: string;
  to: string;
  dynamic: boolean;
  typeOnly: boolean;
}

/** Every import between lib files, as Deno's module graph reports it. */
async function libImports(files: string[]): Promise<Edge[]> {
  const dir = await Deno.makeTempDir();
  try {
    const root = `${dir}/root.ts`;
    await Deno.writeTextFile(
      root,
      files.map((f) => `import ${JSON.stringify(new URL(f, LIB).href)};\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, root],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: {
          code?: { specifier: string };
          type?: { specifier: string };
          isDynamic?: boolean;
        }[];
      }[];
    };
    const edges: Edge[] = [];
    for (const module of graph.modules) {
      if (!module.specifier.startsWith(LIB.href)) continue;
      const from = module.specifier.slice(LIB.href.length);
      for (const dep of module.dependencies ?? []) {
        const target = dep.code?.specifier ?? dep.type?.specifier;
        if (!target?.startsWith(LIB.href)) continue;
        edges.push({
          from,
          to: target.slice(LIB.href.length),
          dynamic: dep.isDynamic === true,
          typeOnly: !dep.code,
        });
      }
    }
    return edges;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const files = await libFiles();

Deno.test("every file of lib/ belongs to a known layer", () => {
  assert(files.length > 100, `only ${files.length} files found under lib/`);
  const unknown = files.filter((f) => !(partOf(f) in LAYERS));
  assertEquals(unknown, [], "add the new folder to LAYERS (and to docs/architecture.md)");
});

Deno.test("imports go from a higher layer to a lower one only, never back or sideways", async () => {
  const edges = await libImports(files);
  assert(edges.length > 300, `only ${edges.length} imports read: the graph is incomplete`);
  assert(edges.some((e) => e.dynamic), "no dynamic import was read");
  assert(edges.some((e) => e.typeOnly), "no type-only import was read");
  const wrong = edges.filter((e) => {
    const from = partOf(e.from);
    const to = partOf(e.to);
    return from !== to && LAYERS[from] <= LAYERS[to];
  }).map((e) =>
    `${e.from} (${partOf(e.from)}) -> ${e.to} (${partOf(e.to)})${e.dynamic ? " [dynamic]" : ""}${
      e.typeOnly ? " [type]" : ""
    }`
  );
  assertEquals(wrong, []);
});

Deno.test("no cycle of static imports between lib files", async () => {
  const edges = (await libImports(files)).filter((e) => !e.dynamic);
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...next.get(e.from) ?? [], e.to]);
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === "open") {
        cycles.push([...stack.slice(stack.indexOf(to)), to].join(" -> "));
      } else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  assertEquals(cycles, []);
});

Deno.test("every dynamic import in lib/ names its module literally (so the graph sees it)", async () => {
  const computed: string[] = [];
  for (const file of files) {
    const source = await Deno.readTextFile(new URL(file, LIB));
    for (const match of source.matchAll(/(?<![\w.$])import\s*\(\s*([^)\s])/g)) {
      const line = source.slice(0, match.index).split("\n").length;
      const text = source.split("\n")[line - 1].trim();
      if (text.startsWith("//") || text.startsWith("*") || text.startsWith("/*")) continue;
      if (!`"'`.includes(match[1]) && !NOT_IMPORTS.includes(`${file}: ${text}`)) {
        computed.push(`${file}:${line}: ${text}`);
      }
    }
  }
  assertEquals(computed, []);
});

Deno.test("tests/ mirrors lib/: each test file is named after the lib folder it tests", async () => {
  const folders = new Set<string>(["architecture"]);
  for await (const entry of Deno.readDir(LIB)) if (entry.isDirectory) folders.add(entry.name);
  const tests: string[] = [];
  for await (const entry of Deno.readDir(new URL("tests/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".test.ts")) tests.push(entry.name);
  }
  assert(tests.length > 50, `only ${tests.length} test files`);
  const misnamed = tests.filter((name) => !folders.has(name.split("_")[0])).sort();
  assertEquals(misnamed, [], `prefixes allowed: ${[...folders].sort().join(", ")}`);
});
