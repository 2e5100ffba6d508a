/**
 * Files the interpreter read a secret from (a profile given with
 * `--profile PATH` holding `llm.api_key`): every sandbox hides them. Kept free
 * of heavy imports: profiles register here while the program starts.
 *
 * @module
 */

import { realPathOr } from "./paths.ts";

const secretFiles = new Set<string>();

/**
 * Registers a file the interpreter read a secret from: from then on every
 * sandbox hides it (an unreadable mount over it, as the path is and as it resolves).
 */
export function registerSecretFile(path: string): void {
  secretFiles.add(path);
  secretFiles.add(realPathOr(path));
}

/** The files registered with {@linkcode registerSecretFile}. */
export function secretFileList(): string[] {
  return [...secretFiles];
}

const settingsFiles = new Set<string>();

/**
 * Registers a file the interpreter read its settings from (a profile given by
 * path, which may sit in the workspace): from then on every sandbox keeps it
 * read-only, so code cannot change what the next start trusts (`auto_run`,
 * permissions, the model's address).
 */
export function registerSettingsFile(path: string): void {
  settingsFiles.add(path);
  settingsFiles.add(realPathOr(path));
}

/** The files registered with {@linkcode registerSettingsFile}. */
export function settingsFileList(): string[] {
  return [...settingsFiles];
}
