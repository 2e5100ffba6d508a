/**
 * The system folders every program needs.
 *
 * @module
 */

/** Directories every program needs to start, kept readable under `--allow-read=<list>`. */
export const SYSTEM_READ_PATHS: readonly string[] = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/opt",
  "/nix",
  "/run/current-system",
];
