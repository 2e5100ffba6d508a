/**
 * Helper programs the host itself starts (bubblewrap, setpriv, setsid, sh),
 * found in the system folders only, never through PATH: PATH can hold a
 * folder the sandbox can write (an activated `.venv/bin` in the workspace),
 * and a `bwrap` planted there would run unsandboxed.
 *
 * @module
 */

/** The folders helper programs are taken from, in order (root-owned on every system). */
export const TRUSTED_PROGRAM_DIRS: readonly string[] = [
  "/usr/bin",
  "/bin",
  "/usr/sbin",
  "/sbin",
  "/usr/local/bin",
  "/usr/local/sbin",
  "/run/current-system/sw/bin",
];

const found = new Map<string, string | null>();

/** The absolute path of a system program, looked up once; null when missing. */
export function trustedProgram(name: string): string | null {
  const known = found.get(name);
  if (known !== undefined) return known;
  let path: string | null = null;
  for (const dir of TRUSTED_PROGRAM_DIRS) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) {
        path = `${dir}/${name}`;
        break;
      }
    } catch {
      // not here
    }
  }
  found.set(name, path);
  return path;
}
