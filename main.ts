/**
 * The `interpreter` command. Kept thin on purpose: it parses the flags (a
 * table with no heavy imports), answers `--help` and `--version` at once, and
 * only then loads the chat program (model client, renderer...) on demand.
 *
 * @module
 */

import denoConfig from "./deno.json" with { type: "json" };
import { helpText, parseArgs, UsageError } from "./lib/terminal/flags.ts";
import { ExitCode } from "./lib/terminal/exit_codes.ts";
import { lazyImport } from "./lib/terminal/lazy_import.ts";

/** The program's version, from deno.json. */
export const VERSION: string = denoConfig.version;

/** Runs the command line `args`; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  // seam: sandbox — the compiled binary re-runs itself as the in-sandbox network relay.
  if (args[0] === "__sandbox-relay") {
    const { runRelay } = await lazyImport<typeof import("./lib/sandbox/relay.ts")>(
      "./lib/sandbox/relay.ts",
      import.meta.url,
    );
    return await runRelay(args.slice(1));
  }
  let parsed;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`interpreter: ${e.message}`);
      return ExitCode.Usage;
    }
    throw e;
  }
  if (parsed.flags.help) {
    console.log(helpText());
    return ExitCode.Ok;
  }
  if (parsed.flags.version) {
    console.log(`interpreter ${VERSION}`);
    return ExitCode.Ok;
  }
  const { runCli } = await lazyImport<typeof import("./lib/terminal/cli.ts")>(
    "./lib/terminal/cli.ts",
    import.meta.url,
  );
  return await runCli(parsed, { version: VERSION });
}

/**
 * The one line for a failure to load the program's own modules (the first run downloads its
 * npm packages into Deno's cache), or undefined for any other error (a bug: its stack is kept).
 */
export function moduleLoadProblem(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (
    !/^(Failed caching npm package|Failed to load|Import '[^']*' failed|Module not found)/.test(
      message,
    )
  ) {
    return undefined;
  }
  return `interpreter: could not load its modules: ${
    message.split("\n")[0]
  }. The first run downloads its npm packages into Deno's cache: check the network, or the registry named by NPM_CONFIG_REGISTRY.`;
}

if (import.meta.main) {
  let status: number;
  try {
    status = await main(Deno.args);
  } catch (error) {
    const line = moduleLoadProblem(error);
    if (!line) throw error;
    console.error(line);
    status = ExitCode.NotLoaded;
  }
  Deno.exit(status);
}
