/**
 * The few assertions the server tests use, on top of `node:assert` (JSR's
 * `@std/assert` cannot be reached from this environment).
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Fails unless the two values are deeply equal. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails unless the string matches the pattern. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(actual, pattern, message);
}

/** Fails unless the function rejects (with that class and a message containing `includes`). */
export async function assertRejects(
  fn: () => Promise<unknown>,
  errorClass?: new (...args: never[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (errorClass) nodeAssert.ok(error instanceof errorClass, `expected ${errorClass.name}`);
    if (includes) {
      nodeAssert.ok(String((error as Error).message).includes(includes), (error as Error).message);
    }
    return error as Error;
  }
  throw new Error("expected the function to reject");
}
