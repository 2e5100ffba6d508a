/**
 * The `interpreter` program after flag parsing: settings from profiles and
 * flags, then one of: the profiles folder, the server, the conversation list,
 * a one-shot request, or the interactive chat.
 *
 * @module
 */

import type { LmcChunk, LmcMessage } from "../core/lmc.ts";
import type { InterpreterOptions } from "../core/settings.ts";
import type { Interpreter } from "../core/interpreter.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import {
  BUNDLED_PROFILES,
  ensureDefaultProfile,
  getSetting,
  loadProfile,
  mergeProfiles,
  parseProfile,
  type Profile,
  ProfileError,
  profileFromFlags,
  profilesDir,
  ProfileUnreadableError,
  readBundledProfile,
  resetProfile,
} from "../profiles/mod.ts";
import { configDir, dataDir } from "../storage/paths.ts";
import { NoHomeError } from "../storage/path.ts";
import type { ConversationStore } from "../storage/conversations.ts";
import { appendHistory, loadHistory } from "../storage/history.ts";
import { ExitCode } from "./exit_codes.ts";
import { exitOnTerminatingSignals } from "./signals.ts";
import { type ParsedArgs, wrapWords } from "./flags.ts";
import { Renderer } from "./renderer.ts";
import type { LineInput } from "./input.ts";
import { formatUsd } from "./cost.ts";
import type { TurnIo } from "./chat.ts";
import { interpreterOptionsFromProfile } from "./settings.ts";
import { commandName } from "./invocation.ts";
import { ConversationSaver } from "./saving.ts";
import { detectImageProtocol, loadImageSupport } from "./image.ts";
// Start-up: only what the first prompt needs is imported here. The line editor
// (node:readline and node's streams), the turn loop, % commands, conversation
// storage, the sandbox runtime and the engine load on demand (see runChat).

/** Facts main.ts passes in. */
export interface CliMeta {
  /** The program's version. */
  version: string;
}

/** The model used when neither a profile nor a flag names one (the engine's default). */
const DEFAULT_MODEL = "gpt-4o";

/**
 * A start this slow (milliseconds from process start to the chat) means Deno
 * fetched modules first (an empty cache): see {@link coldStart}.
 */
export const COLD_START_MS = 2000;

/** How long Deno's download progress display is given to clear itself after a cold start. */
export const PROGRESS_SETTLE_MS = 300;

/** True when reaching the chat took long enough that Deno downloaded modules on the way. */
function coldStart(): boolean {
  return performance.now() > COLD_START_MS;
}

/** The engine, as a type only (the module itself is loaded on demand). */
type Engine = Interpreter;

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let off = 0;
  while (off < data.length) off += file.writeSync(data.subarray(off));
}

class UsageProblem extends Error {}

/** The shortcut profiles merged over the chosen one by their flags (--fast, --vision, --local). */
const SHORTCUT_PROFILES = ["fast", "vision", "local", "os"] as const;

/** Shown at start whenever the Computer API is on (--os, --allow-display). */
const DISPLAY_WARNING =
  "The Computer API is on: code can see this screen and use its mouse, keyboard and clipboard. " +
  "Text on the screen can carry instructions to the model (prompt injection): read each code " +
  "block before you approve it.";

/** Runs the program for parsed flags; resolves to the exit status. */
export async function runCli(args: ParsedArgs, meta: CliMeta): Promise<number> {
  const flags = args.flags;
  try {
    // No home folder: nothing can be loaded or saved; say what to set (exit 2).
    configDir();
    dataDir();
    if (flags.profiles) return await showProfiles();
    if (flags.reset_profile !== undefined) {
      const path = await resetProfile(String(flags.reset_profile || "default"));
      console.log(`Restored ${path}`);
      return ExitCode.Ok;
    }
    const { profile, source } = await settingsFrom(flags);
    const permissions = await resolvePermissions(flags, profile, source);
    if (flags.server) return await runServer(flags, profile, permissions);
    if (flags.mcp) {
      // seam: mcp — the MCP server (and its SDK) load only with --mcp.
      const { runMcpCli } = await import("../mcp/cli.ts");
      const options = interpreterOptionsFromProfile(profile, permissions);
      nameKeySource(options, flags);
      return await runMcpCli(flags, options, meta.version);
    }
    return await runChat(args, profile, permissions, meta);
  } catch (e) {
    if (e instanceof ProfileError || e instanceof UsageProblem || e instanceof NoHomeError) {
      console.error(`interpreter: ${e.message.trimEnd()}`);
      return ExitCode.Usage;
    }
    throw e;
  }
}

