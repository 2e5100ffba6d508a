/**
 * A library script for the lifetime tests: it starts a python and a shell
 * session, each with a background process, prints one `STATE {json}` line
 * (host pids of everything, the session temp folders) and then, by its
 * third argument: `end` (main just ends, no terminate()), `exit`
 * (`Deno.exit(0)`), or `wait` (both sessions busy running code, then
 * `BUSY [host pid of the shell run's child]` is printed and the script
 * waits until killed).
 *
 * `deno run -A computer_script.ts <default|allow> <end|exit|wait> <dataDir>`
 *
 * @module
 */

import { Computer } from "../../lib/computer/mod.ts";
import { allowAll } from "../../lib/sandbox/permissions.ts";
import { hostPids, PYTHON_TOKEN, SHELL_TOKEN, tokenIn } from "./session_pids.ts";

const [mode, end, dataDir] = Deno.args;
const computer = new Computer({
  dataDir,
  ...(mode === "allow" ? { permissions: allowAll() } : {}),
});

function textOf(messages: { format?: string; content?: unknown }[]): string {
  return messages.filter((m) => m.format === "output").map((m) => String(m.content)).join("");
}

function pidsIn(text: string): number[] {
  return [...text.matchAll(/PID (\d+)/g)].map((m) => Number(m[1]));
}

const python = textOf(
  await computer.run(
    "python",
    `import os, subprocess\np = subprocess.Popen(['sleep', '1000'])\n${PYTHON_TOKEN}\n` +
      "print('PID', os.getpid(), 'PID', p.pid)",
  ),
);
const shell = textOf(
  await computer.run("shell", `${SHELL_TOKEN}\nsleep 1000 &\necho PID $$ PID $!\necho TMP $TMPDIR`),
);
const [pythonLeader, pythonChild] = await hostPids(pidsIn(python), tokenIn(python)!);
const [shellLeader, shellChild] = await hostPids(pidsIn(shell), tokenIn(shell)!);
console.log(
  "STATE " + JSON.stringify({
    leaders: [pythonLeader, shellLeader],
    children: [pythonChild, shellChild],
    tmp: shell.match(/TMP (\S+)/)?.[1],
  }),
);

if (end === "exit") Deno.exit(0);
if (end === "wait") {
  // Both sessions busy (not reading their command channel, so only the parent-death
  // signal can end them), then wait to be killed from outside.
  // Resolves once the run printed `until`; the run goes on (breaking out would stop it).
  const busy = (language: string, code: string, until: RegExp) =>
    new Promise<string>((resolve) => {
      (async () => {
        let text = "";
        for await (const chunk of computer.stream(language, code)) {
          if (chunk.format === "output") text += chunk.content;
          if (until.test(text)) resolve(text);
        }
      })();
    });
  const [, waiting] = await Promise.all([
    busy("python", "import time\nprint('busy', flush=True)\ntime.sleep(1000)", /busy\n/),
    busy("shell", "sleep 1000 & echo PID $!\nwait", /PID \d+\n/),
  ]);
  // The shell's busy child, so the test can find it (and end it where nothing else does).
  console.log("BUSY " + JSON.stringify(await hostPids(pidsIn(waiting), tokenIn(shell)!)));
  setInterval(() => {}, 1000);
}
