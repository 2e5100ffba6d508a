/**
 * Runs one model call (lib/llm's streamCompletion) to its end for the llm_*
 * tests: every event it yields, and the LlmError it ended with, if any.
 *
 * @module
 */

import { type CompletionEvent, streamCompletion } from "../../lib/llm/client.ts";
import { LlmError } from "../../lib/llm/errors.ts";
import { assert } from "./assert.ts";

/** What one call yielded, and the LlmError that ended it (any other error is thrown). */
export interface StreamedCall {
  /** Every event, in order, including those before an error. */
  events: CompletionEvent[];
  /** The LlmError the call ended with. */
  error?: LlmError;
}

/** Streams `request` to its end (or its LlmError). */
export async function streamCall(
  request: Parameters<typeof streamCompletion>[0],
): Promise<StreamedCall> {
  const events: CompletionEvent[] = [];
  try {
    for await (const ev of streamCompletion(request)) events.push(ev);
    return { events };
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    return { events, error: err };
  }
}

/** Asserts that `error` is an LlmError whose message is one line, and returns the message. */
export function oneLine(error: LlmError | undefined): string {
  assert(error, "an LlmError was thrown");
  assert(!error.message.includes("\n"), "the message is one line");
  return error.message;
}