async function showProfiles(): Promise<number> {
  await ensureDefaultProfile();
  const dir = profilesDir();
  console.log(dir);
  const desktop = Deno.build.os === "darwin" || Deno.env.get("DISPLAY") ||
    Deno.env.get("WAYLAND_DISPLAY");
  if (desktop) {
    const opener = Deno.build.os === "darwin" ? "open" : "xdg-open";
    try {
      const child = new Deno.Command(opener, { args: [dir], stdout: "null", stderr: "null" })
        .spawn();
      await child.status;
    } catch { /* no opener: the path is printed */ }
  }
  return ExitCode.Ok;
}

/**
 * Loads the profile (default: default.yaml), shortcut profiles, then flags on
 * top. A config folder that cannot be used (a file, a symlink loop, not
 * readable) or an unreadable default.yaml is one warning line and the bundled
 * defaults; a profile named with --profile that cannot be read is a usage error.
 */
export async function settingsFrom(
  flags: ParsedArgs["flags"],
  warn: (text: string) => void = (text) => console.error(`interpreter: warning: ${text}`),
): Promise<{ profile: Profile; source: string }> {
  const explicit = typeof flags.profile === "string";
  const name = explicit ? String(flags.profile) : "default";
  let problem: string | undefined;
  try {
    await ensureDefaultProfile();
  } catch (e) {
    if (e instanceof NoHomeError) throw e;
    problem = `the config folder ${profilesDir()} cannot be used (${firstLine(e)})`;
  }
  const load = async (profileName: string, required: boolean): Promise<Profile> => {
    try {
      return await loadProfile(profileName);
    } catch (e) {
      const unreadable = e instanceof ProfileUnreadableError || !(e instanceof ProfileError);
      if (required || !unreadable || !BUNDLED_PROFILES.includes(profileName)) throw e;
      problem ??= firstLine(e);
      return await parseProfile(
        await readBundledProfile(profileName),
        `(bundled) ${profileName}.yaml`,
      );
    }
  };
  let profile = await load(name, explicit);
  for (const shortcut of SHORTCUT_PROFILES) {
    if (flags[shortcut]) profile = mergeProfiles(profile, await load(shortcut, false));
  }
  if (problem) warn(`${problem}; running on the default settings`);
  profile = mergeProfiles(profile, profileFromFlags(flags));
  return { profile, source: name };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

async function resolvePermissions(
  flags: ParsedArgs["flags"],
  profile: Profile,
  source: string,
): Promise<Permissions | undefined> {
  // The permission modules alone, not the sandbox barrel (its runtime is not needed yet).
  const [{ permissionsFromProfile }, { permissionsFromFlags }] = await Promise.all([
    import("../sandbox/profile.ts"),
    import("../sandbox/flags.ts"),
  ]);
  try {
    const base = permissionsFromProfile(profile.permissions, {
      where: `profile ${source}: permissions`,
    });
    const permissionFlags: Record<string, boolean | string[] | undefined> = {};
    for (const [key, value] of Object.entries(flags)) {
      if (/^(allow|deny)_/.test(key)) permissionFlags[key] = value as boolean | string[];
    }
    // --os = --allow-display + the os profile (--deny-display still wins).
    if (flags.os === true) permissionFlags.allow_display = true;
    return permissionsFromFlags(permissionFlags, { base });
  } catch (e) {
    throw new UsageProblem(e instanceof Error ? e.message : String(e));
  }
}

async function runServer(
  flags: ParsedArgs["flags"],
  profile: Profile,
  permissions: Permissions | undefined,
): Promise<number> {
  const { startServer } = await import("../server/mod.ts");
  const { Interpreter } = await import("../core/interpreter.ts");
  const options = interpreterOptionsFromProfile(profile, permissions);
  nameKeySource(options, flags);
  if (permissions?.display) console.error(`interpreter: warning: ${DISPLAY_WARNING}`);
  if (options.autoRun) {
    console.error(
      "interpreter: warning: auto_run (-y) is on for the server: code from every client holding " +
        "the token runs without asking anyone",
    );
  }
  let deployment;
  try {
    const { openDeployment } = await import("./deployment.ts");
    deployment = await openDeployment(profile, permissions, {
      server: true,
      secrets: [options.llm?.apiKey],
    });
  } catch (e) {
    throw new UsageProblem(e instanceof Error ? e.message : String(e));
  }
  for (const note of deployment.notes) console.error(`interpreter: container: ${note}`);
  try {
    const handle = await startServer({
      hostname: typeof flags.host === "string" ? flags.host : undefined,
      port: typeof flags.port === "number" ? flags.port : undefined,
      // Unset: the server reads INTERPRETER_ALLOW_REMOTE_AUTO_RUN.
      allowRemoteAutoRun: flags.allow_remote_auto_run === true ? true : undefined,
      // Each session gets its own interpreter with the profile's settings.
      createInterpreter: (origin) =>
        new Interpreter({ ...options, messages: [], computer: deployment.computer?.(origin) }),
      storeLink: deployment.storeLink,
      handleSignals: true,
    });
    await handle.finished;
  } catch (e) {
    throw new UsageProblem(e instanceof Error ? e.message : String(e));
  }
  return ExitCode.Ok;
}

/** Says where a given key came from, so a rejected key's message can name it (never the key). */
function nameKeySource(options: InterpreterOptions, flags: ParsedArgs["flags"]): void {
  if (!options.llm?.apiKey) return;
  // The profile, then --fast / --vision / --local merged over it (see settingsFrom).
  const profiles = [typeof flags.profile === "string" ? flags.profile : "default"];
  for (const shortcut of SHORTCUT_PROFILES) if (flags[shortcut]) profiles.push(shortcut);
  options.llm.apiKeySource = typeof flags.api_key === "string"
    ? "--api-key"
    : `llm.api_key in profile ${profiles.join(" or ")}`;
}

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(all);
}

