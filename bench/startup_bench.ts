/**
 * Start-up time, side by side with `deno run` of an empty script:
 *
 * - `interpreter --version` (target: within 3x the empty script);
 * - the time to the first chat prompt in a real terminal (tmux): from starting
 *   tmux until `> ` shows (target: within 150 ms). An empty script that prints
 *   a prompt the same way is timed beside it: its figure is the floor (deno's
 *   own start plus tmux), and it shows how loaded the machine is.
 *
 * Each round alternates the program and its baseline so machine load hits both
 * alike; the report gives each round's medians and the median of all samples,
 * which the verdicts use. Benchmarks report; they never fail.
 *
 * Usage: `deno run -A bench/startup_bench.ts [samples per round] [rounds]`
 * (defaults 9 and 3).
 *
 * @module
 */

import { hasTmux, TmuxSession } from "../tests/helpers/terminal_tmux.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Targets from the issue tracker (issue 4). */
const VERSION_RATIO_TARGET = 3;
const FIRST_PROMPT_TARGET_MS = 150;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}

function verdict(ok: boolean): string {
  return ok ? "met" : "NOT met";
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

/** Runs `rounds` rounds of `samples` alternating pairs; returns every sample of each side. */
async function alternate(
  rounds: number,
  samples: number,
  base: () => Promise<number>,
  program: () => Promise<number>,
): Promise<{ base: number[][]; program: number[][] }> {
  const out = { base: [] as number[][], program: [] as number[][] };
  for (let r = 0; r < rounds; r++) {
    const b: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < samples; i++) {
      b.push(await base());
      p.push(await program());
    }
    out.base.push(b);
    out.program.push(p);
  }
  return out;
}

function roundMedians(rounds: number[][]): string {
  return rounds.map((r) => median(r).toFixed(1)).join(", ");
}

if (import.meta.main) {
  const samples = Number(Deno.args[0] ?? 9);
  const rounds = Number(Deno.args[1] ?? 3);
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
    console.log(`${rounds} rounds of ${samples} alternating samples; medians in ms`);
    // Warm the module cache (and the profile parse cache) first.
    await timeCommand(["run", "-A", empty], env);
    await timeCommand(["run", "-A", MAIN, "--version"], env);
    const v = await alternate(
      rounds,
      samples,
      () => timeCommand(["run", "-A", empty], env),
      () => timeCommand(["run", "-A", MAIN, "--version"], env),
    );
    const b = median(v.base.flat());
    const ver = median(v.program.flat());
    console.log(`deno run (empty script):        ${ms(b)}  (rounds: ${roundMedians(v.base)})`);
    console.log(
      `interpreter --version:          ${ms(ver)}  (rounds: ${roundMedians(v.program)}) = ${
        (ver / b).toFixed(2)
      }x the empty script; target <= ${VERSION_RATIO_TARGET}x: ${
        verdict(ver / b <= VERSION_RATIO_TARGET)
      }`,
    );

    if (!hasTmux()) {
      console.log("first prompt: skipped (tmux is not installed); target not measured");
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
      await timeToPrompt(baseline, env);
      const p = await alternate(
        rounds,
        Math.max(3, Math.ceil(samples / 2)),
        () => timeToPrompt(baseline, env),
        () => timeToPrompt(chat, env),
      );
      const x = median(p.base.flat());
      const y = median(p.program.flat());
      console.log(
        `empty script's prompt in tmux:  ${ms(x)}  (rounds: ${
          roundMedians(p.base)
        }; deno's start plus tmux: the floor, and the load)`,
      );
      console.log(
        `interpreter's first prompt:     ${ms(y)}  (rounds: ${roundMedians(p.program)}) = ${
          (y / x).toFixed(2)
        }x, ${
          (y - x).toFixed(1)
        } ms more than the empty script; target <= ${FIRST_PROMPT_TARGET_MS} ms: ${
          verdict(y <= FIRST_PROMPT_TARGET_MS)
        }`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
