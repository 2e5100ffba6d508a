/**
 * Helpers for the computer tests: a computer whose files live in a temporary
 * folder, output text of a run, and process checks through /proc.
 *
 * @module
 */

import type { LmcMessage } from "../../lib/wire/lmc.ts";
import { Computer } from "../../lib/computer/mod.ts";
import type { ComputerOptions } from "../../lib/computer/types.ts";

/** Runs `fn` with a computer whose data folder is a fresh temporary folder; always terminates it. */
export async function withComputer(
  options: ComputerOptions,
  fn: (computer: Computer, dataDir: string) => Promise<void>,
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "computer-test-" });
  const computer = new Computer({ dataDir, ...options });
  try {
    await fn(computer, dataDir);
  } finally {
    await computer.terminate();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** The console output text of a run's messages. */
export function textOf(messages: LmcMessage[]): string {
  return messages.filter((m) => m.type === "console" && m.format === "output")
    .map((m) => m.content).join("");
}

/** Collects every chunk of a streamed run. */
export { collect } from "./lmc_chunks.ts";

/** True while /proc/<pid> exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Polls `condition` every 50 ms until it holds or `ms` pass; resolves to its last answer. */
export async function waitUntil(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Waits (bounded) until none of `pids` is alive; returns those still alive. */
export async function waitGone(pids: number[], ms = 3000): Promise<number[]> {
  await waitUntil(() => !pids.some(processAlive), ms);
  return pids.filter(processAlive);
}

/** The pids of the processes whose command line contains `marker` (read from /proc). */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replace(/\0/g, " ");
      if (cmdline.includes(marker)) pids.push(Number(entry.name));
    } catch { /* gone */ }
  }
  return pids;
}

/** The numbers printed on lines starting with `label` (e.g. "PID 123"). */
export function numbersAfter(text: string, label: string): number[] {
  return [...text.matchAll(new RegExp(`${label} (\\d+)`, "g"))].map((m) => Number(m[1]));
}

/** A python3 that can import matplotlib, or undefined. */
export function pythonWithMatplotlib(): string | undefined {
  for (const candidate of [Deno.env.get("INTERPRETER_PYTHON"), "python3", "/usr/bin/python3"]) {
    if (!candidate) continue;
    try {
      const out = new Deno.Command(candidate, {
        args: ["-c", "import matplotlib"],
        stdout: "null",
        stderr: "null",
      }).outputSync();
      if (out.success) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}
