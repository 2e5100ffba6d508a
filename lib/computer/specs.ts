/**
 * How each kind of language becomes a session: which program runs, which
 * driver it gets, and how code is sent to it.
 *
 * @module
 */

import { join } from "node:path";
import type { Permissions } from "../sandbox/permissions.ts";
import { denoPermissionFlags } from "./deno_flags.ts";
import { BASH_DRIVER, SH_DRIVER } from "./drivers/shell_driver.ts";
import { mplBackend, PYTHON_DRIVER } from "./drivers/python_driver.ts";
import { pythonClientSource } from "../desktop/python_client.ts";
import { JS_DRIVER } from "./drivers/js_driver.ts";
import type { Session, SessionSpec } from "./session.ts";

const encoder = new TextEncoder();

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
      Deno.writeTextFileSync(join(dir, "driver.py"), PYTHON_DRIVER);
      Deno.writeTextFileSync(join(dir, "_interpreter_mpl_backend.py"), mplBackend(nonce, dir));
      // `computer` (the Computer API's client; lib/desktop/python_client.ts).
      Deno.writeTextFileSync(join(dir, "_interpreter_computer.py"), pythonClientSource());
      return [python, "-u", join(dir, "driver.py"), nonce, dir];
    },
    async send(session: Session, code: string) {
      const body = encoder.encode(code);
      const header = encoder.encode(`${body.length}\n`);
      const message = new Uint8Array(header.length + body.length);
      message.set(header);
      message.set(body, header.length);
      await session.write(message);
    },
  };
}

/** A persistent shell session (`bash` when present, else `sh`). */
export function shellSpec(shell: string, isBash: boolean): SessionSpec {
  let cell: { path: string; file: Deno.FsFile; length: number } | undefined;
  return {
    language: "shell",
    persistent: true,
    interruptible: true,
    prepare(dir, nonce) {
      const fifo = join(dir, "stdin");
      try {
        Deno.removeSync(fifo);
      } catch {
        // not there yet
      }
      const driver = join(dir, "driver.sh");
      // The driver creates the FIFO it uses as standard input for user code.
      Deno.writeTextFileSync(
        driver,
        `mkfifo "$2/stdin" || exit 1\n` + (isBash ? BASH_DRIVER : SH_DRIVER),
      );
      return isBash
        ? [shell, "--noprofile", "--norc", driver, nonce, dir]
        : [shell, driver, nonce, dir];
    },
    async send(session: Session, code: string) {
      // Rewriting through a handle kept open is ~15x faster than writeTextFileSync here.
      const path = join(session.dir!, "cell.sh");
      if (cell?.path !== path) {
        cell?.file.close();
        cell = {
          path,
          file: Deno.openSync(path, { write: true, create: true, truncate: true }),
          length: 0,
        };
      }
      let bytes = encoder.encode(code.endsWith("\n") ? code : code + "\n");
      // ftruncate is slow on some file systems (overlayfs): when the new code is a little
      // shorter than the last, cover the rest with spaces (a blank last line) instead.
      const shortBy = cell.length - bytes.length;
      if (shortBy > 0 && shortBy <= 65536) {
        const padded = new Uint8Array(cell.length).fill(0x20);
        padded.set(bytes);
        bytes = padded;
      } else if (shortBy > 0) cell.file.truncateSync(0);
      cell.length = bytes.length;
      cell.file.seekSync(0, Deno.SeekMode.Start);
      let offset = 0;
      while (offset < bytes.length) offset += cell.file.writeSync(bytes.subarray(offset));
      await session.write(encoder.encode("\n"));
    },
    close() {
      cell?.file.close();
      cell = undefined;
    },
    // (sh's `read <&3` swaps fd 0 while it waits, so /proc cannot tell this one)
    stdinPath: (dir: string) => join(dir, "stdin"),
    onInterrupt(session: Session) {
      // `read` in bash itself resumes after SIGINT: hand it an empty line so it returns.
      const pid = session.pid;
      if (pid === undefined || !session.isWaitingForInput([pid])) return;
      try {
        const fifo = Deno.openSync(join(session.dir!, "stdin"), { write: true });
        fifo.writeSync(encoder.encode("\n"));
        fifo.close();
      } catch {
        // the session is going away
      }
    },
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
      Deno.writeTextFileSync(driver, JS_DRIVER);
      const flags = denoPermissionFlags(permissions());
      // The driver evaluates code through node:inspector, which needs sys access
      // (Deno has no narrower descriptor for it).
      if (!flags.includes("--allow-all")) flags.push("--allow-sys");
      return [deno, "run", "--quiet", ...flags, driver, nonce];
    },
    async send(session: Session, code: string, variant?: string) {
      // Loaded on first use: sucrase and acorn are not needed to start the program.
      const { prepareScript } = await import("./js_transform.ts");
      const prepared = prepareScript(code, { typescript: variant === "typescript" });
      const line = "error" in prepared
        ? JSON.stringify({ error: prepared.error })
        : JSON.stringify({ code: prepared.code });
      await session.write(encoder.encode(line + "\n"));
    },
  };
}

/** A one-shot language: each run writes the code to a file and runs `program file`. */
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
      Deno.writeTextFileSync(file, code);
      return [program, file];
    },
  };
}
