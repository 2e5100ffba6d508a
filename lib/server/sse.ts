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

/** Seconds without an event before a `: ping` comment keeps proxies from closing the stream. */
const KEEP_ALIVE_MS = 15000;

const PING = Symbol("ping");

/**
 * A streaming response of the given events. `onCancel` runs when the client
 * disconnects (before the producer is told to return), so it can abort work.
 * While the producer is silent (a model thinking, code running), a comment
 * line is sent every 15 s; SSE clients ignore it.
 */
export function sseResponse(
  events: AsyncIterable<string>,
  options: { onCancel?: () => void; headers?: Record<string, string> } = {},
): Response {
  const iterator = events[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<string>> | null = null;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        pending ??= iterator.next();
        const ping = new Promise<typeof PING>((resolve) => {
          timer = setTimeout(() => resolve(PING), KEEP_ALIVE_MS);
        });
        const result = await Promise.race([pending, ping]);
        if (result === PING) {
          controller.enqueue(encoder.encode(": ping\n\n"));
          return;
        }
        pending = null;
        if (result.done) controller.close();
        else controller.enqueue(encoder.encode(result.value));
      } catch (error) {
        controller.error(error);
      } finally {
        clearTimeout(timer);
      }
    },
    async cancel() {
      options.onCancel?.();
      await pending?.catch(() => {});
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
