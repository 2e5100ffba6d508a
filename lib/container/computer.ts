/**
 * `ContainerComputer`: a computer (the engine's `ComputerLike`) whose sessions live in one
 * container per computer, on a container engine that already exists (podman or Docker,
 * through the Engine API). Python, shell and JavaScript/TypeScript sessions keep their state
 * across runs inside the container (JavaScript in a deno the driver starts on the first
 * JavaScript run); one-shot languages (perl...) run there when the image has their program;
 * HTML is saved host-side, as the local computer does (lib/computer/html.ts). Output and the
 * driver's records come over an attach of the container's standard output; code goes in
 * through a forwarder exec into the driver's named pipe (see driver_py.ts), so another server
 * instance can reattach to the same container and keep its state. The host reads only records
 * and output from the container, as data; a run's side of them is box_run.ts.
 *
 * @module
 */

import { DEFAULT_MAX_OUTPUT, DEFAULT_RUN_TIMEOUT } from "../settings/registry.ts";
import { join } from "node:path";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import { collectRun, outputChunk } from "../computer/collect.ts";
import type { ComputerLike, RunOptions } from "../computer/types.ts";
import { FrameParser, newNonce } from "../computer/framing.ts";
import { type LanguageInfo, languageInfo, LANGUAGES } from "../computer/languages.ts";
import { saveHtml } from "../computer/html.ts";
import { defaultPermissions } from "../sandbox/defaults.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import { dataDir } from "../storage/paths.ts";
import { CONTAINER_DRIVER } from "./driver_py.ts";
import {
  type ActiveRun,
  applyRunRecord,
  finishRun,
  missingProgram,
  newRun,
  runCommand,
} from "./box_run.ts";
import { parseEngineAddress } from "./engine.ts";
import type { BoxInput, BoxOutput, SessionBackend, SparePool } from "./backend.ts";
import { EngineBackend } from "./engine_backend.ts";
import { type NetDenial, startProxy } from "../sandbox/proxy.ts";
import { type ContainerComputerOptions, INSTANCE_LABEL, SESSION_LABEL } from "./options.ts";
import { boxBelongsTo } from "./pool.ts";
import { needsProxy, sessionBox } from "./session_box.ts";

export type { ContainerComputerOptions } from "./options.ts";

/** Programs the bundled image (image.sh) has, assumed until the box's driver says what it has. */
const IMAGE_PROGRAMS = ["deno", "perl"];
/** Programs the driver is asked about: deno (JavaScript, TypeScript) and the one-shot ones. */
const PROGRAMS = [
  "deno",
  ...LANGUAGES.filter((l) => l.kind === "oneshot").map((l) => l.program!),
];

/** Milliseconds a run may take to end after an interrupt before the container is replaced. */
const INTERRUPT_GRACE_MS = 3000;
/** Milliseconds the driver may take to be ready in a new container. */
const START_TIMEOUT_MS = 30_000;
/**
 * Milliseconds between pings while the driver has not answered. An attach may connect after
 * the engine said it did (a Kubernetes attach, a loaded node): an answer printed before it
 * reads is lost, so the ping is repeated (the driver answers each; extra answers are ignored).
 */
const PING_REPEAT_MS = 500;

/** A computer whose code runs in a container (one per computer). */
export class ContainerComputer implements ComputerLike {
  /** The permissions in force (mapped to container options when the container starts). */
  permissions: Permissions;
  /** The working directory. */
  readonly cwd: string;
  /** What the flags mean here (for the start-up note). */
  readonly notes: string[] = [];
  readonly #options: ContainerComputerOptions;
  readonly #backend: SessionBackend;
  /** True when this computer made its backend (and so closes it). */
  readonly #ownsBackend: boolean;
  readonly #pool: SparePool | undefined;
  #containerId: string | undefined;
  #nonce = "";
  #attach: BoxOutput | undefined;
  #forwarder: BoxInput | undefined;
  #parser: FrameParser | undefined;
  #ready: { token: string; resolve: () => void } | undefined;
  #starting: Promise<void> | undefined;
  #run: ActiveRun | undefined;
  /**
   * Run numbers start at a random point: after a takeover, a run the old owner started may
   * still end in the box, and its end record must not match a run of this computer.
   */
  #runIds = Math.floor(Math.random() * 2 ** 40);
  #queue: Promise<void> = Promise.resolve();
  #proxy: { close(): Promise<void>; dir: string } | undefined;
  /** The permissions the box was made with (JSON). */
  #startedWith = "";
  #denials: NetDenial[] = [];
  /** The programs the box's driver found (undefined until it answered). */
  #programs: Set<string> | undefined;

