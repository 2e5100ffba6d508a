/**
 * Server-sent events: turns an async sequence of events into a streaming
 * `text/event-stream` response that stops its producer when the client leaves.
 *
 * @module
 */

const encoder = new TextEncoder();

/** One `data:` event holding a JSON value. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/**
 * A streaming response of the given events. `onCancel` runs when the client
 * disconnects (before the producer is told to return), so it can abort work.
 */
export function sseResponse(
  events: AsyncIterable<string>,
  options: { onCancel?: () => void; headers?: Record<string, string> } = {},
): Response {
  const iterator = events[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      options.onCancel?.();
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...options.headers,
    },
  });
}
