/**
 * The first run with an empty Deno cache (issue 11, item 12), offline and
 * deterministic: the real CLI starts in tmux with an empty DENO_DIR against a
 * local npm registry that answers every tarball slowly
 * (tests/helpers/npm_registry.ts), so Deno's download progress is on screen
 * for seconds while the program loads. The start-up notes and the `> ` prompt
 * must be intact afterwards, and none of Deno's progress text may land after
 * the program's first line. The control runs a program that draws the same
 * lines and then loads an npm module by a computed specifier (what
 * lib/terminal/lazy_import.ts forbids for the chat's modules): the same checks
 * must see its progress display land over the prompt.
 */
import { assert, assertStringIncludes } from "./helpers/assert.ts";
import { hostDenoDir, type NpmRegistry, startNpmRegistry } from "./helpers/npm_registry.ts";
import { hasTmux, TmuxSession, withTempDir } from "./helpers/terminal_tmux.ts";

const ignore = !hasTmux();
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const REPO = new URL("..", import.meta.url).pathname;
/** Each tarball answer waits this long (with the lockfile Deno fetches them all at once). */
const TARBALL_DELAY_MS = 1000;
/** Bound on reaching the prompt with the slow registry (about 6 s here). */
const PROMPT_TIMEOUT_MS = 45_000;

/** What a cold start showed: the screen at the prompt, a moment later, and the raw bytes. */
interface ColdRun {
  screens: string[];
  raw: string;
}

/** Makes sure the host cache holds every package of the lockfile (a no-op when it is warm). */
async function warmHostCache(): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--frozen", "--quiet"],
    cwd: REPO,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert(out.success, `deno install failed: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * Runs `argv` in tmux with an empty DENO_DIR pointed at `registry` until the `> ` prompt
 * shows (or, with `doneFile`, until the program creates that file), bounded by
 * PROMPT_TIMEOUT_MS: a prompt that never shows is reported by {@link damage}, not thrown.
 */
async function coldRun(
  registry: NpmRegistry,
  argv: string[],
  options: { home: string; doneFile?: string },
): Promise<ColdRun> {
  const { home, doneFile } = options;
  const raw = `${home}/pane.raw`;
  await Deno.writeTextFile(raw, "");
  const term = await TmuxSession.start({
    command: argv,
    env: {
      INTERPRETER_HOME: home,
      TERM: "xterm-256color",
      NO_COLOR: "1",
      DENO_DIR: `${home}/deno-dir`, // empty: Deno downloads every npm package first
      NPM_CONFIG_REGISTRY: registry.url,
    },
    cwd: home,
    width: 100,
    height: 30,
  });
  try {
    await term.command("pipe-pane", "-o", "-t", "main", `cat >> '${raw}'`);
    const deadline = Date.now() + PROMPT_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (doneFile ? await exists(doneFile) : /^>\s*$/m.test(await term.capture())) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const screen = await term.capture();
    // A moment for any late progress display to do its damage.
    await new Promise((r) => setTimeout(r, 1500));
    return { screens: [screen, await term.capture()], raw: await Deno.readTextFile(raw) };
  } finally {
    await term.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The problems a cold start's screens and bytes show (none: the prompt was drawn intact). */
function damage(run: ColdRun, model: string): string[] {
  const found: string[] = [];
  for (const shown of run.screens) {
    if (!shown.includes(`Model set to ${model}`)) found.push(`model line missing:\n${shown}`);
    if (!shown.includes("Code runs only after you approve it")) {
      found.push(`approval note missing:\n${shown}`);
    }
    if (!/^>\s*$/m.test(shown)) found.push(`prompt missing:\n${shown}`);
  }
  const first = run.raw.indexOf("Model set to");
  const ours = first < 0 ? run.raw : run.raw.slice(first);
  if (/Download|Initialize/.test(ours)) found.push(`progress after the first line: ${ours}`);
  return found;
}

Deno.test({
  name: "cold cache: Deno's download progress never lands over the hints or the prompt",
  ignore,
  fn: async () => {
    await warmHostCache();
    const registry = await startNpmRegistry({
      denoDir: await hostDenoDir(),
      tarballDelayMs: TARBALL_DELAY_MS,
    });
    try {
      await withTempDir("cold-cache-", async (home) => {
        // As a person runs it (with the lockfile), the hashes those of the repacked tarballs.
        const lock = `${home}/deno.lock`;
        await Deno.writeTextFile(
          lock,
          await registry.rewriteLockfile(await Deno.readTextFile(`${REPO}deno.lock`)),
        );
        const run = await coldRun(registry, [
          Deno.execPath(),
          "run",
          "-A",
          `--lock=${lock}`,
          MAIN,
          "--api_base",
          "http://127.0.0.1:9/v1",
          "--model",
          "cold-model",
        ], { home });
        // The cold path was taken: packages came from the slow registry, with progress shown.
        assert(registry.requests.some((p) => p.startsWith("/openai/-/")), "openai fetched");
        const before = run.raw.slice(0, run.raw.indexOf("Model set to"));
        assertStringIncludes(before, "Download");
        assert(damage(run, "cold-model").length === 0, damage(run, "cold-model").join("\n"));
      });
    } finally {
      await registry.close();
    }
  },
});

Deno.test({
  name: "cold cache (control): a module loaded after the prompt shows progress over it",
  ignore,
  fn: async () => {
    const registry = await startNpmRegistry({ tarballDelayMs: TARBALL_DELAY_MS });
    try {
      await withTempDir("cold-cache-control-", async (home) => {
        const script = `${home}/late_load.ts`;
        await Deno.writeTextFile(
          script,
          [
            `console.log("Model set to control-model");`,
            `console.log("Code runs only after you approve it (-y to skip asking).");`,
            `await Deno.stdout.write(new TextEncoder().encode("> "));`,
            // Computed: Deno does not fetch it before the program starts.
            `const name = ["npm:acorn", "8.15.0"].join("@");`,
            `await import(name);`,
            `Deno.writeTextFileSync("loaded", "");`,
            `await new Promise((r) => setTimeout(r, 10_000));`,
          ].join("\n"),
        );
        const run = await coldRun(
          registry,
          [Deno.execPath(), "run", "-A", "--no-lock", script],
          { home, doneFile: `${home}/loaded` },
        );
        assert(registry.requests.includes("/acorn/-/acorn-8.15.0.tgz"), "acorn fetched late");
        const found = damage(run, "control-model");
        assert(found.some((f) => f.startsWith("progress after")), found.join("\n"));
      });
    } finally {
      await registry.close();
    }
  },
});
