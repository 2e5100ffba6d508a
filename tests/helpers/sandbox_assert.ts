/** Small assertions for the sandbox tests (jsr:@std/assert cannot be reached here). */

import nodeAssert from "node:assert/strict";

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}

/** Deep equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails unless `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) {
    throw new Error(
      `${message ? message + ": " : ""}expected to find ${JSON.stringify(part)} in:\n${text}`,
    );
  }
}

/** Fails unless `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(text)) {
    throw new Error(`${message ? message + ": " : ""}expected ${pattern} to match:\n${text}`);
  }
}

/** Fails unless `fn` throws an error whose message contains `part`. */
export function assertThrows(fn: () => unknown, part?: string): Error {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    if (part && !err.message.includes(part)) {
      throw new Error(`expected error containing ${JSON.stringify(part)}, got: ${err.message}`);
    }
    return err;
  }
  throw new Error("expected an error, none was thrown");
}
