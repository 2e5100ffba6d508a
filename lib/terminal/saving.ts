/**
 * Saving the conversation from the terminal: after every message, with a
 * failure (disk full, folder not writable) reported once rather than at every
 * message, and remembered so the exit status can say the conversation is not
 * saved.
 *
 * @module
 */

import type { LmcMessage } from "../wire/lmc.ts";
import type { ConversationStore } from "../storage/conversations.ts";

/** Saves the conversation through a store; reports the first failure of a run of failures. */
export class ConversationSaver {
  #getStore: () => Promise<ConversationStore>;
  #report: (text: string) => void;
  #failing = false;

  /** `getStore` gives the store (loaded on first use); `report` shows a one-line problem. */
  constructor(getStore: () => Promise<ConversationStore>, report: (text: string) => void) {
    this.#getStore = getStore;
    this.#report = report;
  }

  /** True when the last save failed: what is on disk is behind the conversation. */
  get unsaved(): boolean {
    return this.#failing;
  }

  /** Saves `messages`; never throws. */
  async save(messages: LmcMessage[]): Promise<void> {
    let store: ConversationStore | undefined;
    try {
      store = await this.#getStore();
      await store.save(messages);
      if (this.#failing) this.#report(`The conversation is saved again (${store.path}).`);
      this.#failing = false;
    } catch (e) {
      if (!this.#failing) {
        const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
        this.#report(
          `could not save the conversation${store?.path ? ` to ${store.path}` : ""}: ${why}`,
        );
      }
      this.#failing = true;
    }
  }
}
