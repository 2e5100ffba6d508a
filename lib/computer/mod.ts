/**
 * The computer: runs code in live sessions, one per language, and reports
 * what happened as LMC messages.
 *
 * ```ts
 * const computer = new Computer();
 * await computer.run("python", "x = 21\nx * 2"); // [{ role: "computer", type: "console", format: "output", content: "42\n" }]
 * for await (const chunk of computer.stream("sh", "echo hi")) console.log(chunk);
 * await computer.terminate();
 * ```
 *
 * @module
 */

import {
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MAX_PROCESSES,
  DEFAULT_RUN_TIMEOUT,
} from "../settings/registry.ts";
import { basename, join } from "node:path";
import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
import { collectRun, outputChunk } from "./collect.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import { defaultPermissions } from "../sandbox/defaults.ts";
import { privateRoot } from "../sandbox/sandbox.ts";
import { dataDir } from "../storage/paths.ts";
import type { ComputerLike, ComputerOptions, RunOptions } from "./types.ts";
import { SECRET_ENV_PATTERNS, sessionEnv } from "./env.ts";
import {
  findProgram,
  type FoundProgram,
  type LanguageInfo,
  languageInfo as lookupLanguage,
  LANGUAGES,
  resolveLanguage as lookupName,
  which,
} from "./languages.ts";
import { Session, type SessionSettings } from "./session.ts";
import { DEFAULT_OUTPUT_FILE_LIMIT } from "./output_file.ts";
import { saveHtml } from "./html.ts";
import { denoSpec, oneShotSpec, pythonSpec, shellSpec } from "./specs.ts";
import { DesktopHost, HOST_NAMESPACES, type HostNamespace } from "../desktop/host.ts";

export type { ComputerLike, ComputerOptions, RunOptions } from "./types.ts";
export type { LanguageInfo } from "./languages.ts";
export { LANGUAGES } from "./languages.ts";
export { SECRET_ENV_PATTERNS } from "./env.ts";
export { spawnSession } from "./spawn.ts";
export { finishOutput } from "./finish.ts";

/** Default wall-clock bound per run, in seconds. */
const DEFAULT_TIMEOUT = DEFAULT_RUN_TIMEOUT;
/** Default characters of output the model sees per run. */
export { DEFAULT_MAX_OUTPUT };
/** Default seconds a program may wait for input before it is stopped. */
const DEFAULT_INPUT_IDLE_TIMEOUT = 3;
/** Default bytes of full outputs kept on disk. */
const DEFAULT_OUTPUT_BUDGET = 1024 ** 3;
/** Default bytes of one run's full-output file (64 MiB). */
export { DEFAULT_OUTPUT_FILE_LIMIT };

/** The canonical name for a language or alias (`"py"` -> `"python"`), or undefined. */
export function resolveLanguage(name: string): string | undefined {
  return lookupName(name);
}

function orDefault(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : fallback;
}

// JavaScript and TypeScript share one Deno session, so their variables are shared too.
function sessionKey(info: LanguageInfo): string {
  return info.kind === "deno" ? "deno" : info.name;
}