async function pickLocal(profile: Profile, input: LineInput | undefined): Promise<Profile> {
  if (getSetting(profile, "llm.api_base") && getSetting(profile, "llm.model")) return profile;
  const { findLocalServers } = await import("./local.ts");
  const servers = await findLocalServers();
  const choices = servers.flatMap((s) => s.models.map((m) => ({ server: s, model: m })));
  if (choices.length === 0) {
    throw new UsageProblem(
      "--local found no model server on 127.0.0.1 (Ollama 11434, LM Studio 1234, llama.cpp 8080, Jan 1337); start one, or pass --api_base URL --model NAME",
    );
  }
  let choice = choices[0];
  if (input && choices.length > 1) {
    choices.forEach((c, i) => console.log(`  ${i + 1}. ${c.model}  (${c.server.name})`));
    const answer = await input.ask(`Model [1-${choices.length}, Enter for 1]: `);
    const n = Number(answer || "1");
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) choice = choices[n - 1];
  }
  console.log(`Using ${choice.model} on ${choice.server.name} (${choice.server.apiBase})`);
  return mergeProfiles(profile, { llm: { api_base: choice.server.apiBase, model: choice.model } });
}

async function runChat(
  args: ParsedArgs,
  profile: Profile,
  permissions: Permissions | undefined,
  meta: CliMeta,
): Promise<number> {
  const flags = args.flags;
  const stdinIsTerminal = Deno.stdin.isTerminal();
  const stdoutIsTerminal = Deno.stdout.isTerminal();
  const json = flags.json === true;
  let message = args.positional.join(" ").trim();
  if (!stdinIsTerminal || flags.stdin) {
    const piped = (await readStdin()).trim();
    if (piped) {
      message = message ? `${message}\n\nHere is the input I was given:\n\n${piped}` : piped;
    }
  }
  const interactive = message === "" && stdinIsTerminal && !json;
  if (!interactive && permissions?.display) {
    console.error(`interpreter: warning: ${DISPLAY_WARNING}`);
  }
  if (!interactive && message === "") {
    console.error(
      "interpreter: no message: pass one as an argument, or pipe text on standard input",
    );
    return ExitCode.Usage;
  }
  const plain = flags.plain === true || profile.plain_text_display === true;
  const color = stdoutIsTerminal && !plain && !Deno.env.get("NO_COLOR");
  const history = interactive ? await loadHistory() : [];
  // The line editor costs tens of milliseconds to load (node:readline, node's
  // streams): the interactive chat draws its first prompt before loading it,
  // unless a question comes first (--local, --conversations).
  let input: LineInput | undefined;
  const loadInput = async (): Promise<LineInput> => {
    const { LineInput } = await import("./input.ts");
    return input ??= new LineInput(history);
  };
  if (stdinIsTerminal && (!interactive || flags.local || flags.conversations)) await loadInput();
  // Standard input is a pipe: approvals are asked on the terminal, if there is one.
  const tty = stdinIsTerminal || profile.auto_run === true
    ? undefined
    : (await import("./tty_input.ts")).TtyInput.open({ echoCode: !stdoutIsTerminal || json });
  if (flags.local) profile = await pickLocal(profile, input);

  let resumed: LmcMessage[] | undefined;
  let resumedPath: string | undefined;
  if (flags.conversations) {
    if (!input) {
      console.error("interpreter: --conversations needs a terminal to pick from");
      return ExitCode.Usage;
    }
    const picked = await pickConversation(input);
    if (!picked) return ExitCode.Ok;
    resumed = picked.messages;
    resumedPath = picked.path;
  }

  const options: InterpreterOptions = interpreterOptionsFromProfile(profile, permissions);
  // --os: screenshots pile up; the model gets the last few (older ones become a note).
  if (flags.os === true) options.maxImages ??= 3;
  const apiKey = options.llm?.apiKey;
  nameKeySource(options, flags);
  // Conversation storage loads after the first prompt (it imports node:path: see
  // lib/storage/path.ts); nothing is saved before the first message anyway.
  let store: ConversationStore | undefined;
  const getStore = async (): Promise<ConversationStore> => {
    const { ConversationStore } = await import("../storage/conversations.ts");
    return store ??= new ConversationStore({ path: resumedPath, secrets: [apiKey] });
  };
  const conversationHistory = profile.conversation_history !== false;
  // A failed save is reported once (stderr, or a note in the chat), not at every message.
  const saver = new ConversationSaver(
    getStore,
    (text) => interactive ? note(text) : writeAll(Deno.stderr, `interpreter: ${text}\n`),
  );
  const save = async (messages: LmcMessage[]) => {
    if (conversationHistory) await saver.save(messages);
  };
  if (resumed) options.messages = resumed;
  options.onMessage = save;

  // The engine (and the computer it imports) is the slowest module to load:
  // the interactive prompt is drawn first and the engine loads while the
  // person types.
  let enginePromise: Promise<Engine> | undefined;
  const getEngine = (): Promise<Engine> =>
    enginePromise ??= import("../core/interpreter.ts").then(({ Interpreter }) =>
      new Interpreter(options) as Engine
    );

  const imageProtocol = stdoutIsTerminal ? detectImageProtocol(Deno.env.toObject()) : "none";
  await loadImageSupport(imageProtocol);
  const renderer = json ? undefined : new Renderer(
    {
      write: (s) => writeAll(Deno.stdout, s),
      columns: terminalColumns,
    },
    {
      color,
      live: stdoutIsTerminal,
      plain,
      highlightActiveLine: profile.highlight_active_line !== false,
      images: imageProtocol,
    },
  );
  // One-shot runs keep stdout for the answer: notes and errors go to stderr.
  function note(text: string): void {
    if (json || !renderer || !interactive) writeAll(Deno.stderr, text + "\n");
    else renderer.print(renderer.style.yellow(text));
  }
  const io: TurnIo = {
    renderer,
    json: json
      ? (chunk: LmcChunk) => writeAll(Deno.stdout, JSON.stringify(chunk) + "\n")
      : undefined,
    input: input ?? tty,
    note,
    // One-shot: an error is one stderr line (stdout keeps the answer).
    error: interactive ? undefined : (text) => writeAll(Deno.stderr, `interpreter: ${text}\n`),
    onMessages: save,
  };

  // A closed terminal or a kill ends like Ctrl-C then exit: nothing left in /tmp or running.
  // One cleanup, shared by the normal end and a signal arriving during it.
  let ending: Promise<void> | undefined;
  const endAll = () =>
    ending ??= (async () => {
      tty?.close();
      if (interactive && !input) restoreTerminal();
      if (enginePromise) await endSessions(await enginePromise);
    })();
  const stopSignals = exitOnTerminatingSignals(async () => {
    if (enginePromise) await save((await enginePromise).messages);
    await endAll();
  });
  try {
    if (!interactive) {
      const missingKey = await missingKeyNote(options.llm);
      if (missingKey) {
        if (json) {
          const { errorChunk } = await import("./chat.ts");
          writeAll(Deno.stdout, JSON.stringify(errorChunk("missing_key", missingKey)) + "\n");
        }
        writeAll(Deno.stderr, `interpreter: ${missingKey}\n`);
        return ExitCode.ModelError;
      }
      const { runTurn } = await import("./chat.ts");
      const result = await runTurn(await getEngine(), message, io);
      if (result.status !== ExitCode.Ok && result.reason && !result.reported) {
        writeAll(Deno.stderr, `interpreter: ${result.reason}\n`);
      }
      return unsavedStatus(result.status, saver);
    }
    if (resumed && renderer) {
      // seam: mcp — stored MCP tool calls and results are shown as in the chat.
      replay(resumed, renderer, (await import("./chat.ts")).toolChunkLines);
    }
    const status = await interactiveLoop(getEngine, loadInput, renderer!, io, {
      llm: options.llm,
      history,
      getStore,
      version: meta.version,
      profile,
      permissions,
      autoRun: options.autoRun ?? false,
      promptEarly: input === undefined,
    });
    return unsavedStatus(status, saver);
  } finally {
    await endAll();
    await stopSignals();
  }
}

