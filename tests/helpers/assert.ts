/**
 * The assertions every test uses. `@std/assert` cannot be fetched here (no
 * JSR), so these follow its names and argument order on top of
 * `node:assert/strict`: switching to `@std/assert` later is a change of
 * import path only.
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/** The most of a text an error message shows. */
const SHOWN = 2000;

function prefix(message: string | undefined): string {
  return message ? `${message}: ` : "";
}

function shown(text: string): string {
  const s = String(text);
  return s.length > SHOWN ? `${s.slice(0, SHOWN)}... (${s.length - SHOWN} more characters)` : s;
}

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message ?? "assertion failed");
}

/** Fails unless the two values are deeply and strictly equal (shows a diff when they are not). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails unless `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!String(actual).includes(expected)) {
    throw new nodeAssert.AssertionError({
      message: `${prefix(message)}expected to find ${JSON.stringify(expected)} in:\n${
        shown(actual)
      }`,
    });
  }
}

/** Fails unless `actual` matches `pattern`. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  // A global or sticky pattern keeps state between tests; match on a fresh copy.
  if (!new RegExp(pattern.source, pattern.flags).test(String(actual))) {
    throw new nodeAssert.AssertionError({
      message: `${prefix(message)}expected ${pattern} to match:\n${shown(actual)}`,
    });
  }
}

function checkError(error: unknown, errorClass?: ErrorClass, includes?: string): Error {
  if (errorClass && !(error instanceof errorClass)) {
    throw new nodeAssert.AssertionError({
      message: `expected ${errorClass.name} to be thrown, got: ${error}`,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (includes !== undefined && !message.includes(includes)) {
    throw new nodeAssert.AssertionError({
      message: `expected the error message to include ${JSON.stringify(includes)}, got: ${message}`,
    });
  }
  return error as Error;
}

/**
 * Fails unless `fn` throws (an instance of `errorClass`, whose message
 * contains `includes`, when given); returns the error.
 */
export function assertThrows(
  fn: () => unknown,
  errorClass?: ErrorClass,
  includes?: string,
): Error {
  try {
    fn();
  } catch (error) {
    return checkError(error, errorClass, includes);
  }
  throw new nodeAssert.AssertionError({
    message: `expected ${errorClass?.name ?? "an error"} to be thrown, none was`,
  });
}

/**
 * Fails unless the promise from `fn` rejects (with an instance of
 * `errorClass`, whose message contains `includes`, when given); resolves to
 * the error.
 */
export async function assertRejects(
  fn: () => Promise<unknown>,
  errorClass?: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, errorClass, includes);
  }
  throw new nodeAssert.AssertionError({
    message: `expected ${errorClass?.name ?? "the promise"} to reject, it resolved`,
  });
}