/** Runs code on this machine in persistent per-language sessions. */
export class Computer implements ComputerLike {
  /** Wall-clock bound per run in seconds (0 = none). */
  timeout: number;
  /** Characters of output the model sees per run (head + tail). */
  maxOutput: number;
  /** Seconds a program may wait for input nobody will give before it is stopped. */
  inputIdleTimeout: number;
  /** Working directory of new sessions. */
  cwd: string | undefined;
  /**
   * Variable-name patterns removed from the environment of generated code: the default
   * patterns ({@linkcode SECRET_ENV_PATTERNS}) plus the option's names.
   */
  secretEnv: string[];
  /** Secret values (API keys): a variable holding one is removed from generated code's environment. */
  secretValues: string[];
  /**
   * The environment new sessions start from before filtering (undefined: this process's).
   * Set it before a session starts; running sessions keep theirs.
   */
  env: Record<string, string> | undefined;
  /** Bytes of full outputs kept on disk. */
  outputBudget: number;
  /** Bytes one run's full-output file may hold (its first part and its end are kept). */
  maxOutputFile: number;
  /** Processes and threads one session may hold at once (0: no bound); for new sessions. */
  maxProcesses: number;
  #permissions: Permissions | undefined;
  #defaults: { cwd: string; permissions: Permissions } | undefined;
  #dataDir: string | undefined;
  #python: string | undefined;
  #deno: string | undefined;
  #sessions = new Map<string, Session>();
  #available: string[] | undefined;
  #env: { key: string; base?: Record<string, string>; env: Record<string, string> } | undefined;
  /** The Computer API (display, mouse, keyboard...), on with display access (`--allow-display`). */
  readonly desktop: DesktopHost;
  /** The screen: `await computer.display.view()` (off without display access). */
  declare readonly display: HostNamespace;
  /** The mouse: `click("OK")`, `click({x, y})`, `move`, `scroll`... */
  declare readonly mouse: HostNamespace;
  /** The keyboard: `write(text)`, `press(["enter"])`, `hotkey(["ctrl", "c"])`... */
  declare readonly keyboard: HostNamespace;
  /** The clipboard: `view()`, `copy(text)`, `paste()`. */
  declare readonly clipboard: HostNamespace;
  /** The OS: `get_selected_text()`, `notify(text)`. */
  declare readonly os: HostNamespace;
  /** The headless browser: `go_to_url`, `search`, `read`, `screenshot`. */
  declare readonly browser: HostNamespace;
  /** The model: `chat`, `summarize`, `query`. */
  declare readonly ai: HostNamespace;
  /** Saved skills: `list`, `search`, `save`, `get`. */
  declare readonly skills: HostNamespace;

  /** A computer; every option has a default (see ComputerOptions). */
  constructor(options: ComputerOptions = {}) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
    this.inputIdleTimeout = options.inputIdleTimeout ?? DEFAULT_INPUT_IDLE_TIMEOUT;
    this.#permissions = options.permissions;
    this.cwd = options.cwd;
    this.secretEnv = [...new Set([...SECRET_ENV_PATTERNS, ...(options.secretEnv ?? [])])];
    this.secretValues = [...(options.secretValues ?? [])];
    this.env = options.env;
    this.outputBudget = options.outputBudget ?? DEFAULT_OUTPUT_BUDGET;
    this.maxOutputFile = options.maxOutputFile ?? DEFAULT_OUTPUT_FILE_LIMIT;
    this.maxProcesses = options.maxProcesses ?? DEFAULT_MAX_PROCESSES;
    this.#dataDir = options.dataDir;
    this.desktop = new DesktopHost(() => this.permissions, {
      skillsDir: () => join(this.#dataDir ?? dataDir(), "skills"),
      ...options.desktop,
    });
    // The library's view of the API: `await computer.display.view()` (lib/desktop/host.ts).
    for (const name of HOST_NAMESPACES) {
      Object.defineProperty(this, name, { value: this.desktop.namespace(name), enumerable: false });
    }
    this.#python = options.python;
    this.#deno = options.deno;
  }