  /** A computer on the engine at `options.engine` (nothing starts until the first run). */
  constructor(options: ContainerComputerOptions) {
    this.#options = options;
    this.#pool = options.pool;
    const engine = this.#pool?.backend ?? options.engine; // a pool's owner closes its backend
    if (engine === undefined) throw new TypeError("ContainerComputer needs options.engine or pool");
    this.#ownsBackend = !this.#pool && (typeof engine === "string" || !("launch" in engine));
    this.#backend = typeof engine === "string"
      ? new EngineBackend(parseEngineAddress(engine, Deno.env.toObject()))
      : "launch" in engine
      ? engine
      : new EngineBackend(engine);
    this.cwd = options.cwd ?? Deno.cwd();
    this.permissions = options.permissions ?? defaultPermissions({ cwd: this.cwd });
    this.#containerId = options.container;
  }

  /**
   * The languages the session container runs: python, shell and html always, JavaScript and
   * TypeScript when the image has deno, a one-shot language when it has its program. Until
   * the box's driver has answered, those of the bundled image (image.sh).
   */
  get languages(): string[] {
    const programs = this.#programs ?? new Set(IMAGE_PROGRAMS);
    return LANGUAGES.filter((l) => this.#hasProgramFor(l, programs)).map((l) => l.name);
  }

  /** The canonical name of a language or alias (`js` -> `javascript`), or undefined. */
  resolveLanguage(name: string): string | undefined {
    return languageInfo(name)?.name;
  }

  #hasProgramFor(info: LanguageInfo, programs: Set<string>): boolean {
    if (info.kind === "deno") return programs.has("deno");
    if (info.kind === "oneshot") return programs.has(info.program!);
    return true;
  }

  /** The session's container id, once started or reattached. */
  get containerId(): string | undefined {
    return this.#containerId;
  }

