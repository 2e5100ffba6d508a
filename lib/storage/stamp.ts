/**
 * The local-time stamp used in file names (saved conversations, exports):
 * `YYYY-MM-DD_HH-MM-SS`, sortable and safe on every file system.
 *
 * @module
 */

/** `when` (default: now) as `YYYY-MM-DD_HH-MM-SS` in local time. */
export function timeStamp(when: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${when.getFullYear()}-${p(when.getMonth() + 1)}-${p(when.getDate())}_${
    p(when.getHours())
  }-${p(when.getMinutes())}-${p(when.getSeconds())}`;
}
