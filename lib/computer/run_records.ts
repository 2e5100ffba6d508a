/**
 * What a session driver's records mean for the run in progress: `L` its active line, `W` it
 * waits for input, `I` a piece of an image, `E` its end. Records are something code could
 * have printed (the nonce is readable inside the sandbox): each is checked against the run
 * (its number, its line count) and none makes the host do more than output could.
 *
 * @module
 */

import type { ChannelHandler } from "../desktop/channel.ts";
import { receiveImagePiece } from "./images.ts";
import type { RunState } from "./session_types.ts";

/**
 * Applies a record to `run` (running, not done); true when it ends the run (an `E` with this
 * run's number, in a persistent session: a one-shot run ends with its process).
 */
export function applyRunRecord(
  run: RunState,
  kind: string,
  payload: string,
  persistent: boolean,
): boolean {
  switch (kind) {
    case "L": {
      const line = /^[1-9]\d{0,8}$/.test(payload) ? Number(payload) : 0;
      if (line <= run.lines && line > 0) {
        run.waitingMarker = false;
        run.feed.push({ role: "computer", type: "console", format: "active_line", content: line });
      }
      return false;
    }
    case "W":
      if (payload === "") run.waitingMarker = true;
      return false;
    case "I":
      // A piece of an image's base64 (`I<piece>`), or its end (a bare `I`).
      receiveImagePiece(run, payload);
      return false;
    case "E": {
      const match = /^(\d{1,15}) (-?\d{1,9})$/.exec(payload);
      if (!persistent || !match || Number(match[1]) !== run.id) return false;
      run.status = Number(match[2]);
      return true;
    }
  }
  return false;
}

/** The Computer API's `display.view()` screenshots also join the running code's output. */
export function withViewsShown(
  handler: ChannelHandler,
  currentRun: () => RunState | undefined,
): ChannelHandler {
  return async (method, call) => {
    const result = await handler(method, call);
    const image = result as { $image?: string; data?: unknown } | null;
    const run = currentRun();
    if (
      method === "display.view" && image?.$image === "base64.png" &&
      typeof image.data === "string" && run && !run.done
    ) {
      run.feed.push({ role: "computer", type: "image", format: "base64.png", content: image.data });
    }
    return result;
  };
}
