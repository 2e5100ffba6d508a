/**
 * The contract between the conversation engine and the computer (the layer
 * that runs code). The engine only depends on these types.
 *
 * @module
 */

import type { DesktopHostOptions } from "../desktop/host.ts";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import type { Permissions } from "../sandbox/permissions.ts";

/** Options for one run of code. */
export interface RunOptions {
  /** Wall-clock bound in seconds for this run (default: the computer's `timeout`; 0 = none). */
  timeout?: number;
  /** Aborting this signal stops the run (the whole process group). */
  signal?: AbortSignal;
  /**
   * Called when the program waits for input (`input()`, `read -p`): the line
   * it resolves to is written to the program's standard input; undefined stops
   * the run. Without it a wait is stopped after `inputIdleTimeout` (one-shot
   * runs and the server, where nobody can type). Shell and Python sessions.
   */
  onInputWait?: () => Promise<string | undefined>;
}

/** Settings of a computer, all optional. */
export interface ComputerOptions {
  /** Default wall-clock bound per run in seconds (default 120; 0 = none). */
  timeout?: number;
  /** Seconds without output while the program waits for input before the run is stopped. */
  inputIdleTimeout?: number;
  /** Characters of output the model sees per run, as head + tail (default 2800). */
  maxOutput?: number;
  /**
   * Permissions for generated code (default: `defaultPermissions({ cwd })`: read anywhere except
   * secrets, write only in the working directory and a per-session temp folder, network on;
   * pass `allowAll()` to run code unconfined).
   */
  permissions?: Permissions;
  /** Working directory for sessions (default: the process cwd). */
  cwd?: string;
  /** Where full outputs are kept (default: the program's data directory). */
  dataDir?: string;
  /**
   * More environment variable names (or `*` patterns) never passed to generated code, added to
   * the default patterns (`*KEY*`, `*TOKEN*`, `*SECRET*`, ...), never replacing them.
   */
  secretEnv?: string[];
  /** Secret values (API keys): a variable whose value holds one is never passed to generated code. */
  secretValues?: string[];
  /**
   * The environment sessions start from, before secrets are filtered out (default: this
   * process's). Lets a library user or a test hand code variables
   * without changing `Deno.env`, which every other part of the process shares.
   */
  env?: Record<string, string>;
  /** The Python 3 executable (default: env INTERPRETER_PYTHON, else python3 on PATH). */
  python?: string;
  /** The deno executable for JavaScript / TypeScript (default: env INTERPRETER_DENO, else this deno). */
  deno?: string;
  /** Bytes of full outputs kept under `<dataDir>/outputs` before the oldest are pruned (default 1 GiB). */
  outputBudget?: number;
  /**
   * Bytes one run's full-output file may hold (default 64 MiB): past it the file keeps its
   * first part and its last 8 MiB (half the limit when that is smaller), with a line saying
   * how many bytes were left out between them; the model's note says so too.
   */
  maxOutputFile?: number;
  /**
   * Processes and threads one session may hold at once (default 1024; 0 = no bound): a fork
   * bomb stops inside its session (see lib/sandbox/process_limit.ts).
   */
  maxProcesses?: number;
  /** The Computer API's model, skills folder, search page (used with display access). */
  desktop?: DesktopHostOptions;
}

/** What the engine needs from a computer. */
export interface ComputerLike {
  /** The canonical names of the languages this machine can run. */
  readonly languages: string[];
  /** Runs code and resolves to the LMC messages it produced (no active lines). */
  run(language: string, code: string, options?: RunOptions): Promise<LmcMessage[]>;
  /** Runs code and yields LMC chunks as they happen (active lines, output, images). */
  stream(language: string, code: string, options?: RunOptions): AsyncIterable<LmcChunk>;
  /** Interrupts whatever is running (the whole process group); sessions stay alive. */
  stop(): Promise<void>;
  /** Ends every session and every process they started. */
  terminate(): Promise<void>;
  /**
   * Lets go of the sessions without ending them, when they outlive this program (a
   * container another server instance reattaches to); afterwards this computer touches them
   * no more. Absent: sessions cannot outlive the computer.
   */
  detach?(): void;
  /**
   * The permissions its code runs under, when this computer confines code (setting them
   * restarts its sessions). Absent: the engine assumes the default permissions.
   */
  permissions?: Permissions;
  /** The directory code starts in, when this computer knows it (safe mode resolves paths by it). */
  readonly cwd?: string;
  /** Maps a language name the model used (`py`, `sh`) to one of `languages`; undefined: unknown. */
  resolveLanguage?(name: string): string | undefined;
  /** Characters of output kept per run, when this computer trims output (the engine sets it). */
  maxOutput?: number;
  /** Secret values kept out of generated code's environment (the engine adds its API keys). */
  secretValues?: string[];
  /** The Computer API on the host, when this computer has one (display size for Claude's tool). */
  readonly desktop?: {
    api(): Promise<{ display: { size(): Promise<[number, number]> } }>;
  };
}
