/**
 * Computer benchmark: round trip of `print(1)` in a warm Python session and
 * `echo 1` in a warm shell session, against a baseline measured side by side
 * in the same run (Deno spawning and awaiting `python3 -c 'print(1)'`); and
 * the growth of this process's memory (RSS) while generated code prints 1 GB.
 *
 * Usage: `deno run -A bench/computer_bench.ts [--quick]`. Reports; never fails.
 *
 * @module
 */

import { Computer } from "../lib/computer/mod.ts";

interface Stats {
  median: number;
  p90: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9) };
}

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

async function roundTrips(
  computer: Computer,
  language: string,
  code: string,
  n: number,
): Promise<number[]> {
  for (let i = 0; i < 20; i++) await computer.run(language, code); // warm up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await computer.run(language, code);
    samples.push(performance.now() - start);
  }
  return samples;
}

async function baseline(n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await new Deno.Command("python3", { args: ["-c", "print(1)"], stdout: "piped" }).output();
    samples.push(performance.now() - start);
  }
  return samples;
}

async function memoryWhilePrinting(computer: Computer, bytes: number): Promise<void> {
  await computer.run("shell", "echo warm");
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 10);
  const start = performance.now();
  const messages = await computer.run(
    "shell",
    `head -c ${bytes} /dev/zero | tr '\\0' 'x'`,
  );
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const shown = messages.map((m) => String(m.content)).join("").length;
  const growth = (peak - before) / 1048576;
  console.log(
    `print ${bytes / 1e9} GB: ${seconds.toFixed(2)} s (${
      (bytes / 1048576 / seconds).toFixed(0)
    } MB/s), ` +
      `RSS ${(before / 1048576).toFixed(0)} MB -> peak +${growth.toFixed(1)} MB ` +
      `(target <= 50 MB: ${growth <= 50 ? "met" : "NOT met"}); model text ${shown} chars`,
  );
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const n = quick ? 100 : 500;
  const dataDir = await Deno.makeTempDir({ prefix: "computer-bench-" });
  const computer = new Computer({ dataDir });
  try {
    // Interleave the measurements so machine load affects both sides alike.
    const python: number[] = [];
    const shell: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < 5; round++) {
      python.push(...await roundTrips(computer, "python", "print(1)", n / 5));
      shell.push(...await roundTrips(computer, "shell", "echo 1", n / 5));
      base.push(...await baseline(quick ? 4 : 10));
    }
    const p = stats(python);
    const s = stats(shell);
    const b = stats(base);
    console.log(
      `baseline  python3 -c 'print(1)' spawned: median ${ms(b.median)}, p90 ${ms(b.p90)}`,
    );
    console.log(
      `python    warm print(1):  median ${ms(p.median)}, p90 ${ms(p.p90)}; ` +
        `ratio to baseline ${(p.median / b.median).toFixed(4)} ` +
        `(${(b.median / p.median).toFixed(0)}x faster); target median <= 0.5 ms: ` +
        (p.median <= 0.5 ? "met" : "NOT met"),
    );
    console.log(
      `shell     warm echo 1:    median ${ms(s.median)}, p90 ${ms(s.p90)}; ` +
        `ratio to baseline ${(s.median / b.median).toFixed(4)} ` +
        `(${(b.median / s.median).toFixed(0)}x faster); target median <= 0.5 ms: ` +
        (s.median <= 0.5 ? "met" : "NOT met"),
    );
    console.log("(a warm Jupyter kernel takes about 3.9 ms for print(1) on this machine)");
    await memoryWhilePrinting(computer, quick ? 200_000_000 : 1_000_000_000);
  } finally {
    await computer.terminate();
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await main();