  /**
   * Permissions for generated code. Default: the sandbox's default permissions
   * (read anywhere except secrets, write only in `cwd` and a per-session temp
   * folder, network on), made for the computer's working directory. `allowAll()`
   * is the explicit opt-out. A change applies from the next run (a persistent
   * session restarts under the new permissions).
   */
  get permissions(): Permissions {
    if (this.#permissions) return this.#permissions;
    const cwd = this.cwd ?? Deno.cwd();
    // One object per working directory: its identity is how a session's denials are found.
    if (this.#defaults?.cwd !== cwd) {
      this.#defaults = { cwd, permissions: defaultPermissions({ cwd }) };
    }
    return this.#defaults.permissions;
  }

  set permissions(value: Permissions) {
    this.#permissions = value;
  }

  /** The canonical names of the languages this machine can run. */
  get languages(): string[] {
    this.#available ??= LANGUAGES.filter((l) => this.#executable(l) !== undefined).map((l) =>
      l.name
    );
    return [...this.#available];
  }

  /** The description of a language by name or alias, or undefined. */
  languageInfo(name: string): LanguageInfo | undefined {
    return lookupLanguage(name);
  }

  /** The canonical name for a language or alias, or undefined. */
  resolveLanguage(name: string): string | undefined {
    return lookupName(name);
  }

  /** Where full outputs are kept. */
  get outputDir(): string {
    return join(this.#dataDir ?? dataDir(), "outputs");
  }

  /** Runs code and resolves to the messages it produced (output and images, no active lines). */
  run(language: string, code: string, options: RunOptions = {}): Promise<LmcMessage[]> {
    return collectRun(this.stream(language, code, options));
  }

  /**
   * Runs code and yields LMC chunks as they happen: `active_line` (a line
   * number, then `null` at the end), `output` text, and `image` chunks.
   * Output past what the model sees keeps streaming live with `recipient:
   * "user"` (throttled); the rest of the model's text comes at the end with
   * `recipient: "assistant"`. Concatenated, the output chunks without a
   * recipient or for the assistant are exactly what the model should see.
   * Breaking out of the loop stops the run.
   */
  async *stream(
    language: string,
    code: string,
    options: RunOptions = {},
  ): AsyncGenerator<LmcChunk> {
    const info = lookupLanguage(language);
    if (!info) {
      yield outputChunk(
        `\`${language}\` is not a language this computer can run. ` +
          `Use one of: ${this.languages.join(", ")}.\n`,
      );
      return;
    }
    if (typeof code !== "string" || code.trim() === "") {
      yield outputChunk("Code block was empty. Please write code before running it.\n");
      return;
    }
    if (info.kind === "html") {
      yield* this.#html(code);
      return;
    }
    // A live session already knows its program: no PATH lookup on the hot path.
    let session = this.#sessions.get(sessionKey(info));
    if (!session) {
      const found = this.#program(info);
      if (found.path === undefined) {
        yield outputChunk(this.#missing(info) + passedOver(found.skipped, info));
        return;
      }
      if (found.skipped.length) yield outputChunk(passedOver(found.skipped, info, found.path));
      session = this.#session(info, found.path);
    }
    const variant = info.name === "typescript" ? "typescript" : undefined;
    yield* session.stream(code, { ...options, variant });
  }

  /**
   * Interrupts whatever is running, in every session (whole process trees); sessions stay.
   * Resolves once the interrupted runs have ended (at most a few seconds).
   */
  async stop(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    for (const session of sessions) session.interrupt("stopped by the user.");
    await Promise.all(sessions.map((s) => s.settled(5_000)));
  }

  /** Ends every session and every process they started. */
  async terminate(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all([...sessions.map((s) => s.terminate()), this.desktop.close()]);
  }

  #settings(): SessionSettings {
    return {
      // A setting that is not a number >= 0 falls back to its default rather than to "no bound".
      timeout: orDefault(this.timeout, DEFAULT_TIMEOUT),
      inputIdleTimeout: orDefault(this.inputIdleTimeout, DEFAULT_INPUT_IDLE_TIMEOUT),
      maxOutput: orDefault(this.maxOutput, DEFAULT_MAX_OUTPUT),
      permissions: this.permissions,
      env: this.#sessionEnv(),
      cwd: this.cwd,
      outputDir: this.outputDir,
      storeBudget: this.outputBudget,
      fileLimit: this.maxOutputFile > 0 && Number.isFinite(this.maxOutputFile)
        ? this.maxOutputFile
        : DEFAULT_OUTPUT_FILE_LIMIT,
      channel: this.desktop.on ? this.desktop.handler : undefined,
      maxProcesses: orDefault(this.maxProcesses, DEFAULT_MAX_PROCESSES),
    };
  }

  #sessionEnv(): Record<string, string> {
    const key = [...this.secretEnv, "", ...this.secretValues].join("\0");
    if (this.#env?.key !== key || this.#env.base !== this.env) {
      const base = this.env;
      const env = sessionEnv(this.secretEnv, { base, secretValues: this.secretValues });
      this.#env = { key, base, env };
    }
    return this.#env.env;
  }

  #session(info: LanguageInfo, executable: string): Session {
    const key = sessionKey(info);
    let session = this.#sessions.get(key);
    if (!session) {
      const settings = () => this.#settings();
      const spec = info.kind === "python"
        ? pythonSpec(executable)
        : info.kind === "shell"
        ? shellSpec(executable, basename(executable) === "bash")
        : info.kind === "deno"
        ? denoSpec(executable, () => this.permissions)
        : oneShotSpec(info.name, { program: executable, extension: info.extension });
      session = new Session(spec, settings);
      this.#sessions.set(key, session);
    }
    return session;
  }

