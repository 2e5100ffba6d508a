/**
 * The Computer API as the computer (lib/computer) holds it: nothing is loaded until a call
 * arrives, calls fail with one line while display access is off, and the same calls serve the
 * sessions' channel and the library (`interpreter.computer.display.view()`).
 *
 * @module
 */

import type { AskModel } from "./ai.ts";
import type { ChannelHandler } from "./channel.ts";
import type { ComputerApi, ComputerApiOptions } from "./computer_api.ts";
import type { Permissions } from "../sandbox/permissions.ts";

/** The message every call gives when the Computer API is off. */
export const API_OFF_MESSAGE = "the Computer API is off: start with --os or --allow-display";

/** What the computer passes on to the API. */
export interface DesktopHostOptions {
  /** The host's model for `computer.ai` (the engine sets it). */
  ask?: AskModel;
  /** The skills folder (default: `<dataDir>/skills`, given by the computer). */
  skillsDir?: string | (() => string);
  /** The browser's search page template with `{query}`. */
  searchUrl?: string;
  /** The desktop backend (default: detected on first use). */
  backend?: ComputerApiOptions["backend"];
}

/** The namespaces of the host API (files runs in the sessions only). */
export const HOST_NAMESPACES = [
  "display",
  "mouse",
  "keyboard",
  "clipboard",
  "os",
  "browser",
  "ai",
  "skills",
] as const;

/** A namespace of the host API: each method returns a promise. */
export type HostNamespace = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** A lazily made {@link ComputerApi}, bound to the permissions in force. */
export class DesktopHost {
  /** Options read when the API is made (the engine sets `ask`). */
  options: DesktopHostOptions;
  #permissions: () => Permissions;
  #api: { key: string; api: Promise<ComputerApi> } | undefined;

  /** Follows `permissions` (read at each call: display on or off, the browser's hosts). */
  constructor(permissions: () => Permissions, options: DesktopHostOptions = {}) {
    this.#permissions = permissions;
    this.options = options;
  }

  /** True when display access is granted. */
  get on(): boolean {
    return this.#permissions().display === true;
  }

  /** The API (made on first use; remade when the network permissions change). */
  api(): Promise<ComputerApi> {
    const p = this.#permissions();
    if (p.display !== true) return Promise.reject(new Error(API_OFF_MESSAGE));
    const net = { allow: p.net, deny: p.denyNet };
    const key = JSON.stringify(net);
    if (this.#api?.key !== key) {
      const previous = this.#api?.api;
      previous?.then((api) => api.close()).catch(() => {});
      const options = this.options;
      this.#api = {
        key,
        api: import("./computer_api.ts").then(({ ComputerApi }) =>
          new ComputerApi({
            backend: options.backend,
            skillsDir: typeof options.skillsDir === "function"
              ? options.skillsDir()
              : options.skillsDir,
            ask: (prompt, o) =>
              options.ask
                ? options.ask(prompt, o)
                : Promise.reject(new Error("computer.ai has no model here")),
            browser: { net, searchUrl: options.searchUrl },
          })
        ),
      };
    }
    return this.#api.api;
  }

  /** Serves one channel call. */
  readonly handler: ChannelHandler = async (method, call) => {
    const api = await this.api();
    const { callMethod } = await import("./methods.ts");
    return await callMethod(api, method, call);
  };

  /** A namespace for the library: `await computer.display.view()`. */
  namespace(
    name: (typeof HOST_NAMESPACES)[number],
  ): HostNamespace {
    return new Proxy({}, {
      get: (_target, method) => {
        if (typeof method !== "string" || method === "then") return undefined;
        return async (...args: unknown[]) => {
          const api = await this.api();
          const ns: object | undefined = api[name];
          const fn: unknown = ns === undefined ? undefined : Reflect.get(ns, method);
          if (typeof fn !== "function") throw new Error(`computer.${name} has no method ${method}`);
          return await fn.apply(ns, args);
        };
      },
    });
  }

  /** Stops what the API started (the browser). */
  async close(): Promise<void> {
    const api = this.#api?.api;
    this.#api = undefined;
    if (api) await (await api.catch(() => null))?.close();
  }
}
