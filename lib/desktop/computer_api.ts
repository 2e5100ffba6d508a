/**
 * The whole Computer API on the host: the desktop namespaces (`api.ts`) plus `browser`, `ai` and
 * `skills`. This is what the library exposes as `interpreter.computer.*` and what the session's
 * channel calls. (`files` runs inside the session, where the write grants apply: see the clients.)
 *
 * @module
 */

import { AiApi, type AskModel } from "./ai.ts";
import { DesktopApi, type DesktopApiOptions } from "./api.ts";
import { Browser, type BrowserOptions } from "./browser.ts";
import { SkillsApi } from "./skills.ts";

/** Options of {@link ComputerApi}. */
export interface ComputerApiOptions extends DesktopApiOptions {
  /** The browser's network permissions and search page. */
  browser?: BrowserOptions;
  /** The host's model, for `computer.ai` (injected by the engine). */
  ask?: AskModel;
  /** The skills folder (`<dataDir>/skills`). */
  skillsDir?: string;
}

/** The Computer API: display, mouse, keyboard, clipboard, os, browser, ai, skills. */
export class ComputerApi extends DesktopApi {
  /** The headless browser (started on first use). */
  readonly browser: Browser;
  /** The host's model. */
  readonly ai: AiApi;
  /** Saved skills. */
  readonly skills: SkillsApi;

  /** Makes the API; nothing starts until a method is called. */
  constructor(options: ComputerApiOptions = {}) {
    super(options);
    this.browser = new Browser(options.browser);
    this.ai = new AiApi(options.ask);
    this.skills = new SkillsApi(options.skillsDir);
  }

  /** Stops what the API started (the browser). */
  async close(): Promise<void> {
    await this.browser.close();
  }
}
