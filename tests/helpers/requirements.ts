/**
 * What a test file needs from the machine (python3, tmux, bwrap ...). Locally
 * a missing program skips the tests that need it, with the reason printed; in
 * CI (`CI=true`) it fails the file instead, since `.ci/run` installs
 * everything the suite uses: a skip there would hide a missing install step.
 *
 * @module
 */

/** True when `program args` can be started and exits 0. */
export function hasProgram(program: string, args: string[] = ["--version"]): boolean {
  try {
    return new Deno.Command(program, { args, stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/**
 * "" when every program in `needs` runs here, else why the tests that need
 * them are skipped (printed once). Throws in CI, where nothing may be missing.
 */
export function missingPrograms(label: string, needs: Record<string, string[]>): string {
  const missing = Object.entries(needs).filter(([program, args]) => !hasProgram(program, args))
    .map(([program]) => program);
  if (missing.length === 0) return "";
  const reason = `${label}: ${missing.join(", ")} not installed`;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`${reason}; .ci/run must install it`);
  }
  console.log(`${reason}: skipped`);
  return reason;
}
