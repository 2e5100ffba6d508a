/**
 * The `interpreter` program after flag parsing: settings from profiles and
 * flags, then one of: the profiles folder, the server, the conversation list,
 * a one-shot request, or the interactive chat.
 *
 * @module
 */

import type { LmcChunk, LmcMessage } from "../wire/lmc.ts";
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
import { loadHistory } from "../storage/history.ts";
import { ExitCode } from "./exit_codes.ts";
import { exitOnTerminatingSignals } from "./signals.ts";
import { lazyImport } from "./lazy_import.ts";
import { type ParsedArgs, wrapWords } from "./flags.ts";
import { Renderer } from "./renderer.ts";
import type { LineInput } from "./input.ts";
import type { TurnIo } from "./chat.ts";
import { interpreterOptionsFromProfile } from "./settings.ts";
import {
  DISPLAY_WARNING,
  interactiveLoop,
  missingKeyNote,
  restoreTerminal,
  terminalColumns,
} from "./chat_loop.ts";
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

/** The engine, as a type only (the module itself is loaded on demand). */
type Engine = Interpreter;

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let off = 0;
  while (off < data.length) off += file.writeSync(data.subarray(off));
}

/** Called once when standard output's reader goes away (set by the chat: ends it as SIGPIPE would). */
let onStdoutClosed: (() => void) | undefined;

/** Writes to stdout; once its reader is gone (`| head`), output is dropped and the chat ends. */
function writeOut(text: string): void {
  try {
    writeAll(Deno.stdout, text);
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    const closed = onStdoutClosed;
    onStdoutClosed = undefined;
    closed?.();
  }
}

class UsageProblem extends Error {}

/** The shortcut profiles merged over the chosen one by their flags (--fast, --vision, --local). */
const SHORTCUT_PROFILES = ["fast", "vision", "local", "os"] as const;

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
      const { runMcpCli } = await lazyImport<typeof import("../mcp/cli.ts")>(
        "../mcp/cli.ts",
        import.meta.url,
      );
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
    // From the system folders only: PATH may hold a folder code writes (an activated .venv).
    const { trustedProgram } = await import("../sandbox/trusted.ts");
    const opener = trustedProgram(Deno.build.os === "darwin" ? "open" : "xdg-open");
    try {
      if (opener) {
        const child = new Deno.Command(opener, { args: [dir], stdout: "null", stderr: "null" })
          .spawn();
        await child.status;
      }
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
async function settingsFrom(
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
  const { startServer } = await lazyImport<typeof import("../server/mod.ts")>(
    "../server/mod.ts",
    import.meta.url,
  );
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
    const { openDeployment } = await lazyImport<typeof import("./deployment.ts")>(
      "./deployment.ts",
      import.meta.url,
    );
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

  // seam: deployment — --computer podman|docker|kubernetes runs the chat's code in a container.
  const deployment = (profile.deployment ?? {}) as { computer?: string; store?: string };
  if (deployment.store) {
    throw new UsageProblem("--store is for --server (a store of sessions shared by instances)");
  }
  if (deployment.computer && deployment.computer !== "local") {
    const { checkDeployment } = await lazyImport<typeof import("./deployment.ts")>(
      "./deployment.ts",
      import.meta.url,
    );
    const problem = await checkDeployment(profile);
    if (problem) throw new UsageProblem(problem);
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
    enginePromise ??= (async () => {
      const { Interpreter } = await import("../core/interpreter.ts");
      if (deployment.computer && deployment.computer !== "local") {
        // Already loaded by checkDeployment before the prompt (see lazy_import.ts).
        const { openDeployment } = await lazyImport<typeof import("./deployment.ts")>(
          "./deployment.ts",
          import.meta.url,
        );
        const opened = await openDeployment(profile, permissions, { server: false });
        for (const line of opened.notes) note(`container: ${line}`);
        options.computer = opened.computer?.();
      }
      return new Interpreter(options) as Engine;
    })();

  const imageProtocol = stdoutIsTerminal ? detectImageProtocol(Deno.env.toObject()) : "none";
  await loadImageSupport(imageProtocol);
  const renderer = json ? undefined : new Renderer(
    {
      write: (s) => writeOut(s),
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
    // Wrapped at spaces: a narrow window never splits a word of a note.
    else {
      const width = Math.max(20, terminalColumns() - 1);
      const rows = text.split("\n").flatMap((line) => wrapWords(line, width));
      renderer.print(...rows.map((row) => renderer.style.yellow(row)));
    }
  }
  const io: TurnIo = {
    renderer,
    json: json ? (chunk: LmcChunk) => writeOut(JSON.stringify(chunk) + "\n") : undefined,
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
  // `interpreter -y … | head`: the reader left; stop the code and the model, save, exit 141.
  onStdoutClosed = () => stopSignals.end(ExitCode.StdoutClosed);
  try {
    if (!interactive) {
      const missingKey = await missingKeyNote(options.llm);
      if (missingKey) {
        if (json) {
          const { errorChunk } = await import("./chat.ts");
          writeOut(JSON.stringify(errorChunk("missing_key", missingKey)) + "\n");
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
    onStdoutClosed = undefined;
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
