/**
 * How the person started the program, so hints name a command they can type:
 * `interpreter --local` for the installed binary, `deno task start -- --local`
 * under `deno task`, `deno run -A main.ts --local` for a plain `deno run`.
 * Pure and import-free (main.ts uses it before anything else loads).
 *
 * @module
 */

/** What {@link commandName} reads (the process's facts by default; tests pass their own). */
export interface InvocationFacts {
  /** The running executable (`Deno.execPath()`). */
  execPath: string;
  /** The main module's URL (`Deno.mainModule`). */
  mainModule: string;
  /** An environment variable (`Deno.env.get`). */
  env(name: string): string | undefined;
}

function processFacts(): InvocationFacts {
  return {
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no env permission
      }
    },
  };
}

/**
 * The command as invoked, ready to put flags after: `interpreter`,
 * `deno task start --` or `deno run -A main.ts`.
 */
export function commandName(facts: InvocationFacts = processFacts()): string {
  const exe = facts.execPath.split(/[\\/]/).pop() ?? "";
  const isDeno = /^deno(\.exe)?$/.test(exe);
  if (!isDeno) return exe.replace(/\.exe$/, "") || "interpreter"; // the compiled binary
  // `deno task` (also through `npx deno task`) sets INIT_CWD and an npm-style user agent.
  if (facts.env("INIT_CWD") && (facts.env("npm_config_user_agent") ?? "").startsWith("deno/")) {
    return "deno task start --";
  }
  const main = facts.mainModule.startsWith("file:")
    ? decodeURIComponent(new URL(facts.mainModule).pathname).split("/").pop()
    : facts.mainModule;
  return `deno run -A ${main || "main.ts"}`;
}
