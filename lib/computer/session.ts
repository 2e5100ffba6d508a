/**
 * A session: one language's process (persistent, or one per run for one-shot
 * languages), the framing of its output, and everything that keeps a run from
 * hanging or losing output: the wall-clock timeout, the input-wait bound,
 * interrupts of the whole process tree, and bounded output.
 *
 * @module
 */

import { dirname } from "node:path";
import type { LmcChunk } from "../wire/lmc.ts";
import { RunFeed } from "./feed.ts";
import { FrameParser, newNonce } from "./framing.ts";
import { OutputCollector, type OutputPiece } from "./output.ts";
import { sessionProcesses, signalAll, stdinLinkOf, waitingForInput } from "./procs.ts";
import { spawnSession } from "./spawn.ts";
import { codeLeader, makeSessionDir } from "../sandbox/sandbox.ts";
import { isVanishedMount } from "../sandbox/mount_race.ts";
import type { NetDenial } from "../sandbox/proxy.ts";
import { StdinWriter } from "./stdin_writer.ts";
import { watchForInput } from "./input_watch.ts";
import { completeRun, showPieces } from "./run_end.ts";
import { applyRunRecord, withViewsShown } from "./run_records.ts";
import { removeCodeTree, removeCodeTreeSync } from "../sandbox/remove_tree.ts";

import type { RunState, SendOptions, SessionRunOptions, SessionSettings } from "./session_types.ts";

export type { SendOptions, SessionRunOptions, SessionSettings };

/** What a language contributes to a session. */
export interface SessionSpec {
  /** Canonical language name (for messages and file names). */
  language: string;
  /** True: one long-lived process; false: a new process per run. */
  persistent: boolean;
  /** True when SIGINT stops a run but keeps the session's state. */
  interruptible: boolean;
  /**
   * Creates the driver's files in `dir` (a new, empty folder for each process start; create
   * them exclusively) and returns the command to run.
   */
  prepare(dir: string, nonce: string, code: string): Promise<string[]> | string[];
  /** Sends one run's code to a persistent session, over its command pipe. */
  send?(session: Session, code: string, options: SendOptions): Promise<void>;
  /** Extra environment for the process. */
  env?: Record<string, string>;
  /** Adjusts the command line for the Computer API's socket (see spawn.ts). */
  channelArgs?: (cmd: string[], socketPath: string) => string[];
  /**
   * The path of the standard input user code gets, when the driver makes one (the shell's
   * FIFO); otherwise it is read from /proc once the driver is ready.
   */
  stdinPath?(dir: string): string;
  /** Releases what the spec holds (called when the session terminates). */
  close?(): void;
}

const READY_TIMEOUT_MS = 30_000;
/** Starts tried when bubblewrap fails on a mount target that vanished meanwhile. */
const START_TRIES = 3;
const KILL_CHILDREN_AFTER_MS = 150;
const KILL_SESSION_AFTER_MS = 3_000;

/** Ends each live session's processes; run on `unload`, when the program exits normally. */
const endOnExit = new Set<() => void>();
let unloadHooked = false;

function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  // Session processes are unref'd (a script that never calls terminate() still exits);
  // here they are ended, whole trees, so nothing outlives the program.
  globalThis.addEventListener("unload", () => {
    for (const end of [...endOnExit]) end();
    endOnExit.clear();
  });
}

/** Waits for `promise`, but at most `ms` milliseconds (the timer is cleared either way). */
async function bounded(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}

/** One language session. Runs on a session are serialised. */
export class Session {
  /** What the language contributes (program, driver, how code is sent). */
  readonly spec: SessionSpec;
  #settings: () => SessionSettings;
  #child: Deno.ChildProcess | undefined;
  /** The network refusals of the last process's sandbox (this session's own, see finish.ts). */
  #netDenials: (() => NetDenial[]) | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #readerDone: Promise<void> | undefined;
  #exitStatus: Promise<Deno.CommandStatus> | undefined;
  #alive = false;
  #dir: string | undefined;
  #nonce = newNonce();
  #token = crypto.randomUUID();
  #stdinLink: string | undefined;
  /** seam: input — a writer on the code's stdin FIFO, opened when the driver is ready. */
  readonly #stdin = new StdinWriter();
  #ready: (() => void) | undefined;
  #run: RunState | undefined;
  #orphan: Uint8Array[] = [];
  #orphanBytes = 0;
  #queue: Promise<void> = Promise.resolve();
  #runs = 0;
  #restartNote = "";
  #permissionsKey = "";
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #endOnExit = (): void => {
    this.#killAll();
    if (this.#dir) removeCodeTreeSync(this.#dir);
  };

