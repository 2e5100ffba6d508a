/**
 * Serves a {@link ComputerApi} to one session over the channel.
 *
 * @module
 */

import { type Channel, type ChannelOptions, serveChannel } from "./channel.ts";
import type { ComputerApi } from "./computer_api.ts";
import { callMethod, METHODS } from "./methods.ts";

/** Starts a channel whose calls run on `api`. */
export function serveComputerApi(
  api: ComputerApi,
  options: Omit<ChannelOptions, "methods"> = {},
): Promise<Channel> {
  return serveChannel((method, call) => callMethod(api, method, call), {
    ...options,
    methods: new Set(Object.keys(METHODS)),
  });
}
