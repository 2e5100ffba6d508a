/**
 * Input history kept across runs: one JSON string per line in
 * `dataDir()/history.jsonl` (JSON so multi-line entries stay one line).
 * Secrets are redacted; the file is capped to the newest entries.
 *
 * @module
 */

import { join } from "./path.ts";
import { dataDir } from "./paths.ts";
import { redact } from "../wire/secrets.ts";
import { knownSecrets } from "./secrets.ts";

/** How many entries are kept. */
const HISTORY_LIMIT = 1000;

/** The history file. */
function historyPath(): string {
  return join(dataDir(), "history.jsonl");
}

/** Past inputs, oldest first. A missing or damaged file gives what can be read. */
export function loadHistory(path: string = historyPath()): Promise<string[]> {
  let text: string;
  try {
    // Sync: read once before the first prompt, where an async call's thread-pool round trip shows.
    text = Deno.readTextFileSync(path);
  } catch {
    return Promise.resolve([]);
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const v = JSON.parse(line);
      if (typeof v === "string") out.push(v);
    } catch { /* skip a damaged line */ }
  }
  return Promise.resolve(out.slice(-HISTORY_LIMIT));
}

/** Adds one input to the history (skips blanks and a repeat of the last entry). */
export async function appendHistory(
  entry: string,
  previous: string[],
  path: string = historyPath(),
): Promise<void> {
  const clean = redact(entry, knownSecrets());
  if (!clean.trim() || previous[previous.length - 1] === clean) return;
  previous.push(clean);
  if (previous.length > HISTORY_LIMIT) previous.splice(0, previous.length - HISTORY_LIMIT);
  // Loaded here: atomic.ts uses node:path, which start-up avoids (see path.ts).
  const { writeFileAtomic } = await import("./atomic.ts");
  await writeFileAtomic(path, previous.map((e) => JSON.stringify(e)).join("\n") + "\n");
}
