/**
 * Turns a run's chunk stream into the messages `run()` resolves to: output
 * and images, consecutive console pieces of one format joined, no active
 * lines, and no live output meant only for the person (that is not the
 * model's text), and the console output chunk a computer says things in. Shared by every
 * computer backend.
 *
 * @module
 */

import { type LmcChunk, type LmcMessage, messageOf, textOf } from "../wire/lmc.ts";

/** Collects the chunks of one run into its messages. */
export async function collectRun(chunks: AsyncIterable<LmcChunk>): Promise<LmcMessage[]> {
  const messages: LmcMessage[] = [];
  for await (const chunk of chunks) {
    if (chunk.format === "active_line" || chunk.recipient === "user") continue;
    const last = messages[messages.length - 1];
    if (chunk.type === "console" && last?.type === "console" && last.format === chunk.format) {
      last.content = textOf(last) + textOf(chunk);
    } else {
      messages.push(messageOf(chunk));
    }
  }
  return messages;
}

/** A console output chunk (what a computer says outside the code's own output). */
export function outputChunk(content: string): LmcChunk {
  return { role: "computer", type: "console", format: "output", content };
}
