/**
 * Assertion helpers for tests (`@std/assert` cannot be fetched here, so this
 * re-exports Node's `assert` in the shapes the tests use).
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Throws when `value` is falsy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Throws when `actual` does not contain `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!actual.includes(expected)) {
    throw new Error(
      `${message ? message + ": " : ""}expected ${
        JSON.stringify(actual.slice(0, 400))
      } to include ${JSON.stringify(expected)}`,
    );
  }
}

/** Resolves to the error `fn` rejected with; throws when it resolved or the class differs. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  errorClass?: new (...args: any[]) => Error,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (errorClass && !(err instanceof errorClass)) {
      throw new Error(`expected ${errorClass.name}, got ${err}`);
    }
    return err as Error;
  }
  throw new Error("expected the promise to reject");
}
