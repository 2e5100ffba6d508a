/**
 * For the `-A` lifetime test: an unconfined Computer runs code that leaves
 * daemons ({@linkcode PYTHON_DAEMONS}, {@linkcode SHELL_DAEMON}), prints
 * `PIDS [...]`, then waits to be killed from outside (SIGKILL).
 *
 * `deno run -A reaper_script.ts <dataDir>`
 *
 * @module
 */

import { Computer } from "../../lib/computer/mod.ts";
import { allowAll } from "../../lib/sandbox/permissions.ts";
import { daemonPids, PYTHON_DAEMONS, SHELL_DAEMON } from "./escape_daemons.ts";

const computer = new Computer({ dataDir: Deno.args[0], permissions: allowAll() });
const text = (messages: { format?: string; content?: unknown }[]) =>
  messages.filter((m) => m.format === "output").map((m) => String(m.content)).join("");
const py = text(await computer.run("python", PYTHON_DAEMONS));
const sh = text(await computer.run("shell", SHELL_DAEMON));
console.log("PIDS " + JSON.stringify([...daemonPids(py), ...daemonPids(sh)]));
setInterval(() => {}, 1000); // alive until killed
