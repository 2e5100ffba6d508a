/**
 * One run in a session box, as the host keeps it: the driver's command for the code, the run's
 * feed and output collector, what the box's records mean for it (`S` start, `L` active line,
 * `W` input wait, `E` end), and the notes added when it ends. Records are data the box could
 * forge: each is checked against this run (its number, its line count) before it counts.
 *
 * @module
 */

import { OutputCollector } from "../computer/output.ts";
import { RunFeed } from "../computer/feed.ts";
import type { LanguageInfo } from "../computer/languages.ts";
import { JS_DRIVER } from "../computer/drivers/js_driver.ts";
import type { NetDenial } from "../sandbox/proxy.ts";
import { LANGUAGES_PART } from "./driver_py.ts";

/** A run in progress. */
export interface ActiveRun {
  /** Its number (the driver repeats it in `S` and `E`). */
  id: number;
  /** True once the box said this run started (`S`): output before it is an earlier run's. */
  started: boolean;
  /** Lines of its code (an active line beyond them is not this run's). */
  lines: number;
  /** What the caller reads. */
  feed: RunFeed;
  /** Its output: what the model sees and the full copy. */
  collector: OutputCollector;
  /** Ends it with a status (once). */
  end: (status: number) => void;
  /** Resolves to its status. */
  ended: Promise<number>;
}

const INPUT_NOTE =
  "\n(the program asked for input: container sessions have no keyboard, so it got end of file)\n";

/** A new run of `code` numbered `id`, its output kept as `collector` says. */
export function newRun(
  id: number,
  code: string,
  collector: { maxOutput: number; dir: string; label: string },
): ActiveRun {
  let end!: (status: number) => void;
  const ended = new Promise<number>((resolve) => (end = resolve));
  return {
    id,
    started: false,
    lines: code.split("\n").length,
    feed: new RunFeed(),
    collector: new OutputCollector({ ...collector, storeBudget: 1024 ** 3 }),
    end,
    ended,
  };
}

/** The driver's command for a run of `code` (without its id). */
export async function runCommand(
  info: LanguageInfo,
  code: string,
): Promise<Record<string, unknown>> {
  if (info.kind === "deno") {
    // Loaded on first use (sucrase, acorn), as for the local Deno session: the same
    // transform (TypeScript types stripped, imports made dynamic, active-line marks).
    const { prepareScript } = await import("../computer/js_transform.ts");
    const prepared = prepareScript(code, { typescript: info.name === "typescript" });
    return { language: "javascript", driver: JS_DRIVER, part: LANGUAGES_PART, ...prepared };
  }
  if (info.kind === "oneshot") {
    return {
      language: "oneshot",
      program: info.program,
      extension: info.extension,
      part: LANGUAGES_PART,
      code,
    };
  }
  return { language: info.name, code };
}

/** Applies a run record of the box (`S`, `L`, `W`, `E`) to `run`; others are not a run's. */
export function applyRunRecord(run: ActiveRun, kind: string, payload: string): void {
  if (kind === "S") {
    if (Number(payload) === run.id) run.started = true;
    return;
  }
  if (!run.started) return; // an earlier run's (another instance's, before a takeover)
  if (kind === "L") {
    const n = Number(payload);
    if (Number.isInteger(n) && n >= 1 && n <= run.lines) {
      run.feed.push({ role: "computer", type: "console", format: "active_line", content: n });
    }
  } else if (kind === "W") {
    show(run, INPUT_NOTE);
  } else if (kind === "E") {
    const [rid, status] = payload.split(" ").map(Number);
    if (rid === run.id) run.end(Number.isInteger(status) ? status : 1);
  }
}

/** What {@linkcode finishRun} adds to a run's output. */
export interface RunEnding {
  /** The run's status (137: the box went away). */
  status: number;
  /** Why it was stopped (the run timeout), or "". */
  stopNote: string;
  /** Network connections the proxy refused during the run. */
  denials: NetDenial[];
}

/** Ends a run's output: why it stopped, what the network refused, its full output's note. */
export function finishRun(run: ActiveRun, ending: RunEnding): void {
  const denied = [...new Map(ending.denials.map((d) => [d.target, d])).values()];
  const deniedNote =
    denied.map((d) =>
      `\nnetwork: ${d.target} was refused by the permissions (allow it with ${d.flag})`
    ).join("") + (denied.length ? "\n" : "");
  if (ending.stopNote || deniedNote) show(run, ending.stopNote + deniedNote);
  for (const piece of run.collector.end()) run.feed.output(piece.text, piece.recipient);
  if (ending.status === 137 && !ending.stopNote) {
    run.feed.output("\nThe session container stopped; its state is gone.\n");
  }
  run.feed.push({ role: "computer", type: "console", format: "active_line", content: null });
  run.feed.end();
}

/** Text the host adds to a run's output (kept and trimmed like the code's own). */
function show(run: ActiveRun, text: string): void {
  for (const piece of run.collector.push(new TextEncoder().encode(text))) {
    run.feed.output(piece.text, piece.recipient);
  }
}

/** The one line for a language whose program the session image lacks. */
export function missingProgram(info: LanguageInfo, languages: string[]): string {
  const program = info.kind === "deno" ? "deno" : info.program;
  return `\`${info.name}\` does not run in container sessions with this image: it has no ` +
    `${program}. Add it to the image (lib/container/image.sh, then \`deno task image\`) or ` +
    `use one of: ${languages.join(", ")}.\n`;
}