  /** A session for `spec`; `settings` is read at the start of each run. */
  constructor(spec: SessionSpec, settings: () => SessionSettings) {
    this.spec = spec;
    this.#settings = settings;
  }

  /** The session's private folder (driver files, cell file, FIFO). */
  get dir(): string | undefined {
    return this.#dir;
  }

  /** The process id of the session leader, while it runs. */
  get pid(): number | undefined {
    // seam: sandbox — inside the sandbox, the interpreter under the wrappers.
    return this.#alive && this.#child ? codeLeader(this.#child.pid) : undefined;
  }

  /** Writes bytes to the session's command channel (its original stdin). */
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.#writer) throw new Error("the session is not running");
    await this.#writer.write(bytes);
  }

  /** True when a process of the session is blocked reading its stdin. */
  isWaitingForInput(pids?: number[]): boolean {
    const leader = this.pid;
    if (leader === undefined) return false;
    return waitingForInput(pids ?? sessionProcesses(leader, this.#token), this.#stdinLink);
  }

  /** Runs code and yields LMC chunks; breaking out of the loop stops the run. */
  async *stream(code: string, options: SessionRunOptions = {}): AsyncGenerator<LmcChunk> {
    let release!: () => void;
    const previous = this.#queue;
    this.#queue = new Promise<void>((resolve) => release = resolve);
    await previous;
    const feed = new RunFeed();
    let finished = false;
    const done = this.#execute(code, options, feed).finally(() => finished = true);
    try {
      yield* feed.chunks();
    } finally {
      if (!finished) this.interrupt("stopped: the run was cancelled.");
      await done;
      release();
    }
  }

  /** Stops the current run (if any) with `reason` shown in its output. */
  interrupt(reason: string): void {
    const run = this.#run;
    const leader = this.pid;
    if (!run || run.done || run.stopReason) return;
    run.stopReason = reason;
    if (leader === undefined) return;
    if (!this.spec.persistent || !this.spec.interruptible) {
      this.#killAll();
      return;
    }
    const before = sessionProcesses(leader, this.#token);
    if (before.length === 0) before.push(leader); // without /proc (not Linux)
    signalAll(before, "SIGINT");
    // Then kill the rest of the tree (background jobs ignore SIGINT). This timer outlives the
    // run on purpose: the run may end as soon as its foreground command dies.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const now = this.#run === run || !this.#run ? sessionProcesses(leader, this.#token) : [];
      const others = [...new Set([...before, ...now])].filter((p) => p !== leader);
      signalAll(others, "SIGKILL");
    }, KILL_CHILDREN_AFTER_MS);
    this.#timers.add(timer);
    run.timers.push(setTimeout(() => {
      if (!run.done) this.#killAll();
    }, KILL_SESSION_AFTER_MS));
  }

  /** Resolves when the current run (if any) has ended, or after `ms` milliseconds. */
  async settled(ms: number): Promise<void> {
    const run = this.#run;
    if (!run || run.done) return;
    await bounded(run.ended, ms);
  }

  /** Ends the session and every process it started. */
  async terminate(): Promise<void> {
    endOnExit.delete(this.#endOnExit);
    this.interrupt("stopped: the session was terminated.");
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#killAll();
    await this.#waitExit();
    this.spec.close?.();
    if (this.#dir) {
      await removeCodeTree(this.#dir);
      this.#dir = undefined;
    }
  }

  #killAll(): void {
    const leader = this.#child?.pid;
    if (leader === undefined) return;
    const pids = sessionProcesses(leader, this.#token);
    // Without /proc (not Linux) only the leader is known.
    if (pids.length === 0 && this.#alive) pids.push(leader);
    signalAll(pids, "SIGKILL");
  }

  async #waitExit(): Promise<void> {
    if (!this.#child) return;
    const child = this.#child;
    await bounded(this.#exitStatus, 5_000);
    await bounded(this.#readerDone, 1_000);
    try {
      await this.#writer?.close();
    } catch {
      // already closed
    }
    try {
      await child.stdout.cancel();
    } catch {
      // already consumed
    }
    if (this.#child === child) {
      this.#child = undefined;
      this.#writer = undefined;
    }
  }

  async #start(code: string): Promise<string | undefined> {
    const settings = this.#settings();
    // A new folder for each process, in the sandboxes' private root (no other session sees
    // it): the last one was writable by the code that ran there, so nothing in it is reused
    // (removing it follows no link).
    if (this.#dir) await removeCodeTree(this.#dir);
    this.#dir = makeSessionDir(`interpreter-${this.spec.language}-`);
    this.#nonce = newNonce();
    let argv: string[];
    try {
      argv = await this.spec.prepare(this.#dir, this.#nonce, code);
    } catch (error) {
      return (error as Error).message;
    }
    const env = { ...settings.env, ...this.spec.env, INTERPRETER_SESSION: this.#token };
    let child: Deno.ChildProcess;
    try {
      const spawned = spawnSession(argv, {
        permissions: settings.permissions,
        env,
        cwd: settings.cwd,
        dir: this.#dir,
        dataDir: dirname(settings.outputDir),
        channel: settings.channel && withViewsShown(settings.channel, () => this.#run),
        channelArgs: this.spec.channelArgs,
        maxProcesses: settings.maxProcesses,
      });
      child = spawned.child;
      // Kept past the process's end: a one-shot run's process has exited when its output ends.
      this.#netDenials = spawned.takeNetDenials;
    } catch (error) {
      return `could not start ${argv[0]}: ${(error as Error).message}`;
    }
    this.#child = child;
    this.#alive = true;
    hookUnload();
    endOnExit.add(this.#endOnExit);
    this.#writer = child.stdin.getWriter();
    this.#stdinLink = stdinLinkOf(child.pid);
    const parser = new FrameParser(this.#nonce, {
      onOutput: (bytes) => this.#onOutput(bytes),
      onRecord: (kind, payload) => this.#onRecord(kind, payload),
    });
    this.#exitStatus = child.status;
    this.#readerDone = (async () => {
      // One reused buffer (BYOB): printing gigabytes allocates nothing per chunk.
      // Whatever keeps bytes beyond the call (ring, carry) copies them.
      let buffer = new ArrayBuffer(64 * 1024);
      try {
        const reader = child.stdout.getReader({ mode: "byob" });
        try {
          while (true) {
            const { value, done } = await reader.read(new Uint8Array(buffer));
            if (done || !value) break;
            try {
              parser.push(value);
            } catch {
              // a fault in handling output must never stop the reading (the program would block)
            }
            buffer = value.buffer as ArrayBuffer;
          }
        } finally {
          reader.releaseLock();
        }
      } catch {
        // the stream was cancelled
      }
      parser.flush();
    })();
    child.status.then((status) => this.#onExit(child, status));
    if (!this.spec.persistent) return undefined;
    const ready = new Promise<boolean>((resolve) => {
      this.#ready = () => resolve(true);
      child.status.then(() => resolve(false));
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      ready,
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
    this.#ready = undefined;
    if (!ok) {
      const early = this.#takeOrphan();
      this.#killAll();
      await this.#waitExit();
      return `could not start the ${this.spec.language} session` +
        (early ? `:\n${early}` : ` (${argv[0]} did not answer)`);
    }
    // seam: sandbox — the driver's own stdin, under the sandbox wrappers.
    this.#stdinLink = this.spec.stdinPath?.(this.#dir!) ??
      stdinLinkOf(codeLeader(child.pid)) ?? this.#stdinLink;
    this.#stdin.openAt(this.spec.stdinPath?.(this.#dir!));
    this.#takeOrphan();
    return undefined;
  }

  #takeOrphan(): string {
    const text = new TextDecoder().decode(concatBytes(this.#orphan));
    this.#orphan = [];
    this.#orphanBytes = 0;
    return text.trim();
  }

  #onOutput(bytes: Uint8Array): void {
    const run = this.#run;
    if (!run || run.done) {
      // Output between runs (a background job) is shown with the next run.
      if (this.#orphanBytes < 64 * 1024) {
        this.#orphan.push(bytes.slice());
        this.#orphanBytes += bytes.length;
      }
      return;
    }
    this.#show(run, run.collector.push(bytes));
  }

  #show(run: RunState, pieces: readonly OutputPiece[]): void {
    showPieces(run, pieces);
  }

  #note(run: RunState, text: string): void {
    this.#show(run, run.collector.push(new TextEncoder().encode(text)));
  }

  /**
   * A record from the driver, or one code forged (the nonce is readable inside): each is
   * checked, and none makes the host do more than output could (see framing.ts).
   */
  #onRecord(kind: string, payload: string): void {
    const run = this.#run;
    if (kind === "R") {
      if (payload === "") this.#ready?.();
    } else if (run && !run.done && applyRunRecord(run, kind, payload, this.spec.persistent)) {
      // Only this run's end counts (a late or stray one must not end a later run).
      this.#finishRun(run);
    }
  }

  async #onExit(child: Deno.ChildProcess, status: Deno.CommandStatus): Promise<void> {
    if (child === this.#child) this.#stdin.close();
    if (this.#child !== child) return;
    this.#alive = false;
    // Give the reader a moment to deliver the last bytes.
    await bounded(this.#readerDone, 300);
    const run = this.#run;
    if (run && !run.done) {
      run.exited = { code: status.code, signal: status.signal };
      this.#finishRun(run);
    }
    // Leave nothing behind (background jobs of a one-shot program, a dead session's children).
    const left = sessionProcesses(child.pid, this.#token).filter((p) => p !== child.pid);
    signalAll(left, "SIGKILL");
    if (this.spec.persistent && !run?.stopReason && !run) {
      this.#restartNote =
        `[the ${this.spec.language} session had ended (exit code ${status.code}); ` +
        `this run started a new one, so earlier variables are gone]\n`;
    }
  }

  #finishRun(run: RunState): void {
    if (run.done) return;
    run.done = true;
    run.resolve();
  }

  async #execute(code: string, options: SessionRunOptions, feed: RunFeed): Promise<void> {
    const settings = this.#settings();
    const run: RunState = {
      id: ++this.#runs,
      lines: code.split("\n").length,
      image: undefined,
      imageNotes: new Set(),
      feed,
      collector: new OutputCollector({
        maxOutput: settings.maxOutput,
        dir: settings.outputDir,
        label: this.spec.language,
        storeBudget: settings.storeBudget,
        fileLimit: settings.fileLimit,
      }),
      shown: "",
      code,
      started: performance.now(),
      lastOutput: performance.now(),
      waitingMarker: false,
      waitingSince: undefined,
      stopReason: undefined,
      status: undefined,
      exited: undefined,
      done: false,
      resolve: () => {},
      ended: Promise.resolve(),
      timers: [],
      settings,
      onInputWait: options.onInputWait,
      asking: false,
      answeredAt: undefined,
    };
    const ended = new Promise<void>((resolve) => run.resolve = resolve);
    run.ended = ended;
    const onAbort = () => this.interrupt("stopped by the user.");
    try {
      const permissionsKey = JSON.stringify(settings.permissions);
      if (this.spec.persistent && this.#alive && permissionsKey !== this.#permissionsKey) {
        // The permissions are fixed when a process starts: a change needs a new session.
        this.#killAll();
        await this.#waitExit();
        this.#alive = false;
        this.#restartNote = `[the permissions changed, so the ${this.spec.language} session was ` +
          `restarted under the new ones; earlier variables are gone]\n`;
      }
      if (!this.spec.persistent || !this.#alive) {
        if (this.#child) await this.#waitExit(); // the previous process (one-shot: last run)
        this.#permissionsKey = permissionsKey;
        let error = await this.#start(code);
        // A host folder the sandbox masks (another program's socket folder) that vanished
        // between the sandbox's search and bubblewrap's mount fails the start: bubblewrap
        // cannot mask "if present". The masks are searched afresh on each try.
        for (let tries = 1; error && tries < START_TRIES && isVanishedMount(error); tries++) {
          error = await this.#start(code);
        }
        if (error) {
          this.#note(run, error + "\n");
          run.done = true;
          return;
        }
      }
      this.#run = run;
      if (this.#restartNote) {
        this.#note(run, this.#restartNote);
        this.#restartNote = "";
      }
      if (this.#orphanBytes) {
        for (const bytes of this.#orphan) this.#show(run, run.collector.push(bytes));
        this.#orphan = [];
        this.#orphanBytes = 0;
      }
      const requested = options.timeout;
      const timeout = typeof requested === "number" && Number.isFinite(requested) && requested >= 0
        ? requested
        : settings.timeout;
      if (timeout > 0) {
        run.timers.push(setTimeout(() => {
          this.interrupt(`stopped after ${timeout} s (the time limit for one run).`);
        }, timeout * 1000));
      }
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener("abort", onAbort);
      watchForInput(run, {
        pid: () => this.pid,
        isWaitingForInput: () => this.isWaitingForInput(),
        stdin: this.#stdin,
        interrupt: (reason) => this.interrupt(reason),
      });
      if (this.spec.persistent) {
        try {
          await this.spec.send!(this, code, { id: run.id, variant: options.variant });
        } catch (error) {
          this.#note(run, `could not send the code: ${(error as Error).message}\n`);
          this.#killAll();
        }
      }
      await ended;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      for (const t of run.timers) clearTimeout(t);
      run.done = true;
      if (this.#run === run) this.#run = undefined;
      this.#complete(run);
    }
  }

  /** Ends a run's output with its notes (see run_end.ts). */
  #complete(run: RunState): void {
    completeRun(run, { spec: this.spec, netDenials: this.#netDenials?.() ?? [] });
  }
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