  #executable(info: LanguageInfo): string | undefined {
    return this.#program(info).path;
  }

  /**
   * The program that runs `info`, as an absolute path found once per session, never in a
   * folder generated code can write (see findProgram): a program planted there (a `python3`
   * in an activated `.venv` of the workspace) would otherwise run unsandboxed under `-A`, or
   * in the sandbox's own probes. A path the user configured is taken as given.
   */
  #program(info: LanguageInfo): FoundProgram {
    const search = { untrusted: this.#untrustedFolders() };
    const configuredPath = (configured: string | undefined): FoundProgram | undefined => {
      if (!configured) return undefined;
      if (configured.includes("/")) return { path: which(configured), skipped: [] };
      return findProgram([configured], search);
    };
    switch (info.kind) {
      case "python":
        return configuredPath(this.#python ?? Deno.env.get("INTERPRETER_PYTHON")) ??
          findProgram(["python3", "python"], search);
      case "shell":
        return findProgram(["bash", "sh"], search);
      case "deno": {
        const configured = configuredPath(this.#deno ?? Deno.env.get("INTERPRETER_DENO"));
        if (configured) return configured;
        // this program's own deno
        const self = Deno.execPath();
        return basename(self).startsWith("deno")
          ? { path: self, skipped: [] }
          : findProgram(["deno"], search);
      }
      case "html":
        return { path: "html", skipped: [] };
      case "oneshot":
        return findProgram([info.program!], search);
    }
  }

  /**
   * Folders generated code can write: the write grants (the defaults' under allow-all), the
   * working directory, and the sandboxes' private root (session and temp folders).
   */
  #untrustedFolders(): string[] {
    const cwd = this.cwd ?? Deno.cwd();
    const write = this.permissions.write;
    const grants = Array.isArray(write) ? write : defaultPermissions({ cwd }).write as string[];
    return [...grants, cwd, privateRoot()];
  }

  #missing(info: LanguageInfo): string {
    switch (info.kind) {
      case "python":
        return "Python 3 was not found on this computer. Install python3, or set " +
          "INTERPRETER_PYTHON (or the computer's `python` option) to its path.\n";
      case "shell":
        return "No shell (bash or sh) was found on this computer.\n";
      case "deno":
        return `${info.name} runs with deno, which was not found. Install deno, or set ` +
          "INTERPRETER_DENO (or the computer's `deno` option) to its path.\n";
      default:
        return `\`${info.name}\` is not installed on this computer (${info.program} was not ` +
          `found on PATH). Use one of: ${this.languages.join(", ")}.\n`;
    }
  }

  async *#html(code: string): AsyncGenerator<LmcChunk> {
    yield outputChunk(await saveHtml(code, this.#dataDir ?? dataDir()));
  }
}

/** Says which programs on PATH were passed over and why (and what runs instead). */
function passedOver(skipped: readonly string[], info: LanguageInfo, used?: string): string {
  if (!skipped.length) return "";
  const setting = info.kind === "python"
    ? "INTERPRETER_PYTHON (or the computer's `python` option)"
    : info.kind === "deno"
    ? "INTERPRETER_DENO (or the computer's `deno` option)"
    : undefined;
  return `[${skipped[0]} was not used: it is in a folder generated code can write, so it could ` +
    `have been replaced` + (used ? `; ${used} runs instead` : "") +
    (setting ? `. To use it anyway, set ${setting} to its path` : "") + `.]\n`;
}
