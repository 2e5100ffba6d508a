/**
 * The interactive chat's loop: start-up notes, the first prompt (drawn before
 * the line editor loads), reading messages, `%` commands and turns. Split from
 * cli.ts, which sets everything up.
 *
 * @module
 */

import type { InterpreterOptions } from "../core/settings.ts";
import type { Interpreter } from "../core/interpreter.ts";
import { isAllowAll, type Permissions } from "../sandbox/permissions.ts";
import { DEFAULT_MAX_PROCESSES } from "../settings/registry.ts";
import { getSetting, type Profile, profilesDir } from "../profiles/mod.ts";
import type { ConversationStore } from "../storage/conversations.ts";
import { appendHistory } from "../storage/history.ts";
import { ExitCode } from "./exit_codes.ts";
import { wrapWords } from "./flags.ts";
import type { Renderer } from "./renderer.ts";
import type { LineInput } from "./input.ts";
import { formatUsd } from "../wire/usage.ts";
import type { TurnIo } from "./chat.ts";
import { commandName } from "./invocation.ts";
import { safeOutput } from "./untrusted_text.ts";
import { writeAll } from "./write_all.ts";

/** Shown at start whenever the Computer API is on (--os, --allow-display). */
export const DISPLAY_WARNING =
  "The Computer API is on: code can see this screen and use its mouse, keyboard and clipboard. " +
  "Text on the screen can carry instructions to the model (prompt injection): read each code " +
  "block before you approve it.";

/** The engine, as a type only (the module itself is loaded on demand). */
type Engine = Interpreter;

/** The model used when neither a profile nor a flag names one (the engine's default). */
const DEFAULT_MODEL = "gpt-4o";

/**
 * A start this slow (milliseconds from process start to the chat) means Deno
 * fetched modules first (an empty cache): see {@link coldStart}.
 */
const COLD_START_MS = 2000;

/** How long Deno's download progress display is given to clear itself after a cold start. */
const PROGRESS_SETTLE_MS = 300;

/** True when reaching the chat took long enough that Deno downloaded modules on the way. */
function coldStart(): boolean {
  return performance.now() > COLD_START_MS;
}

/** What the loop needs besides the engine, the input and the renderer. */
export interface LoopContext {
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

/** Runs the interactive chat until Ctrl-D or Ctrl-C at an empty prompt; resolves to the exit status. */
export async function interactiveLoop(
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
    if (!isAllowAll(ctx.permissions)) {
      const { processLimitNote } = await import("../sandbox/process_limit.ts");
      const max = getSetting(ctx.profile, "max_processes");
      const note = processLimitNote(typeof max === "number" ? max : DEFAULT_MAX_PROCESSES);
      if (note) say(note, s.yellow);
    }
  }
  const missingKey = await missingKeyNote(ctx.llm);
  if (missingKey) say(missingKey, s.yellow);
  routeLogsAbove(renderer);
  if (ctx.promptEarly) drawFirstPrompt(s.bold("> "));
  const input = await loadInput();
  io.input = input;
  // A program waiting for input (`input()`, `read`) asks the person here (not in one-shot runs).
  io.readProgramInput = (prompt, onInterrupt) => input.line(prompt, { onInterrupt });
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
export function restoreTerminal(): void {
  try {
    Deno.stdin.setRaw(false);
  } catch { /* not a terminal */ }
}

/** `text` wrapped at spaces to the terminal's width (at least 20 columns), so no word is split. */
function wrapToTerminal(text: string): string[] {
  const width = Math.max(20, terminalColumns() - 1);
  // A two-column line (`%help`: a name, 2+ spaces, its description) continues under its description.
  const column = /^(\S.*?\s{2,})\S/.exec(text)?.[1].length;
  if (!column || column > width / 2) return wrapWords(text, width);
  const [first, ...rest] = wrapWords(text, width);
  const hanging = rest.length ? wrapWords(" ".repeat(column) + rest.join(" "), width) : [];
  return [first, ...hanging];
}

/** The terminal's width (80 when it cannot be read). */
export function terminalColumns(): number {
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
export async function missingKeyNote(llm: InterpreterOptions["llm"]): Promise<string | undefined> {
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
      // The session's output (a background job of the model's code may print there too).
      renderer.print(safeOutput(m.content.replace(/\n$/, "")));
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
  const model = engine.llm.model;
  // The request the next model call would really send (the engine builds it the same way).
  const next = await countMessageTokens((await engine.request()).messages);
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
