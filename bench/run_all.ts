/**
 * Runs every benchmark script in bench/ one after the other and prints their
 * reports. Benchmarks report figures and ratios; they never fail the build.
 *
 * Usage: `deno task bench` (or `deno run -A bench/run_all.ts [name...]`).
 *
 * @module
 */

const here = new URL(".", import.meta.url);

async function main(): Promise<void> {
  const only = Deno.args;
  const scripts: string[] = [];
  for await (const entry of Deno.readDir(here)) {
    if (!entry.isFile || !entry.name.endsWith("_bench.ts")) continue;
    if (only.length > 0 && !only.some((name) => entry.name.startsWith(name))) continue;
    scripts.push(entry.name);
  }
  scripts.sort();
  for (const name of scripts) {
    console.log(`\n=== ${name} ===`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(name, here).pathname],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    if (!status.success) console.log(`(${name} exited with ${status.code})`);
  }
}

if (import.meta.main) await main();
