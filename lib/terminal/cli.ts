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
  ensureDefaultProfile,
  type Profile,
  ProfileError,
  profilesDir,
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
import { nameKeySource, resolvePermissions, settingsFrom, UsageProblem } from "./startup.ts";
import { pickConversation, pickLocal } from "./pickers.ts";
import { detectImageProtocol, loadImageSupport } from "./image.ts";
import { writeAll } from "./write_all.ts";
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
    if (flags.server) {
      const { runServer } = await import("./serve_cli.ts");
      return await runServer(flags, profile, permissions);
    }
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
      flags.conversations && !stdinIsTerminal
        ? "interpreter: --conversations asks which conversation to resume: run it in a terminal"
        : "interpreter: no message: pass one as an argument, or pipe text on standard input",
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
    if (picked === "interrupted") return ExitCode.Interrupted;
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

/** Draws a saved conversation again, as chunks. */
export function replay(
  messages: LmcMessage[],
  renderer: Renderer,
  toolLines?: (m: LmcMessage) => string[] | undefined,
): void {
  // Code whose call has no output recorded was not run (declined, or Ctrl-C at the question).
  const answered = new Set(
    messages.filter((m) => m.role === "computer" && m.toolCallId).map((m) => m.toolCallId),
  );
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
    if (m.type === "code" && m.toolCallId && !answered.has(m.toolCallId)) {
      renderer.print(renderer.style.gray("  (not run)"));
    }
  }
  renderer.finish();
}
