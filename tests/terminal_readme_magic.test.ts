/**
 * The README's list of `%` commands is the chat's: every command `%help`
 * shows is named there (a new user reads the README first).
 */
import { assert } from "./helpers/assert.ts";
import { MAGIC_HELP } from "../lib/terminal/magic.ts";

Deno.test("readme: the magic-command list names every command %help shows", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf("Magic commands:");
  assert(start >= 0, "the README lists the magic commands");
  const list = readme.slice(start, readme.indexOf("\n\n", start));
  for (const line of MAGIC_HELP) {
    const command = line.split(" ")[0];
    if (command === '"""') continue; // multi-line input is described in the paragraph before
    assert(list.includes("`" + command), `README names ${command}: ${list}`);
  }
});
