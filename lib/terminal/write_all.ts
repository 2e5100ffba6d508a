/**
 * Writing a whole text to a file or stream synchronously (one `writeSync` may
 * write only part of it).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes all of `text` (UTF-8) to `file`, calling `writeSync` until every byte is out. */
export function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let off = 0;
  while (off < data.length) off += file.writeSync(data.subarray(off));
}
