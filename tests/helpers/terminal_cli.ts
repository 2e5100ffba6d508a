/**
 * Runs the real `interpreter` program (`deno run -A main.ts`) as a child
 * process, with its own INTERPRETER_HOME, for the CLI tests.
 *
 * @module
 */

import { TmuxSession } from "./terminal_tmux.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const SETSID = ["/usr/bin/setsid", "/bin/setsid"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** The result of one run. */
export interface CliRun {
  /** Exit status. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/** The argv that starts the program (for tmux). */
export function cliCommand(args: string[]): string[] {
  return [Deno.execPath(), "run", "-A", MAIN, ...args];
}

/**
 * Starts the program with `args` in tmux the way a person chats with it: its
 * own INTERPRETER_HOME (also its working folder), TERM=xterm-256color, NO_COLOR
 * (`env` adds to these), a `width` x `height` pane (default 100 x 30).
 */
export function startCliInTmux(
  args: string[],
  options: { home: string; env?: Record<string, string>; width?: number; height?: number },
): Promise<TmuxSession> {
  const { home, env, width, height } = options;
  return TmuxSession.start({
    command: cliCommand(args),
    env: { INTERPRETER_HOME: home, TERM: "xterm-256color", NO_COLOR: "1", ...env },
    cwd: home,
    width,
    height,
  });
}

/** The flags that point the program at a (fake) model server with a test key. */
export function modelArgs(apiBase: string, apiKey = "sk-x-0123456789"): string[] {
  return ["--api_base", apiBase, "--model", "gpt-4o-mini", "--api_key", apiKey];
}

/** Runs the program with `args`; `stdin` text is piped in (else stdin is empty, not a terminal). */
export async function runCli(
  args: string[],
  options: {
    home: string;
    stdin?: string;
    env?: Record<string, string>;
    cwd?: string;
    timeoutMs?: number;
  },
): Promise<CliRun> {
  // seam: cli — in a new session (setsid) the program has no controlling
  // terminal, even when the tests run in one: it must not ask on /dev/tty.
  const argv = [...(SETSID ? [SETSID] : []), Deno.execPath(), "run", "-A", MAIN, ...args];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: { INTERPRETER_HOME: options.home, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(options.stdin ?? ""));
  await writer.close();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 60_000);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
