/**
 * The settings, spec and options of a language session, and the state of one
 * run on it (session.ts).
 *
 * @module
 */

import type { ChannelHandler } from "../desktop/channel.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { RunFeed } from "./feed.ts";
import type { OutputCollector } from "./output.ts";

/** Settings a session reads at the start of each run (they can change between runs). */
export interface SessionSettings {
  /** The Computer API's handler, when display access is granted (see spawn.ts). */
  channel?: ChannelHandler;
  /** Wall-clock bound in seconds (0 = none). */
  timeout: number;
  /** Seconds a program may wait for input before it is stopped. */
  inputIdleTimeout: number;
  /** Characters of output the model sees. */
  maxOutput: number;
  /** Permissions for generated code. */
  permissions: Permissions;
  /** Environment for the process (secrets already removed). */
  env: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Folder for full outputs. */
  outputDir: string;
  /** Bytes kept in the output folder. */
  storeBudget: number;
  /** Bytes one run's full-output file may hold (default 64 MiB). */
  fileLimit?: number;
  /** Processes one session may hold at once (default 1024; 0: no bound). */
  maxProcesses?: number;
}

/** What a driver is told with the code of a run. */
export interface SendOptions {
  /** The run's number: the driver repeats it in the run's `E` record. */
  id: number;
  /** A language variant (see SessionRunOptions). */
  variant?: string;
}

/** Options of one run. */
export interface SessionRunOptions {
  /** Seconds (overrides the settings' timeout; 0 = none). */
  timeout?: number;
  /** Aborting stops the run. */
  signal?: AbortSignal;
  /** A language variant for the driver (e.g. "typescript" in the Deno session). */
  variant?: string;
  /** Asked when the program waits for input (see `RunOptions.onInputWait`). */
  onInputWait?: () => Promise<string | undefined>;
}

/** The state of one run on a session (session.ts). */
export interface RunState {
  /** The number the driver repeats in this run's end record. */
  id: number;
  /** Lines of the code (an active line beyond it is not one of this run's). */
  lines: number;
  /** Base64 pieces of the image being received, and their length; undefined: none. */
  image: { pieces: string[]; length: number } | undefined;
  /** Notes about images that were refused (shown once, at the end). */
  imageNotes: Set<string>;
  feed: RunFeed;
  collector: OutputCollector;
  /** The model's text shown so far (pieces without a recipient). */
  shown: string;
  code: string;
  started: number;
  lastOutput: number;
  waitingMarker: boolean;
  waitingSince: number | undefined;
  stopReason: string | undefined;
  status: number | undefined;
  exited: { code: number; signal: string | null } | undefined;
  done: boolean;
  resolve: () => void;
  ended: Promise<void>;
  timers: ReturnType<typeof setTimeout>[];
  settings: SessionSettings;
  /** seam: input — who answers when the program waits for input (the person in the chat). */
  onInputWait?: () => Promise<string | undefined>;
  /** True while `onInputWait` is being asked. */
  asking: boolean;
  /** When the last answer was written (a new wait is asked about after output or 1 s). */
  answeredAt: number | undefined;
}