  /** Starts (or reattaches to) the container now; resolves when its driver is ready. */
  async start(): Promise<void> {
    this.#starting ??= this.#start().catch((error) => {
      this.#starting = undefined;
      throw error;
    });
    await this.#starting;
  }

  /** Runs code and resolves to its messages (no active lines). */
  run(language: string, code: string, options: RunOptions = {}): Promise<LmcMessage[]> {
    return collectRun(this.stream(language, code, options));
  }

  /** Runs code in the container and yields LMC chunks as they happen. */
  async *stream(
    language: string,
    code: string,
    options: RunOptions = {},
  ): AsyncGenerator<LmcChunk> {
    const info = languageInfo(language);
    if (!info) {
      yield outputChunk(
        `\`${language}\` does not run in container sessions. ` +
          `Use one of: ${this.languages.join(", ")}.\n`,
      );
      return;
    }
    if (typeof code !== "string" || code.trim() === "") {
      yield outputChunk("Code block was empty. Please write code before running it.\n");
      return;
    }
    if (info.kind === "html") {
      yield outputChunk(await saveHtml(code, this.#options.dataDir ?? dataDir()));
      return;
    }
    // One run at a time per container.
    let release!: () => void;
    const previous = this.#queue;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      yield* this.#stream(info, code, options);
    } finally {
      release();
    }
  }

  async *#stream(
    info: LanguageInfo,
    code: string,
    options: RunOptions,
  ): AsyncGenerator<LmcChunk> {
    // Permissions are fixed when a box starts: a change restarts it (its state is gone).
    if (
      this.#containerId && this.#startedWith &&
      this.#startedWith !== JSON.stringify(this.permissions)
    ) {
      await this.#discard();
      yield outputChunk(
        "(the permissions changed: the session container was restarted, its state is gone)\n",
      );
    }
    try {
      await this.start();
    } catch (error) {
      yield outputChunk(`The session container could not start: ${(error as Error).message}\n`);
      return;
    }
    const programs = this.#programs ?? new Set(IMAGE_PROGRAMS);
    if (!this.#hasProgramFor(info, programs)) {
      yield outputChunk(missingProgram(info, this.languages));
      return;
    }
    let command: Record<string, unknown>;
    try {
      command = await runCommand(info, code);
    } catch (error) {
      yield outputChunk(`The code could not be prepared: ${(error as Error).message}\n`);
      return;
    }
    const id = ++this.#runIds;
    const run = newRun(id, code, {
      maxOutput: this.#options.maxOutput ?? DEFAULT_MAX_OUTPUT,
      dir: join(this.#options.dataDir ?? dataDir(), "outputs"),
      label: info.name,
    });
    const { feed, end, ended } = run;
    this.#run = run;
    this.#denials = [];
    const timeoutS = options.timeout ?? this.#options.timeout ?? DEFAULT_RUN_TIMEOUT;
    let stopNote = "";
    const interrupt = (note: string) => {
      if (stopNote) return;
      stopNote = note;
      this.#interrupt(run).catch(() => {});
    };
    const timer = timeoutS > 0
      ? setTimeout(
        () => interrupt(`\nstopped: the run took longer than ${timeoutS} s\n`),
        timeoutS * 1000,
      )
      : undefined;
    const onAbort = () => interrupt("");
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) onAbort();
    ended.then((status) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (this.#run === run) this.#run = undefined;
      finishRun(run, { status, stopNote, denials: this.#denials.splice(0) });
    });
    const line = JSON.stringify({ id, ...command }) + "\n";
    try {
      await this.#forwarder!.write(new TextEncoder().encode(line));
    } catch (error) {
      end(137);
      feed.output(`The session container is unreachable: ${(error as Error).message}\n`);
    }
    let finished = false;
    try {
      for await (const chunk of feed.chunks()) yield chunk;
      finished = true;
    } finally {
      if (!finished) interrupt(""); // the consumer stopped reading: stop the run
    }
  }

  async #interrupt(run: ActiveRun): Promise<void> {
    if (!this.#containerId) return;
    await this.#backend.interrupt(this.#containerId).catch(() => {});
    const late = await Promise.race([
      run.ended.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), INTERRUPT_GRACE_MS)),
    ]);
    if (late && this.#run === run) {
      // The run did not end: the container is replaced (its state is gone).
      await this.#discard();
      run.feed.output(
        "\nThe run did not stop; the session container was replaced and its state is gone.\n",
      );
      run.end(137);
    }
  }

  /** Interrupts the running code (the container and its state stay). */
  async stop(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    await this.#interrupt(run);
    await run.ended;
  }

  /** Removes the container and every process in it (after a start under way, bounded). */
  async terminate(): Promise<void> {
    await this.#starting?.catch(() => {});
    await this.#discard();
    if (this.#ownsBackend) this.#backend.close();
  }

  /**
   * Lets go of the container without removing it (another instance reattaches to it): a run
   * in progress ends here, and this computer no longer reaches the container (no interrupt).
   */
  detach(): void {
    this.#attach?.close();
    this.#forwarder?.close();
    this.#attach = this.#forwarder = undefined;
    this.#starting = undefined;
    this.#containerId = undefined;
    this.#run?.end(137);
    this.#proxy?.close().catch(() => {});
    this.#proxy = undefined;
  }

  async #discard(): Promise<void> {
    const id = this.#containerId;
    const proxyDir = this.#proxy?.dir;
    this.detach();
    this.#containerId = undefined;
    this.#run?.end(137);
    if (id) await this.#backend.remove(id);
    if (proxyDir) await Deno.remove(proxyDir, { recursive: true }).catch(() => {});
  }

  /**
   * Starts this box's network proxy on a socket in a folder of the data folder named by the
   * box's nonce (the same path when another instance on this machine reattaches). The
   * folder is bound read-only into the box: code can connect to the socket, never replace it.
   */
  async #openProxy(): Promise<string | undefined> {
    if (!needsProxy(this.permissions) || !this.#backend.localHost) return undefined;
    const dir = join(this.#options.dataDir ?? dataDir(), "proxy", this.#nonce);
    await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
    await Deno.chmod(dir, 0o755);
    const socketPath = join(dir, "proxy.sock");
    // A socket left by an instance that died (this program's own folder, never the box's).
    await Deno.remove(socketPath).catch(() => {});
    const proxy = startProxy({
      allow: this.permissions.net,
      deny: this.permissions.denyNet,
      socketPath,
      onDenied: (denial) => this.#denials.push(denial),
    });
    await Deno.chmod(socketPath, 0o666); // the box's user (uid 1000) connects to it
    this.#proxy = { close: () => proxy.close(), dir };
    return dir;
  }

  async #start(): Promise<void> {
    let id = this.#containerId;
    const session = this.#options.session ?? "cli";
    if (id) {
      // Reattach: the box must be this session's (its label, or a pooled box claimed for
      // it), running this driver. A box that is not this session's is left alone.
      const info = await this.#backend.inspect(id).catch(() => null);
      const ours = info !== null && await boxBelongsTo(info, session);
      if (
        ours && info.running && info.cmd[2] === CONTAINER_DRIVER &&
        /^[0-9a-f]{12}$/.test(info.cmd[3] ?? "")
      ) {
        this.#nonce = info.cmd[3];
        // The server makes every session's computer with the same permissions.
        this.#startedWith = JSON.stringify(this.permissions);
        try {
          await this.#openProxy();
          await this.#connect(id);
          return;
        } catch {
          // not usable: a new box below
        }
      }
      if (ours) await this.#backend.remove(id);
      id = this.#containerId = undefined;
      this.detach();
    }
    this.#startedWith = JSON.stringify(this.permissions);
    if (await this.#startPooled(session)) return;
    this.#nonce = newNonce();
    const proxyDir = await this.#openProxy();
    const box = this.#shape(proxyDir);
    const spec = box.build(this.#nonce, {
      [INSTANCE_LABEL]: this.#options.instance ?? "cli",
      [SESSION_LABEL]: session,
    });
    this.notes.splice(0, this.notes.length, ...box.notes, ...this.#backend.notes);
    const launched = await this.#backend.launch(spec);
    this.#containerId = launched.id;
    try {
      await this.#connect(launched.id, launched);
    } catch (error) {
      await this.#discard();
      throw error;
    }
    await this.#options.onContainer?.(launched.id);
  }

  /** The shape of this computer's box now. */
  #shape(proxyDir?: string): ReturnType<typeof sessionBox> {
    return sessionBox({
      proxyDir,
      image: this.#options.image,
      permissions: this.permissions,
      cwd: this.cwd,
      env: this.#options.env,
      hostEnv: this.#options.hostEnv ?? Deno.env.toObject(),
      limits: this.#options.limits,
      localPaths: this.#backend.localHost,
      dataDir: this.#options.dataDir ?? dataDir(),
    });
  }

  /**
   * Takes a pre-started box of this computer's shape from the pool, claims it for the
   * session while connecting, and records it. False (nothing left behind) when there is no
   * pool, no ready box, the box needs the network proxy, or the box fails.
   */
  async #startPooled(session: string): Promise<boolean> {
    if (!this.#pool || (needsProxy(this.permissions) && this.#backend.localHost)) return false;
    const box = this.#shape();
    const taken = this.#pool.take(box, session);
    if (!taken) return false;
    this.notes.splice(0, this.notes.length, ...box.notes, ...this.#backend.notes);
    this.#nonce = taken.nonce;
    this.#containerId = taken.id;
    try {
      await Promise.all([this.#connect(taken.id, taken), taken.claimed]);
    } catch {
      await this.#discard();
      return false;
    }
    await this.#options.onContainer?.(taken.id);
    return true;
  }

  /** Attaches to the box's output, opens the input, and checks the driver answers. */
  async #connect(id: string, given: { output?: BoxOutput; input?: BoxInput } = {}): Promise<void> {
    const token = crypto.randomUUID().slice(0, 8);
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((ok, fail) => (resolve = ok, reject = fail));
    promise.catch(() => {}); // awaited below; an end before the wait is not unhandled
    this.#ready = { token, resolve };
    this.#parser = new FrameParser(this.#nonce, {
      onOutput: (bytes) => {
        const run = this.#run;
        if (!run?.started) return;
        for (const piece of run.collector.push(bytes)) run.feed.output(piece.text, piece.recipient);
      },
      onRecord: (kind, payload) => this.#record(kind, payload),
    });
    const attach = given.output ?? await this.#backend.attach(id);
    this.#attach = attach;
    this.#pump(attach, () => reject(new Error("the session box ended before its driver answered")));
    const forwarder = given.input ?? await this.#backend.openInput(id);
    this.#forwarder = forwarder;
    const ping = new TextEncoder().encode(
      JSON.stringify({ ping: token, programs: PROGRAMS }) + "\n",
    );
    let answered = false;
    const repeat = setInterval(() => {
      if (!answered) forwarder.write(ping).catch(() => {});
    }, PING_REPEAT_MS);
    try {
      await forwarder.write(ping);
      await boundedWait(promise, START_TIMEOUT_MS, "the session driver did not answer");
    } finally {
      answered = true;
      clearInterval(repeat);
    }
  }

  #pump(stream: BoxOutput, ended: () => void): void {
    (async () => {
      try {
        for await (const bytes of stream.chunks) this.#parser?.push(bytes);
      } catch {
        // the connection ended
      }
      ended();
      if (this.#attach === stream) {
        // The box's output ended: the driver is gone.
        this.#parser?.flush();
        this.#run?.end(137);
        this.detach();
        this.#containerId = undefined;
      }
    })();
  }

  #record(kind: string, payload: string): void {
    const run = this.#run;
    if (kind === "P") {
      if (payload === this.#ready?.token) this.#ready.resolve();
      return;
    }
    if (kind === "A") {
      // What the box has (code could forge this: it only decides which runs are sent).
      this.#programs = new Set(payload.split(" ").filter((name) => PROGRAMS.includes(name)));
      return;
    }
    if (run) applyRunRecord(run, kind, payload);
  }
}

async function boundedWait(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
