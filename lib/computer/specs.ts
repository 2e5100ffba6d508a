/**
 * How each kind of language becomes a session: which program runs, which
 * driver it gets, and how code is sent to it.
 *
 * A session's folder is made fresh for each process start (see session.ts);
 * `prepare` creates its files there with exclusive create before the process
 * starts, and the host never writes, reads or opens anything in it afterwards:
 * code is sent over the command pipe, never written to a file by the host.
 *
 * @module
 */

import { join } from "node:path";
import type { Permissions } from "../sandbox/permissions.ts";
import { denoFlags } from "../sandbox/deno_flags.ts";
import { BASH_DRIVER, SH_DRIVER } from "./drivers/shell_driver.ts";
import { PYTHON_DRIVER } from "./drivers/python_driver.ts";
import { pythonClientSource } from "../desktop/python_client.ts";
import { jsClientSource, withSocketGrants } from "../desktop/js_client.ts";
import { JS_DRIVER } from "./drivers/js_driver.ts";
import type { Session, SessionSpec } from "./session.ts";

const encoder = new TextEncoder();

/** Writes a new file (exclusive create: never through a link or over a file already there). */
function createFile(path: string, text: string): void {
  Deno.writeTextFileSync(path, text, { createNew: true, mode: 0o600 });
}

/** `header` then `body`, as one message for the command pipe. */
function message(header: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(header);
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return bytes;
}

/** A persistent Python session run by `python`. */
export function pythonSpec(python: string): SessionSpec {
  const env: Record<string, string> = { PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8" };
  if (!Deno.env.get("MPLBACKEND")) env.MPLBACKEND = "module://_interpreter_mpl_backend";
  return {
    language: "python",
    persistent: true,
    interruptible: true,
    env,
    prepare(dir, nonce) {
      createFile(join(dir, "driver.py"), PYTHON_DRIVER);
      // \`computer\` (the Computer API's client; lib/desktop/python_client.ts), found next to
      // the driver.
      createFile(join(dir, "_interpreter_computer.py"), pythonClientSource());
      return [python, "-u", join(dir, "driver.py"), nonce];
    },
    async send(session: Session, code: string, options) {
      const body = encoder.encode(code);
      await session.write(message(`${options.id} ${body.length}\n`, body));
    },
    // The FIFO the driver makes user code's stdin (answers typed in the chat go there).
    stdinPath: (dir: string) => join(dir, "stdin"),
  };
}

/** A persistent shell session (`bash` when present, else `sh`). */
export function shellSpec(shell: string, isBash: boolean): SessionSpec {
  return {
    language: "shell",
    persistent: true,
    interruptible: true,
    prepare(dir, nonce) {
      const driver = join(dir, "driver.sh");
      createFile(driver, isBash ? BASH_DRIVER : SH_DRIVER);
      return isBash
        ? [shell, "--noprofile", "--norc", driver, nonce, dir]
        : [shell, driver, nonce, dir];
    },
    async send(session: Session, code: string, options) {
      // Whole lines (the driver reads a count of lines); a NUL byte means nothing to a shell.
      let text = code.replaceAll("\0", "");
      if (!text.endsWith("\n")) text += "\n";
      let lines = 0;
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
      await session.write(message(`${options.id} ${lines}\n`, encoder.encode(text)));
    },
    // (sh's `read <&7` swaps fd 0 while it waits, so /proc cannot tell this one)
    stdinPath: (dir: string) => join(dir, "stdin"),
  };
}

/** A persistent Deno session, shared by JavaScript and TypeScript (variant "typescript"). */
export function denoSpec(deno: string, permissions: () => Permissions): SessionSpec {
  return {
    language: "javascript",
    persistent: true,
    // A busy JavaScript loop cannot be interrupted from outside: stop = restart.
    interruptible: false,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    prepare(dir, nonce) {
      const driver = join(dir, "driver.js");
      // `computer` (the Computer API's client; lib/desktop/js_client.ts) is defined first.
      createFile(driver, jsClientSource() + JS_DRIVER);
      const flags = denoFlags(permissions());
      // The driver evaluates code through node:inspector, which needs sys access
      // (Deno has no narrower descriptor for it).
      if (!flags.includes("--allow-all")) flags.push("--allow-sys");
      return [deno, "run", "--quiet", ...flags, driver, nonce];
    },
    // Deno checks read, write and net access to connect to the channel's unix socket.
    channelArgs: withSocketGrants,
    async send(session: Session, code: string, options) {
      // Loaded on first use: sucrase and acorn are not needed to start the program.
      const { prepareScript } = await import("./js_transform.ts");
      const prepared = prepareScript(code, { typescript: options.variant === "typescript" });
      const line = "error" in prepared
        ? JSON.stringify({ id: options.id, error: prepared.error })
        : JSON.stringify({ id: options.id, code: prepared.code });
      await session.write(encoder.encode(line + "\n"));
    },
  };
}

/** A one-shot language: each run writes the code to a new file and runs `program file`. */
export function oneShotSpec(
  language: string,
  options: { program: string; extension: string },
): SessionSpec {
  const { program, extension } = options;
  return {
    language,
    persistent: false,
    interruptible: false,
    prepare(dir, _nonce, code) {
      const file = join(dir, `code.${extension}`);
      createFile(file, code);
      return [program, file];
    },
  };
}
