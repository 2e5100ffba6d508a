/**
 * What the sandbox costs: starting a session process (python, bash) bare and
 * inside bubblewrap, with the network on, off, and limited to a host list
 * (which adds the in-sandbox relay), run side by side; the kernel confinement
 * (user namespace, read-only /proc, seccomp, Landlock launcher) against the
 * same bwrap command line without it (the baseline, measured in the same
 * rounds: target <= 1.3x for a cold `python3 -c 'print(1)'`); a Computer's
 * cold Python session to its first `print(1)` result and its warm round trip
 * (target <= 0.5 ms); plus the safe-mode scanner's time per block. Reports
 * medians and ratios; never fails.
 *
 * @module
 */

import {
  allowAll,
  permissionsFromFlags,
  SandboxSession,
  sandboxSupport,
  scanCode,
} from "../lib/sandbox/mod.ts";
import { kernelSupportSync } from "../lib/sandbox/kernel.ts";
import { Computer } from "../lib/computer/mod.ts";

const ROUNDS = 9;

async function timeRun(argv: string[], env?: Record<string, string>): Promise<number> {
  const t = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: env !== undefined,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const took = performance.now() - t;
  if (!out.success) {
    throw new Error(
      `${argv.slice(0, 3).join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return took;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Arguments kernel.ts adds to bwrap's, with how many values follow each. */
const KERNEL_FLAGS: Record<string, number> = {
  "--unshare-user": 0,
  "--disable-userns": 0,
  "--uid": 1,
  "--gid": 1,
  "--seccomp": 1,
};

/**
 * The same command line without the kernel confinement: no descriptor-opening
 * shell, no user namespace, /proc as bwrap mounts it, no seccomp filter, no
 * Landlock launcher (what sessions ran before it).
 */
function withoutKernel(argv: string[]): string[] {
  const start = argv.findIndex((a) => a === "bwrap" || a.endsWith("/bwrap"));
  const rest = argv.slice(start);
  const sep = rest.indexOf("--");
  const out: string[] = [];
  for (let i = 0; i < sep; i++) {
    const a = rest[i];
    if (a in KERNEL_FLAGS) {
      i += KERNEL_FLAGS[a];
    } else if (a === "--remount-ro" && rest[i + 1] === "/proc") {
      i += 1;
    } else if (a === "--ro-bind-try" && rest[i + 1] === "/sys") {
      i += 2;
    } else if (a === "--perms" && rest[i + 2] === "--ro-bind-data") {
      i += 4; // --perms 0555 --ro-bind-data FD PATH
    } else out.push(a);
  }
  const command = rest.slice(sep + 1).filter((a) => !a.endsWith(".landlock-launch"));
  return [...out, "--", ...command];
}

async function sessionStarts(cwd: string): Promise<void> {
  const modes: [string, Record<string, string | boolean>][] = [
    ["net on (default)", {}],
    ["net off", { "deny-net": true }],
    ["net host list (relay)", { "allow-net": "pypi.org" }],
  ];
  for (
    const [label, argv] of [
      ["python", ["python3", "-c", "print(1)"]],
      ["bash", ["bash", "-c", "echo 1"]],
    ] as const
  ) {
    const bare: number[] = [];
    const now: Record<string, number[]> = {};
    const before: Record<string, number[]> = {};
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await timeRun([...argv]));
      for (const [mode, flags] of modes) {
        const session = await SandboxSession.open({
          permissions: permissionsFromFlags(flags, { cwd }),
          cwd,
        });
        // Alternate which side goes first, so load hits both alike; each side wrapped just
        // before it runs (the socket masks are a snapshot of the machine's sockets).
        const sides: [Record<string, number[]>, (a: string[]) => string[]][] = [
          [now, (a) => a],
          [before, withoutKernel],
        ];
        if (i % 2) sides.reverse();
        for (const [into, strip] of sides) {
          const w = session.wrap([...argv]);
          (into[mode] ??= []).push(await timeRun(strip(w.argv), w.env));
        }
        await session.close();
      }
    }
    const base = median(bare);
    console.log(`${label}: bare ${base.toFixed(1)} ms`);
    for (const [mode] of modes) {
      const m = median(now[mode]);
      const b = median(before[mode]);
      const ratio = m / b;
      const target = label === "python"
        ? `; target <= 1.3x: ${ratio <= 1.3 ? "met" : "NOT met"}`
        : "";
      console.log(
        `  sandboxed, ${mode}: ${m.toFixed(1)} ms (x${(m / base).toFixed(2)} of bare); ` +
          `without the kernel confinement ${b.toFixed(1)} ms: x${ratio.toFixed(2)}${target}`,
      );
    }
  }
}

async function computerSession(cwd: string): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dataDir = await Deno.makeTempDir({ prefix: "sandbox-bench-data-" });
    const computer = new Computer({ dataDir, cwd });
    try {
      const t = performance.now();
      await computer.run("python", "print(1)");
      cold.push(performance.now() - t);
      for (let j = 0; j < 20; j++) await computer.run("python", "print(1)");
      for (let j = 0; j < 100; j++) {
        const s = performance.now();
        await computer.run("python", "print(1)");
        warm.push(performance.now() - s);
      }
    } finally {
      await computer.terminate();
      await Deno.remove(dataDir, { recursive: true });
    }
  }
  const dataDir = await Deno.makeTempDir({ prefix: "sandbox-bench-data-" });
  const open = new Computer({ dataDir, cwd, permissions: allowAll() });
  const t = performance.now();
  await open.run("python", "print(1)");
  const unconfined = performance.now() - t;
  await open.terminate();
  await Deno.remove(dataDir, { recursive: true });
  const w = median(warm);
  console.log(
    `Computer, sandboxed python: cold session to first print(1) ${median(cold).toFixed(1)} ms ` +
      `(-A: ${unconfined.toFixed(1)} ms); warm print(1) round trip ${w.toFixed(3)} ms ` +
      `(target <= 0.5 ms: ${w <= 0.5 ? "met" : "NOT met"})`,
  );
}

async function main(): Promise<void> {
  const support = await sandboxSupport();
  if (support.kind !== "bwrap") {
    console.log(`sandbox bench skipped: ${support.reason ?? support.kind}`);
    return;
  }
  let t = performance.now();
  const kernel = kernelSupportSync();
  console.log(
    `kernel confinement here: ${JSON.stringify(kernel)}; probed once in ${
      (performance.now() - t).toFixed(1)
    } ms`,
  );
  const cwd = await Deno.makeTempDir({ prefix: "sandbox-bench-" });
  await sessionStarts(cwd);
  await computerSession(cwd);
  const code = "import os, shutil\nfor f in os.listdir('.'):\n    print(f)\n".repeat(50);
  t = performance.now();
  for (let i = 0; i < 200; i++) scanCode("python", code, { cwd });
  console.log(
    `safe-mode scan of a ${code.split("\n").length}-line block: ${
      ((performance.now() - t) / 200).toFixed(2)
    } ms`,
  );
  await Deno.remove(cwd, { recursive: true });
}

if (import.meta.main) await main();
