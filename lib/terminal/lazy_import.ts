/**
 * Start-up seams. Deno walks the module graph of every literal `import("…")`
 * reachable from main.ts when the program starts, taken or not: the engine,
 * the MCP SDK, the server and the container backends are hundreds of modules,
 * and walking them cost `--version` and the first prompt 15-20 ms each.
 * {@linkcode lazyImport} loads such a module by a computed URL instead, so it
 * is read only when used. Types stay checked: each call site names the same
 * path in `typeof import("…")` (which `deno check` follows and `deno run`
 * skips). `deno compile` cannot see these imports either: the compile task
 * `--include`s each one (tests/terminal_cli_lazy_import.test.ts keeps the call sites,
 * their types and the task in step).
 *
 * Only for modules never first loaded while the chat's prompt is on screen:
 * under `deno run`, loading a module graph later shows and clears Deno's
 * progress line, which erases the prompt (the engine and chat.ts therefore
 * stay literal imports, walked before the prompt is drawn). Used for main.ts's
 * own seams, the server, the MCP server, and the container backends (loaded
 * before the first prompt when a chat uses them).
 *
 * @module
 */

/**
 * Imports `path` (relative to `base`, the caller's `import.meta.url`) without
 * Deno walking it at start-up. Call as
 * `lazyImport<typeof import("./x.ts")>("./x.ts", import.meta.url)`.
 */
export function lazyImport<T>(path: string, base: string): Promise<T> {
  return import(new URL(path, base).href);
}