/** A run that otherwise ended well exits {@link ExitCode.NotSaved} when its last save failed. */
function unsavedStatus(status: number, saver: ConversationSaver): number {
  return status === ExitCode.Ok && saver.unsaved ? ExitCode.NotSaved : status;
}

/** Ends the code sessions and every process they started. */
async function endSessions(engine: Engine): Promise<void> {
  try {
    await engine.computer.terminate();
  } catch { /* nothing to end */ }
  // seam: mcp — the profile's MCP servers stop with the program.
  await engine.stopMcpServers?.().catch(() => {});
}

async function pickConversation(
  input: LineInput,
): Promise<{ path: string; messages: LmcMessage[] } | undefined> {
  const { listConversations, loadConversation } = await import("../storage/conversations.ts");
  const list = await listConversations();
  if (list.length === 0) {
    console.log("No saved conversations yet.");
    return undefined;
  }
  const shown = list.slice(0, 30);
  shown.forEach((c, i) => {
    const when = c.modified.toISOString().replace("T", " ").slice(0, 16);
    console.log(`  ${String(i + 1).padStart(2)}. ${c.title}  (${when})`);
  });
  const answer = await input.ask(`Resume which one? [1-${shown.length}, Enter to cancel] `);
  const n = Number(answer);
  if (!answer || !Number.isInteger(n) || n < 1 || n > shown.length) return undefined;
  const path = shown[n - 1].path;
  return { path, messages: await loadConversation(path) };
}

