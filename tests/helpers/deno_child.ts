/**
 * Runs a piece of TypeScript in a child `deno` with extra environment
 * variables. `deno test --parallel` runs every test file in one process, so a
 * test must never change `Deno.env`: one that needs a variable set (an API key
 * in the environment, say) sets it for a child process instead.
 *
 * @module
 */

const REPO = new URL("../../", import.meta.url);

/** What the child did. */
export interface ChildResult {
  /** Its exit code. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/** The `file:` URL of a module of this repository, by its path from the repository root. */
export function repoModule(path: string): string {
  return new URL(path, REPO).href;
}

/**
 * Runs `source` (TypeScript, all permissions) in a child `deno` whose
 * environment is this process's plus `options.env`; the child is killed
 * after `options.timeoutMs` (default 60 s).
 */
export async function runDenoChild(
  source: string,
  options: { env: Record<string, string>; timeoutMs?: number },
): Promise<ChildResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", "--config", new URL("deno.json", REPO).pathname, source],
    cwd: REPO.pathname,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
