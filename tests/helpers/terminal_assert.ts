/**
 * Small assertion helpers for the terminal tests (JSR's @std/assert is not
 * reachable here), built on node:assert.
 *
 * @module
 */

import nodeAssert from "node:assert";

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Fails unless the two values are deeply equal. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails unless `text` contains `part`. */
export function assertIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(text.includes(part), message ?? `expected ${JSON.stringify(part)} in:\n${text}`);
}

/** Fails unless `fn` throws an instance of `type` whose message contains `includes`. */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => Error,
  includes = "",
): void {
  try {
    fn();
  } catch (e) {
    nodeAssert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
    assertIncludes((e as Error).message, includes);
    return;
  }
  nodeAssert.fail(`expected ${type.name} to be thrown`);
}

/** Fails unless the promise from `fn` rejects with `type` whose message contains `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => Error,
  includes = "",
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    nodeAssert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
    assertIncludes((e as Error).message, includes);
    return;
  }
  nodeAssert.fail(`expected ${type.name} to be rejected`);
}