/** Draws a saved conversation again, as chunks. */
export function replay(
  messages: LmcMessage[],
  renderer: Renderer,
  toolLines?: (m: LmcMessage) => string[] | undefined,
): void {
  for (const m of messages) {
    const lines = toolLines?.(m);
    if (lines) {
      if (lines.length) renderer.print(...lines);
      continue;
    }
    if (m.role === "user" && m.type === "message") {
      renderer.print(renderer.style.bold("> ") + String(m.content));
      continue;
    }
    const base = { role: m.role, type: m.type, format: m.format };
    renderer.chunk({ ...base, start: true });
    renderer.chunk(m);
    renderer.chunk({ ...base, end: true });
  }
  renderer.finish();
}

interface LoopContext {
  llm: InterpreterOptions["llm"];
  history: string[];
  getStore: () => Promise<ConversationStore>;
  version: string;
  profile: Profile;
  permissions: Permissions | undefined;
  autoRun: boolean;
  /** True when the line editor is not loaded yet (nothing was asked before the prompt). */
  promptEarly: boolean;
}

async function interactiveLoop(
  getEngine: () => Promise<Engine>,
  loadInput: () => Promise<LineInput>,
  renderer: Renderer,
  io: TurnIo,
  ctx: LoopContext,
): Promise<number> {
  const s = renderer.style;
  if (coldStart()) {
    // Deno was fetching modules (an empty cache): its progress lines are cleared from
    // another thread, and can erase rows already drawn. Everything is loaded first and the
    // progress display given time to finish, then the notes and prompt are drawn.
    await getEngine().catch(() => {}); // a failed load is reported when the chat awaits it
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_SETTLE_MS));
  }
  // Start-up notes: each one paragraph, wrapped at spaces (not mid-word) to the terminal.
  const say = (text: string, color: (t: string) => string) =>
    renderer.print(...wrapToTerminal(text).map(color));
  // As Open Interpreter does: the model in use, first.
  say(`Model set to ${ctx.llm?.model ?? DEFAULT_MODEL}`, s.bold);
  say(
    ctx.autoRun
      ? "Code runs without asking (auto_run). %help for commands, Ctrl-D to exit."
      : "Code runs only after you approve it (-y to skip asking). %help for commands, Ctrl-D to exit.",
    s.gray,
  );
  if (ctx.permissions) {
    const { describePermissions } = await import("../sandbox/describe.ts");
    say(describePermissions(ctx.permissions), s.gray);
    if (ctx.permissions.display) say(DISPLAY_WARNING, s.yellow);
    const { kernelStartupNote } = await import("../sandbox/kernel.ts");
    const kernel = kernelStartupNote(ctx.permissions); // e.g. abstract sockets open (Linux < 6.12)
    if (kernel) say(kernel, s.yellow);
  }
  const missingKey = await missingKeyNote(ctx.llm);
  if (missingKey) say(missingKey, s.yellow);
  routeLogsAbove(renderer);
  if (ctx.promptEarly) drawFirstPrompt(s.bold("> "));
  const input = await loadInput();
  io.input = input;
  // A program waiting for input (`input()`, `read`) asks the person here (not in one-shot runs).
  io.readProgramInput = (prompt) => input.line(prompt);
  const { runTurn } = await import("./chat.ts");
  const store = await ctx.getStore();
  let verbose = ctx.profile.verbose === true;
  for (;;) {
    const reading = input.read(s.bold("> "));
    // Load the engine while the person types (the prompt is already drawn).
    const loading = getEngine();
    loading.catch(() => {}); // a failed load is reported when awaited below
    const read = await reading;
    const engine = await loading;
    if (read.kind !== "line") {
      await io.onMessages?.(engine.messages);
      return ExitCode.Ok;
    }
    const text = read.text.trim();
    if (text === "") continue;
    await appendHistory(text, ctx.history).catch(() => {});
    if (text.startsWith("%")) {
      try {
        const { runMagic } = await import("./magic.ts");
        await runMagic(text, {
          get messages() {
            return engine.messages;
          },
          setMessages(messages) {
            engine.messages = messages;
            void io.onMessages?.(messages);
          },
          async reset() {
            await engine.reset();
            store.restart();
          },
          // Wrapped at spaces to the terminal, so a narrow window never splits a word.
          print: (...lines) =>
            renderer.print(
              ...lines.flatMap((line) => line.split("\n").flatMap(wrapToTerminal)),
            ),
          get autoRun() {
            return engine.autoRun;
          },
          setAutoRun(on) {
            engine.autoRun = on;
          },
          get verbose() {
            return verbose;
          },
          setVerbose(on) {
            verbose = on;
            engine.verbose = on;
          },
          runShell: (command) => runShell(engine, command, renderer),
          info: () => Promise.resolve(infoLines(engine, ctx, store)),
          tokens: (prompt) => tokenLines(engine, prompt),
          conversationPath: store.path,
          cwd: Deno.cwd(),
        });
      } catch (e) {
        renderer.print(s.red(`Error: ${e instanceof Error ? e.message : e}`));
      }
      continue;
    }
    await runTurn(engine, text, io);
  }
}

