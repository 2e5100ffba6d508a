/**
 * Magic commands typed at the chat prompt (`%help`, `%undo`, `%% ls`...), as
 * in Open Interpreter. The logic works on a small context
 * object so it can be tested without a terminal or a model.
 *
 * @module
 */

import { resolve } from "node:path";
import type { LmcMessage } from "../wire/lmc.ts";
import { timeStamp } from "../storage/stamp.ts";
import { writeFileAtomic } from "../storage/atomic.ts";
import { conversationToMarkdown, conversationToNotebook } from "./export.ts";

/** The largest conversation file `%load_message` reads. */
const MAX_LOAD_BYTES = 64 * 1024 * 1024;

/** What the magic commands need from the chat session. */
export interface MagicContext {
  /** The conversation so far. */
  messages: LmcMessage[];
  /** Replaces the conversation. */
  setMessages(messages: LmcMessage[]): void;
  /** Ends running code sessions and clears the conversation. */
  reset(): Promise<void>;
  /** Prints lines to the user. */
  print(...lines: string[]): void;
  /** Current `auto_run`. */
  autoRun: boolean;
  /** Sets `auto_run`. */
  setAutoRun(on: boolean): void;
  /** Current verbosity. */
  verbose: boolean;
  /** Sets verbosity. */
  setVerbose(on: boolean): void;
  /** Runs a shell command in the session's shell and shows its output. */
  runShell(command: string): Promise<void>;
  /** Lines describing the program, model and settings (`%info`). */
  info(): Promise<string[]>;
  /** Lines with the token count and cost of the next request, plus of `prompt` if given. */
  tokens(prompt: string): Promise<string[]>;
  /** The saved conversation's file, if any (default name for `%markdown`). */
  conversationPath?: string;
  /** Folder where exports go by default (the current directory). */
  cwd: string;
}

/** The `%help` text. */
export const MAGIC_HELP: readonly string[] = [
  "%% <command>            run a shell command in the session",
  "%help                   show this help",
  "%reset                  forget the conversation and restart code sessions",
  "%undo                   remove the last message you sent and the answers to it",
  "%verbose [true|false]   detailed logs (no argument: on, and print the messages)",
  "%auto_run [true|false]  run code without asking (no argument: on)",
  "%tokens [prompt]        tokens and estimated cost of the next request (and of a prompt)",
  "%save_message [path]    save the conversation as JSON (default messages.json)",
  "%load_message [path]    load a conversation saved with %save_message",
  "%info                   program, model and settings",
  "%image PATH             send an image file with your next message",
  "%jupyter [path]         export the conversation as a Jupyter notebook",
  "%markdown [path]        export the conversation as Markdown",
  '"""                     start or end multi-line input',
];

function parseBool(arg: string): boolean | undefined {
  if (arg === "" || /^(true|on|yes|1)$/i.test(arg)) return true;
  if (/^(false|off|no|0)$/i.test(arg)) return false;
  return undefined;
}

