/**
 * What the sandbox costs: starting a session process (python, bash) bare and
 * inside bubblewrap, with the network on, off, and limited to a host list
 * (which adds the in-sandbox relay), run side by side; plus the safe-mode
 * scanner's time per block. Reports medians and ratios; never fails.
 *
 * @module
 */

import {
  permissionsFromFlags,
  SandboxSession,
  sandboxSupport,
  scanCode,
} from "../lib/sandbox/mod.ts";

const ROUNDS = 7;

async function timeRun(argv: string[], env?: Record<string, string>): Promise<number> {
  const t = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: env !== undefined,
    stdout: "null",
    stderr: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  if (!out.success) throw new Error(`${argv.slice(0, 3).join(" ")} failed`);
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const support = await sandboxSupport();
  if (support.kind !== "bwrap") {
    console.log(`sandbox bench skipped: ${support.reason ?? support.kind}`);
    return;
  }
  const cwd = await Deno.makeTempDir({ prefix: "sandbox-bench-" });
  const modes: [string, Record<string, string | boolean>][] = [
    ["net on (default)", {}],
    ["net off", { "deny-net": true }],
    ["net host list (relay)", { "allow-net": "pypi.org" }],
  ];
  for (
    const [label, argv] of [["python", ["python3", "-c", "pass"]], ["bash", [
      "bash",
      "-c",
      ":",
    ]]] as const
  ) {
    const bare: number[] = [];
    const boxed: Record<string, number[]> = {};
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await timeRun([...argv]));
      for (const [mode, flags] of modes) {
        const session = await SandboxSession.open({
          permissions: permissionsFromFlags(flags, { cwd }),
          cwd,
        });
        const w = session.wrap([...argv]);
        (boxed[mode] ??= []).push(await timeRun(w.argv, w.env));
        await session.close();
      }
    }
    const base = median(bare);
    console.log(`${label}: bare ${base.toFixed(1)} ms`);
    for (const [mode] of modes) {
      const m = median(boxed[mode]);
      console.log(`  sandboxed, ${mode}: ${m.toFixed(1)} ms (x${(m / base).toFixed(2)} of bare)`);
    }
  }
  const code = "import os, shutil\nfor f in os.listdir('.'):\n    print(f)\n".repeat(50);
  const t = performance.now();
  for (let i = 0; i < 200; i++) scanCode("python", code, { cwd });
  console.log(
    `safe-mode scan of a ${code.split("\n").length}-line block: ${
      ((performance.now() - t) / 200).toFixed(2)
    } ms`,
  );
  await Deno.remove(cwd, { recursive: true });
}

if (import.meta.main) await main();
