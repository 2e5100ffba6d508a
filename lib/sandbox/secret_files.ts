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
