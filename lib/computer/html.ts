/**
 * HTML is data, not code: a run saves it as a new file in the data folder (host-side, for
 * every computer backend) and says where, so the person can open it in a browser.
 *
 * @module
 */

import { join } from "node:path";

/** Saves `code` as a new file under `<dataDir>/html` and returns the line saying where. */
export async function saveHtml(code: string, dataDir: string): Promise<string> {
  const dir = join(dataDir, "html");
  await Deno.mkdir(dir, { recursive: true });
  if ((await Deno.lstat(dir)).isSymlink) {
    return `The HTML was not saved: ${dir} is a symbolic link.\n`;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const path = join(dir, `${stamp}-${crypto.randomUUID().slice(0, 8)}.html`);
  await Deno.writeTextFile(path, code, { createNew: true });
  return `HTML saved to ${path} (open it in a browser to see it).\n`;
}
