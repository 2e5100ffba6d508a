/**
 * Start-up time, side by side with `deno run` of an empty script:
 *
 * - `interpreter --version` (target: within 3x the empty script);
 * - the time to the first chat prompt in a real terminal (tmux), against an
 *   empty script that prints a prompt the same way (target: under 150 ms).
 *
 * Runs alternate between the program and the baseline so machine load hits
 * both alike; medians are reported. Benchmarks report; they never fail.
 *
 * Usage: `deno run -A bench/startup_bench.ts [runs]`
 *
 * @module
 */

import { hasTmux, TmuxSession } from "../tests/helpers/terminal_tmux.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeCommand(args: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args, env, stdout: "null", stderr: "null" })
    .output();
  const ms = performance.now() - t0;
  if (!out.success) throw new Error(`${args.join(" ")} failed`);
  return ms;
}

async function timeToPrompt(command: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const session = await TmuxSession.start({ command, env });
  try {
    await session.waitFor(/^> /m, { timeoutMs: 20_000, pollMs: 2 });
    return performance.now() - t0;
  } finally {
    await session.close();
  }
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 9);
  const dir = await Deno.makeTempDir({ prefix: "interpreter-bench-" });
  const empty = `${dir}/empty.ts`;
  const prompt = `${dir}/prompt.ts`;
  await Deno.writeTextFile(empty, "");
  await Deno.writeTextFile(
    prompt,
    'Deno.stdout.writeSync(new TextEncoder().encode("> "));\nawait new Promise((r) => setTimeout(r, 60_000));\n',
  );
  const env = { INTERPRETER_HOME: `${dir}/home`, NO_COLOR: "1" };
  try {
    // Warm the module cache (and the profile parse cache) first.
    await timeCommand(["run", "-A", empty], env);
    await timeCommand(["run", "-A", MAIN, "--version"], env);
    const base: number[] = [];
    const version: number[] = [];
    for (let i = 0; i < runs; i++) {
      base.push(await timeCommand(["run", "-A", empty], env));
      version.push(await timeCommand(["run", "-A", MAIN, "--version"], env));
    }
    const b = median(base);
    const v = median(version);
    console.log(`deno run (empty script):     ${b.toFixed(1)} ms (median of ${runs})`);
    console.log(
      `interpreter --version:       ${v.toFixed(1)} ms  = ${
        (v / b).toFixed(2)
      }x the empty script (target <= 3x)`,
    );

    if (!hasTmux()) {
      console.log("first prompt: skipped (tmux is not installed)");
    } else {
      const chat = [
        Deno.execPath(),
        "run",
        "-A",
        MAIN,
        "--api_base",
        "http://127.0.0.1:9/v1",
        "-m",
        "bench-model",
      ];
      const baseline = [Deno.execPath(), "run", "-A", prompt];
      await timeToPrompt(chat, env); // creates default.yaml and the parse cache
      const pb: number[] = [];
      const pc: number[] = [];
      for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
        pb.push(await timeToPrompt(baseline, env));
        pc.push(await timeToPrompt(chat, env));
      }
      const x = median(pb);
      const y = median(pc);
      console.log(`empty script's prompt in tmux: ${x.toFixed(1)} ms (includes starting tmux)`);
      console.log(
        `interpreter's first prompt:    ${y.toFixed(1)} ms  = ${(y / x).toFixed(2)}x; ${
          (y - x).toFixed(1)
        } ms more than the empty script (target: first prompt within 150 ms)`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
