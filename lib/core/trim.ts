/**
 * Fits a conversation into the model's context window: the oldest turns go
 * first, never the system message or the last user message; if one turn is
 * still too long, its longest outputs are shortened in the middle. Tokens are
 * counted with `gpt-tokenizer` (o200k), loaded on first use so start-up stays
 * cheap; for other model families the count is a close estimate.
 *
 * @module
 */

import type { ChatMessage } from "../wire/chat.ts";

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;
let counter: TokenCounter | undefined;

/** Loads the tokenizer (once). */
async function loadTokenizer(): Promise<TokenCounter> {
  if (!counter) {
    // A full specifier: the library must work without this repo's import map.
    const module = await import("npm:gpt-tokenizer@^4.0.0");
    counter = (text: string) => module.countTokens(text);
  }
  return counter;
}

/** Tokens of one message, with the per-message overhead of the chat format. */
function messageTokens(count: TokenCounter, m: ChatMessage): number {
  let n = 4;
  if (typeof m.content === "string") n += count(m.content);
  else if (Array.isArray(m.content)) {
    for (const part of m.content) n += part.type === "text" ? count(part.text) : 850;
  }
  for (const call of m.tool_calls ?? []) n += 8 + count(call.function.arguments);
  return n;
}

/** Tokens of a whole conversation. */
export async function countMessageTokens(messages: ChatMessage[]): Promise<number> {
  const count = await loadTokenizer();
  return messages.reduce((sum, m) => sum + messageTokens(count, m), 3);
}

/** Tokens of a plain text. */
export async function countTextTokens(text: string): Promise<number> {
  return (await loadTokenizer())(text);
}

function shorten(text: string, keep: number): string {
  if (text.length <= keep) return text;
  const head = Math.floor(keep / 2);
  return `${text.slice(0, head)}\n[... ${
    text.length - keep
  } characters left out to fit the context window ...]\n${text.slice(text.length - (keep - head))}`;
}

/**
 * Returns the messages that fit in `limit` tokens. `messages[0]` is the
 * system message when its role is `system`.
 */
export async function trimToFit(messages: ChatMessage[], limit: number): Promise<ChatMessage[]> {
  const count = await loadTokenizer();
  const sizes = messages.map((m) => messageTokens(count, m));
  let total = sizes.reduce((a, b) => a + b, 3);
  if (total <= limit) return messages;

  const system = messages[0]?.role === "system" ? 1 : 0;
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  // Drop whole turns (a user message and what follows it) from the oldest, keeping the last user turn.
  let cut = system;
  while (total > limit && cut < (lastUser < 0 ? messages.length - 1 : lastUser)) {
    let next = cut + 1;
    while (next < messages.length && messages[next].role !== "user") next++;
    if (lastUser >= 0 && next > lastUser) next = lastUser;
    for (let i = cut; i < next; i++) total -= sizes[i];
    cut = next;
  }
  const kept = [...messages.slice(0, system), ...messages.slice(cut)].map((m) => ({ ...m }));
  if (total <= limit) return kept;

  // Still too long: shorten the longest texts (not the system message or the last user message).
  const lastUserKept = kept.findLastIndex((m) => m.role === "user");
  for (let round = 0; round < 8 && total > limit; round++) {
    let longest = -1;
    for (let i = system; i < kept.length; i++) {
      if (i === lastUserKept || typeof kept[i].content !== "string") continue;
      if (
        longest < 0 || (kept[i].content as string).length > (kept[longest].content as string).length
      ) {
        longest = i;
      }
    }
    if (longest < 0) break;
    const text = kept[longest].content as string;
    const before = messageTokens(count, kept[longest]);
    const excess = total - limit;
    const ratio = Math.max(0, 1 - (excess + 50) / Math.max(before, 1));
    kept[longest].content = shorten(text, Math.floor(text.length * ratio));
    total += messageTokens(count, kept[longest]) - before;
  }
  return kept;
}
