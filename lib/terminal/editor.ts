/**
 * Opening code in the person's editor for the `e` answer: $VISUAL, else
 * $EDITOR, else nano, else vi. The edited text comes back.
 *
 * @module
 */

import { join } from "node:path";
import { which } from "../computer/languages.ts";
import { pathWithout, trustedProgram } from "../sandbox/trusted.ts";

const EXTENSIONS: Record<string, string> = {
  python: "py",
  shell: "sh",
  bash: "sh",
  javascript: "js",
  typescript: "ts",
  ruby: "rb",
  r: "r",
  powershell: "ps1",
  html: "html",
  java: "java",
  applescript: "applescript",
};

/** The editor command to use (may include arguments, e.g. `code --wait`). */
function pickEditor(): string {
  const chosen = Deno.env.get("VISUAL") || Deno.env.get("EDITOR");
  if (chosen) return chosen;
  return which("nano") ? "nano" : "vi";
}

/**
 * PATH without the folders generated code can write (relative entries, and those inside
 * `untrusted`: an activated `.venv/bin` in the workspace could hold a planted `nano` or `sh`,
 * which the editor would run outside the sandbox).
 */
function editorPath(
  untrusted: readonly string[],
  path = Deno.env.get("PATH") ?? "",
): string {
  return pathWithout(untrusted, path);
}

/**
 * Opens `code` in the editor and returns the edited text (trailing newline removed). The
 * editor is looked up on PATH without the working directory's folders (`untrusted`).
 */
export async function editInEditor(
  code: string,
  language: string,
  options: { untrusted?: readonly string[] } = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "interpreter-edit-" });
  const file = join(dir, `code.${EXTENSIONS[language.toLowerCase()] ?? "txt"}`);
  try {
    await Deno.writeTextFile(file, code.endsWith("\n") ? code : code + "\n");
    // Through sh so an $EDITOR with arguments ("code --wait") works; the file is "$1".
    // Behind a pipe (`cat log | interpreter ...`) the editor gets the terminal itself.
    const tty = (Deno.stdin.isTerminal() ? "" : " </dev/tty") +
      (Deno.stdout.isTerminal() ? "" : " >/dev/tty");
    const status = await new Deno.Command(trustedProgram("sh") ?? "/bin/sh", {
      args: ["-c", `${pickEditor()} "$1"${tty}`, "sh", file],
      env: { PATH: editorPath(options.untrusted ?? [Deno.cwd()]) },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) throw new Error(`the editor exited with status ${status.code}`);
    return (await Deno.readTextFile(file)).replace(/\n$/, "");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
