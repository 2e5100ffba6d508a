/**
 * Crash-safe file writes: the data goes to a temporary file in the same
 * folder, is flushed to disk (fsync), then renamed over the target. A crash or
 * kill at any moment leaves either the old file or the new one, never half.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** Writes `text` to `path` atomically (temp file in the same folder, fsync, rename). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    const data = new TextEncoder().encode(text);
    let written = 0;
    while (written < data.length) written += await file.write(data.subarray(written));
    await file.sync();
  } catch (e) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  file.close();
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
