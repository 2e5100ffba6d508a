/**
 * Which OS sandbox works on this machine (bubblewrap on Linux, sandbox-exec on
 * macOS), probed once, and the error a session gets when none does and the
 * permissions need one.
 *
 * @module
 */

import { trustedProgram } from "./trusted.ts";

/** Which OS sandbox confines sessions. */
export type SandboxKind = "none" | "bwrap" | "seatbelt";

/** The OS sandbox this machine offers. */
export interface SandboxSupport {
  /** `none` when no sandbox works here. */
  kind: SandboxKind;
  /** Why there is none. */
  reason?: string;
}

/** The one-line fix shown when no sandbox is available. */
export const NO_SANDBOX_HELP =
  "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap), or pass -A / --allow-all to run code unconfined";

/** Thrown when code would have to run unconfined under limited permissions. */
export class SandboxUnavailableError extends Error {
  /** Creates the error; `reason` says why the sandbox does not work. */
  constructor(reason: string) {
    super(
      `Code not run: no OS sandbox to enforce the permissions (${reason}). To fix: ${NO_SANDBOX_HELP}.`,
    );
    this.name = "SandboxUnavailableError";
  }
}

let support: SandboxSupport | undefined;

function probeBwrap(): SandboxSupport {
  const bwrap = trustedProgram("bwrap");
  if (!bwrap) {
    return {
      kind: "none",
      reason: "bubblewrap (bwrap) is not installed in a system folder (/usr/bin, /bin...)",
    };
  }
  try {
    const out = new Deno.Command(bwrap, {
      args: [
        "--ro-bind",
        "/",
        "/",
        "--unshare-pid",
        "--unshare-net",
        "--cap-drop",
        "ALL",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "true",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (out.success) return { kind: "bwrap" };
    const err = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    return { kind: "none", reason: `bubblewrap cannot create namespaces here: ${err}` };
  } catch (e) {
    return {
      kind: "none",
      reason: e instanceof Deno.errors.NotFound
        ? "bubblewrap (bwrap) is not installed"
        : `bwrap failed: ${(e as Error).message}`,
    };
  }
}

/** Finds (once, synchronously) which OS sandbox works on this machine. */
export function sandboxSupportSync(): SandboxSupport {
  if (support) return support;
  if (Deno.build.os === "linux") support = probeBwrap();
  else if (Deno.build.os === "darwin") {
    try {
      Deno.statSync("/usr/bin/sandbox-exec");
      support = { kind: "seatbelt" };
    } catch {
      support = { kind: "none", reason: "/usr/bin/sandbox-exec is missing" };
    }
  } else support = { kind: "none", reason: `no OS sandbox is supported on ${Deno.build.os}` };
  return support;
}

/** Finds (once) which OS sandbox works on this machine. */
export function sandboxSupport(): Promise<SandboxSupport> {
  return Promise.resolve(sandboxSupportSync());
}