/**
 * In the chat, log lines (`%verbose`, warnings of the engine and computer) go
 * through the renderer, so they land above the spinner's live row instead of
 * on it.
 */
function routeLogsAbove(renderer: Renderer): void {
  const show = (...args: unknown[]) => {
    const text = args.map((a) => typeof a === "string" ? a : Deno.inspect(a)).join(" ");
    renderer.print(...text.split("\n").map((line) => renderer.style.gray(line)));
  };
  console.error = show;
  console.warn = show;
}

/**
 * Draws the first prompt before the line editor has loaded. The terminal goes
 * to raw mode at once, as readline would set it: keys typed meanwhile are not
 * echoed and Ctrl-C stays a key; they wait in the terminal until readline
 * reads them, after it draws the same prompt again over this one (at column
 * 0, erasing the line). Nothing is drawn where readline would not redraw
 * (TERM=dumb, or output that is not a terminal).
 */
function drawFirstPrompt(prompt: string): void {
  if (!Deno.stdout.isTerminal() || Deno.env.get("TERM") === "dumb") return;
  try {
    Deno.stdin.setRaw(true);
  } catch {
    return; // not a terminal after all: readline draws the prompt
  }
  writeAll(Deno.stdout, prompt);
}

/** Leaves raw mode if the program ends before the line editor took over. */
function restoreTerminal(): void {
  try {
    Deno.stdin.setRaw(false);
  } catch { /* not a terminal */ }
}

