/**
 * The one comma-list splitter for permission values: `--allow-read=a,b`, a
 * repeated flag's list, and profile lists. It imports nothing, so the flag
 * table can use it without loading the sandbox.
 *
 * @module
 */

/**
 * Splits a flag value (`"a,b"` or a repeated flag's list) into trimmed
 * non-empty items.
 */
export function splitList(value: string | readonly string[]): string[] {
  const parts = typeof value === "string" ? value.split(",") : value.flatMap((v) => v.split(","));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}
