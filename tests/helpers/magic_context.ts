/**
 * A `%magic` context for tests that run magics without a chat: it keeps the
 * messages `setMessages` gives it and the lines magics print; every other
 * action does nothing.
 *
 * @module
 */

import type { MagicContext } from "../../lib/terminal/magic.ts";
import type { LmcMessage } from "../../lib/wire/lmc.ts";

/** A context in the folder `cwd` holding `messages`; `printed` collects what magics print. */
export function magicContext(
  cwd: string,
  messages: LmcMessage[],
  options: { conversationPath?: string } = {},
): MagicContext & { printed: string[] } {
  const printed: string[] = [];
  const ctx = {
    printed,
    messages,
    setMessages(m: LmcMessage[]) {
      ctx.messages = m;
    },
    reset: () => Promise.resolve(),
    print: (...lines: string[]) => void printed.push(...lines),
    autoRun: false,
    setAutoRun() {},
    verbose: false,
    setVerbose() {},
    runShell: () => Promise.resolve(),
    info: () => Promise.resolve([]),
    tokens: () => Promise.resolve([]),
    conversationPath: options.conversationPath,
    cwd,
  };
  return ctx;
}
