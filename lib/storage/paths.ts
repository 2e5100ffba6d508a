/**
 * Where the program keeps its files, following the XDG base directory rules
 * on Linux and the platform conventions elsewhere. `INTERPRETER_HOME` moves
 * everything under one folder (tests use it to stay out of the real home).
 *
 * @module
 */

// Not node:path / node:os: they load Node compatibility before the first prompt (see path.ts).
import { homeDir, join } from "./path.ts";

const APP = "interpreter";

/** The folder for settings and profiles (e.g. `~/.config/interpreter`). */
export function configDir(): string {
  const root = Deno.env.get("INTERPRETER_HOME");
  if (root) return join(root, "config");
  if (Deno.build.os === "darwin") return join(homeDir(), "Library", "Application Support", APP);
  if (Deno.build.os === "windows") {
    return join(Deno.env.get("APPDATA") ?? join(homeDir(), "AppData", "Roaming"), APP);
  }
  return join(Deno.env.get("XDG_CONFIG_HOME") || join(homeDir(), ".config"), APP);
}

/** The folder for data the program produces: conversations, full outputs, history. */
export function dataDir(): string {
  const root = Deno.env.get("INTERPRETER_HOME");
  if (root) return join(root, "data");
  if (Deno.build.os === "darwin") return join(homeDir(), "Library", "Application Support", APP);
  if (Deno.build.os === "windows") {
    return join(Deno.env.get("LOCALAPPDATA") ?? join(homeDir(), "AppData", "Local"), APP);
  }
  return join(Deno.env.get("XDG_DATA_HOME") || join(homeDir(), ".local", "share"), APP);
}
