/**
 * Saved conversations: one JSON file of LMC messages per conversation under
 * `dataDir()/conversations`, rewritten atomically after every message (so a
 * crash never leaves a half-written file). The file name carries the first
 * words and the start time, as in Open Interpreter
 * (`List_the_files_here__2026-11-22_01-30-05.json`).
 *
 * @module
 */

import { basename, join } from "node:path";
import type { LmcMessage } from "../wire/lmc.ts";
import { writeFileAtomic } from "./atomic.ts";
import { dataDir } from "./paths.ts";
import { redact } from "../wire/secrets.ts";
import { knownSecrets } from "./secrets.ts";
import { timeStamp } from "./stamp.ts";

/** One saved conversation, as listed by `--conversations`. */
export interface ConversationInfo {
  /** Full path of the file. */
  path: string;
  /** The first words of the conversation. */
  title: string;
  /** When it was last saved. */
  modified: Date;
}

/** The folder of saved conversations. */
function conversationsDir(): string {
  return join(dataDir(), "conversations");
}

/** A file name for a conversation starting with `firstText`. */
export function conversationFileName(firstText: string, when: Date = new Date()): string {
  // The first paragraph only: piped input appended after a blank line is not the title.
  const clean = firstText.trim().split(/\n\s*\n/)[0].replace(/[<>:"/\\|?*!\n\r\t]/g, " ").trim();
  const words = clean.split(/\s+/).filter(Boolean).slice(0, 6).join("_").slice(0, 40) ||
    "conversation";
  return `${words}__${timeStamp(when)}.json`;
}

/** Saves one conversation, file created on the first save. */
export class ConversationStore {
  #path: string | undefined;
  #extraSecrets: (string | undefined)[];
  #dir: string | undefined;
  #now: () => Date;

  /**
   * `path` resumes an existing file; `secrets` are extra values never to
   * write (API keys); `dir` is the folder (default {@link conversationsDir}).
   */
  constructor(
    options: {
      path?: string;
      secrets?: (string | undefined)[];
      dir?: string;
      /** The clock naming the file (default: now). */
      now?: () => Date;
    } = {},
  ) {
    this.#path = options.path;
    this.#extraSecrets = options.secrets ?? [];
    this.#dir = options.dir;
    this.#now = options.now ?? (() => new Date());
  }

  /** The file, once the first save has happened (or when resuming). */
  get path(): string | undefined {
    return this.#path;
  }

  /** Writes all messages (secrets redacted) atomically. Does nothing for an empty list. */
  async save(messages: LmcMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (!this.#path) {
      const first = messages.find((m) => m.role === "user" && typeof m.content === "string");
      this.#path = await claimName(
        this.#dir ?? conversationsDir(),
        conversationFileName(String(first?.content ?? ""), this.#now()),
      );
    }
    const text = redact(JSON.stringify(messages, null, 1), knownSecrets(this.#extraSecrets));
    await writeFileAtomic(this.#path, text + "\n");
  }

  /** Forgets the file so the next save starts a new conversation (after %reset). */
  restart(): void {
    this.#path = undefined;
  }
}

/**
 * Reserves a new file for a conversation: `name`, or `name` with `_2`, `_3`...
 * before `.json` when taken (two conversations started in the same second
 * with the same first words). Exclusive create, so two programs never get the
 * same file; the reserved file holds an empty list until the first save.
 */
async function claimName(dir: string, name: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const stem = name.replace(/\.json$/, "");
  for (let n = 1;; n++) {
    const path = join(dir, n === 1 ? name : `${stem}_${n}.json`);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists) || n >= 1000) throw e;
      continue;
    }
    try {
      await file.write(new TextEncoder().encode("[]\n"));
      return path;
    } catch (e) {
      // Ours (we created it): not left behind half-written.
      await Deno.remove(path).catch(() => {});
      throw e;
    } finally {
      file.close();
    }
  }
}

/** Saved conversations, newest first. */
export async function listConversations(
  dir: string = conversationsDir(),
): Promise<ConversationInfo[]> {
  const out: ConversationInfo[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".json") || entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      const stat = await Deno.stat(path);
      out.push({ path, title: titleOf(entry.name), modified: stat.mtime ?? new Date(0) });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => b.modified.getTime() - a.modified.getTime());
}

function titleOf(name: string): string {
  const base = basename(name, ".json");
  const words = base.split("__")[0];
  return words.replaceAll("_", " ");
}

/** Reads a saved conversation; a clear error if the file is not a list of messages. */
export async function loadConversation(path: string): Promise<LmcMessage[]> {
  const data = JSON.parse(await Deno.readTextFile(path));
  if (!Array.isArray(data) || !data.every((m) => m && typeof m === "object" && "role" in m)) {
    throw new Error(`${path} is not a saved conversation (expected a JSON list of messages)`);
  }
  return data as LmcMessage[];
}