/** Runs one magic command line (starting with `%`). Unknown commands show the help. */
export async function runMagic(line: string, ctx: MagicContext): Promise<void> {
  if (line.startsWith("%%")) {
    const command = line.slice(2).trim();
    if (!command) ctx.print("Usage: %% <shell command>, e.g. %% ls -la");
    else await ctx.runShell(command);
    return;
  }
  const body = line.slice(1).trim();
  const space = body.search(/\s/);
  const name = (space < 0 ? body : body.slice(0, space)).toLowerCase();
  const arg = space < 0 ? "" : body.slice(space + 1).trim();
  switch (name) {
    case "help":
      ctx.print(...MAGIC_HELP);
      return;
    case "reset":
      await ctx.reset();
      ctx.print("Reset done: the conversation is cleared.");
      return;
    case "undo":
      undo(ctx);
      return;
    case "verbose":
    case "debug": {
      const on = parseBool(arg);
      if (on === undefined) return ctx.print("Usage: %verbose [true|false]");
      ctx.setVerbose(on);
      if (on && arg === "") {
        for (const m of ctx.messages) ctx.print(JSON.stringify(abbreviate(m)));
      }
      ctx.print(`Verbose mode ${on ? "on" : "off"}.`);
      return;
    }
    case "auto_run": {
      const on = parseBool(arg);
      if (on === undefined) return ctx.print("Usage: %auto_run [true|false]");
      ctx.setAutoRun(on);
      ctx.print(on ? "Code will run without asking." : "You will be asked before code runs.");
      return;
    }
    case "tokens":
      ctx.print(...await ctx.tokens(arg));
      return;
    case "image": {
      if (!arg) return ctx.print("Usage: %image PATH (the image goes with your next message)");
      const path = resolve(ctx.cwd, arg.replace(/^["']|["']$/g, ""));
      let isFile = false;
      try {
        isFile = Deno.statSync(path).isFile;
      } catch { /* reported below */ }
      if (!isFile) return ctx.print(`Cannot use ${path}: no such image file.`);
      ctx.setMessages([...ctx.messages, {
        role: "user",
        type: "image",
        format: "path",
        content: path,
      }]);
      ctx.print(`Added the image ${path}: the model sees it with your next message.`);
      return;
    }
    case "save_message": {
      // Exports are renamed into place: a link code planted in the workspace is replaced, never
      // written through (it could name any file of the user).
      const path = resolve(ctx.cwd, withExt(arg || "messages.json", ".json"));
      await writeFileAtomic(path, JSON.stringify(ctx.messages, null, 2) + "\n");
      ctx.print(`Saved the conversation to ${path}`);
      return;
    }
    case "load_message": {
      const path = resolve(ctx.cwd, withExt(arg || "messages.json", ".json"));
      let data: unknown;
      let text: string;
      try {
        // Code may have left a FIFO (a read that never ends) or a huge file here.
        const info = await Deno.stat(path);
        if (!info.isFile || info.size > MAX_LOAD_BYTES) {
          ctx.print(`Cannot load ${path}: not a regular file of at most 64 MiB.`);
          return;
        }
        text = await Deno.readTextFile(path);
      } catch (e) {
        ctx.print(`Cannot load ${path}: ${readProblem(e)}`);
        return;
      }
      try {
        data = JSON.parse(text);
      } catch {
        ctx.print(`Cannot load ${path}: it is not JSON (save one with %save_message).`);
        return;
      }
      if (!Array.isArray(data)) {
        ctx.print(`Cannot load ${path}: expected a JSON list of messages.`);
        return;
      }
      ctx.setMessages(data as LmcMessage[]);
      ctx.print(`Loaded ${data.length} messages from ${path}`);
      return;
    }
    case "info":
      ctx.print(...await ctx.info());
      return;
    case "jupyter": {
      if (ctx.messages.length === 0) return ctx.print(NOTHING_TO_EXPORT);
      const path = resolve(ctx.cwd, withExt(arg || exportName(ctx), ".ipynb"));
      await writeFileAtomic(path, conversationToNotebook(ctx.messages));
      ctx.print(`Saved the notebook to ${path}`);
      return;
    }
    case "markdown": {
      if (ctx.messages.length === 0) return ctx.print(NOTHING_TO_EXPORT);
      const path = resolve(ctx.cwd, withExt(arg || exportName(ctx), ".md"));
      await writeFileAtomic(path, conversationToMarkdown(ctx.messages));
      ctx.print(`Saved the conversation as Markdown to ${path}`);
      return;
    }
    default:
      ctx.print(`Unknown command %${name}. Commands:`, ...MAGIC_HELP);
  }
}

const NOTHING_TO_EXPORT = "Nothing to export yet: the conversation is empty.";

/** The default export name: the saved conversation's (so exports match it), else a timestamp. */
function exportName(ctx: MagicContext): string {
  return ctx.conversationPath
    ? ctx.conversationPath.split(/[\\/]/).pop()!.replace(/\.json$/, "")
    : `conversation_${timeStamp()}`;
}

/** Why a file could not be read, in words (not Deno's error text). */
function readProblem(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file (save one with %save_message).";
  if (e instanceof Deno.errors.PermissionDenied) return "not allowed to read it.";
  if (e instanceof Deno.errors.IsADirectory) return "it is a folder, not a file.";
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\(os error \d+\).*$/s, "").split("\n")[0] + ".";
}

function withExt(path: string, ext: string): string {
  return path.endsWith(ext) ? path : path + ext;
}

function undo(ctx: MagicContext): void {
  const messages = ctx.messages;
  let last = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === "user" && messages[i].type === "message") {
      last = i;
      break;
    }
  }
  if (last < 0) {
    ctx.print("Nothing to undo.");
    return;
  }
  for (const m of messages.slice(last)) {
    if (m.type === "code") ctx.print("Removed a code block");
    else if (typeof m.content === "string" && m.type === "message") {
      const t = m.content.length > 30 ? m.content.slice(0, 30) + "…" : m.content;
      ctx.print(`Removed message: "${t}"`);
    }
  }
  ctx.setMessages(messages.slice(0, last));
}

function abbreviate(m: LmcMessage): LmcMessage {
  if (m.type === "image" && typeof m.content === "string" && m.content.length > 80) {
    return { ...m, content: `${m.content.slice(0, 30)}…${m.content.slice(-30)}` };
  }
  return m;
}