/** `text` wrapped at spaces to the terminal's width (at least 20 columns), so no word is split. */
function wrapToTerminal(text: string): string[] {
  return wrapWords(text, Math.max(20, terminalColumns() - 1));
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/**
 * Says at start-up that the model needs a key nobody gave (instead of failing
 * at the first message); undefined when a key is known or none is needed.
 */
async function missingKeyNote(llm: InterpreterOptions["llm"]): Promise<string | undefined> {
  const { resolveModel } = await import("../llm/providers.ts");
  const model = llm?.model ?? DEFAULT_MODEL;
  const resolved = resolveModel(model, { apiBase: llm?.apiBase, apiKey: llm?.apiKey });
  if (!resolved.provider.needsKey || resolved.apiKey || llm?.apiBase) return undefined;
  const env = resolved.provider.keyEnv[0];
  const command = commandName();
  return `No API key for ${model}: set ${env ?? "the provider's key variable"}, pass ` +
    `--api_key KEY, or set llm.api_key in a profile (see ${command} --profiles). ` +
    `For a model on this computer: ${command} --local.`;
}

async function runShell(engine: Engine, command: string, renderer: Renderer): Promise<void> {
  const out = await engine.computer.run("shell", command);
  for (const m of out) {
    if (m.type === "console" && m.format !== "active_line" && typeof m.content === "string") {
      renderer.print(m.content.replace(/\n$/, ""));
    }
  }
}

function infoLines(engine: Engine, ctx: LoopContext, store: ConversationStore): string[] {
  const llm = engine.llm;
  return [
    `interpreter ${ctx.version} on Deno ${Deno.version.deno} (${Deno.build.os} ${Deno.build.arch})`,
    `model: ${llm.model ?? getSetting(ctx.profile, "llm.model") ?? "(default)"}`,
    `api base: ${llm.apiBase ?? getSetting(ctx.profile, "llm.api_base") ?? "(provider default)"}`,
    `context window: ${llm.contextWindow ?? "(auto)"}, max tokens: ${llm.maxTokens ?? "(auto)"}`,
    `auto_run: ${engine.autoRun}, safe_mode: ${engine.safeMode}, max_turns: ${engine.maxTurns}` +
    (engine.maxBudget !== undefined ? `, max_budget: $${engine.maxBudget}` : ""),
    `spent this session: ${engine.usage.promptTokens} tokens in, ${engine.usage.completionTokens} out` +
    (engine.usage.cost !== undefined ? `, ${formatUsd(engine.usage.cost)}` : ""),
    `messages: ${engine.messages.length}`,
    `conversation file: ${store.path ?? "(not saved yet)"}`,
    `profiles: ${profilesDir()}`,
  ];
}

async function tokenLines(engine: Engine, prompt: string): Promise<string[]> {
  const { priceOf } = await import("../llm/models.ts");
  const { countMessageTokens, countTextTokens } = await import("../core/trim.ts");
  const { toOpenAIMessages } = await import("../core/to_openai.ts");
  const { renderSystemMessage } = await import("../core/system_message.ts");
  const model = engine.llm.model;
  const system = renderSystemMessage(engine.systemMessage, {
    languages: engine.computer.languages,
    permissions: engine.permissions,
    markdownCode: engine.llm.supportsFunctions === false,
    customInstructions: engine.customInstructions,
  });
  const chat = [
    { role: "system" as const, content: system },
    ...toOpenAIMessages(engine.messages, { maxOutput: engine.maxOutput }),
  ];
  const next = await countMessageTokens(chat);
  const cost = priceOf(model, { promptTokens: next, completionTokens: 0 });
  const lines = [
    `Next request: ${
      next.toLocaleString("en-US")
    } tokens (system message and ${engine.messages.length} messages)` +
    (cost !== undefined
      ? `, about ${formatUsd(cost)} to send to ${model}`
      : `; no price known for ${model}`),
  ];
  if (prompt) {
    const p = await countTextTokens(prompt);
    const pc = priceOf(model, { promptTokens: p, completionTokens: 0 });
    lines.push(`The prompt: ${p} tokens${pc !== undefined ? `, about ${formatUsd(pc)}` : ""}`);
  }
  return lines;
}
