/**
 * Drives the real program in a real terminal: tmux on a private socket, a
 * fixed window size, and bounded polling of what the screen shows.
 *
 * @module
 */

/** True when tmux is installed (tests that need it are skipped otherwise). */
export function hasTmux(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Removes a folder, retrying briefly (2 s at most) while a just-killed program may still write to it. */
export async function removeDir(dir: string): Promise<void> {
  for (let i = 0;; i++) {
    try {
      return await Deno.remove(dir, { recursive: true });
    } catch (e) {
      if (i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs `fn` with a new temp folder (named from `prefix`) and removes the folder afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await removeDir(dir);
  }
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Options for {@link TmuxSession.start}. */
export interface TmuxOptions {
  /** The command and its arguments. */
  command: string[];
  /** Environment variables set for the command. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Window width (default 100). */
  width?: number;
  /** Window height (default 30). */
  height?: number;
}

/** One program running in its own tmux server. */
export class TmuxSession {
  readonly socket: string;

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Runs `tmux <args>` on this session's server and returns its stdout. */
  async command(...args: string[]): Promise<string> {
    return await this.#tmux(...args);
  }

  async #tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout);
  }

  /** Starts the command in a new detached tmux server; the pane stays after it exits. */
  static async start(options: TmuxOptions): Promise<TmuxSession> {
    const session = new TmuxSession(`interp-test-${crypto.randomUUID().slice(0, 8)}`);
    const exports = Object.entries(options.env ?? {}).map(([k, v]) => `export ${k}=${quote(v)};`)
      .join(" ");
    const cd = options.cwd ? `cd ${quote(options.cwd)};` : "";
    // The shell prints the program's exit status when it ends. `trap : INT`
    // keeps the shell itself alive through Ctrl-C (the program, which gets
    // default signal handling, decides what Ctrl-C does).
    const script = `trap : INT; ${exports} ${cd} ${
      options.command.map(quote).join(" ")
    }; s=$?; echo; echo "[exit $s]"; exec sleep 600`;
    const conf = await Deno.makeTempFile({ prefix: "interp-tmux-", suffix: ".conf" });
    await Deno.writeTextFile(conf, "set -g history-limit 10000\n");
    try {
      await session.#tmux(
        "-f",
        conf,
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        String(options.width ?? 100),
        "-y",
        String(options.height ?? 30),
        "sh",
        "-c",
        script,
      );
    } finally {
      await Deno.remove(conf);
    }
    return session;
  }

  /** Waits (bounded) for the program to end and returns its exit status. */
  async waitForExit(timeoutMs = 30_000): Promise<number> {
    const screen = await this.waitFor(/^\[exit \d+\]$/m, { timeoutMs });
    return Number(/^\[exit (\d+)\]$/m.exec(screen)![1]);
  }

  /**
   * Ctrl-D at the chat prompt until the program exits, and its exit status: a
   * key sent while a turn is still winding down (before the line editor reads
   * again) can be lost. Five tries, the last waiting 30 s.
   */
  async exitWithCtrlD(): Promise<number> {
    for (let i = 0;; i++) {
      await this.keys("C-d");
      try {
        return await this.waitForExit(i < 4 ? 5_000 : 30_000);
      } catch (e) {
        if (i >= 4) throw e;
      }
    }
  }

  /** Sends keys by tmux name (`Enter`, `C-c`, `C-d`, `Up`...). */
  async keys(...keys: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", "main", ...keys);
  }

  /** Types text literally. */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "main", "-l", "--", text);
  }

  /** Pastes text the way a terminal paste arrives (all at once, newlines as Enter). */
  async paste(text: string): Promise<void> {
    await this.#tmux("set-buffer", "-b", "paste", "--", text);
    await this.#tmux("paste-buffer", "-b", "paste", "-t", "main");
  }

  /** Types a line and presses Enter. */
  async line(text: string): Promise<void> {
    await this.type(text);
    await this.keys("Enter");
  }

  /** The whole pane: scrollback plus screen, wrapped lines joined. */
  async capture(): Promise<string> {
    return await this.#tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "main");
  }

  /**
   * Waits until the pane shows `what` (after `after` occurrences of it, so a
   * second prompt can be awaited); bounded by `timeoutMs`.
   */
  async waitFor(
    what: string | RegExp,
    options: { timeoutMs?: number; count?: number; pollMs?: number } = {},
  ): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const count = options.count ?? 1;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.capture();
      const found = typeof what === "string" ? screen.split(what).length - 1 : (screen.match(
        new RegExp(what.source, what.flags.includes("g") ? what.flags : what.flags + "g"),
      ) ?? []).length;
      if (found >= count) return screen;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
    }
    throw new Error(
      `timed out waiting for ${String(what)} (x${count}); the pane shows:\n${screen}`,
    );
  }

  /** Ends the tmux server and everything in it. */
  async close(): Promise<void> {
    await this.#tmux("kill-server").catch(() => {});
  }
}
