/**
 * Profiles: YAML (or JSON) files of settings in `configDir()/profiles`, with
 * Open Interpreter's keys. `default.yaml` is created on first
 * run from the bundled copy. Flags override the profile; the profile overrides
 * the built-in defaults.
 *
 * @module
 */

import { SETTINGS } from "../settings/registry.ts";
import { join } from "../storage/path.ts";
import { configDir } from "../storage/paths.ts";
import { ProfileError, validateProfile } from "./schema.ts";
import { BUNDLED_TEXT } from "./bundled.ts";
import { registerSecretFile, registerSettingsFile } from "../sandbox/secret_files.ts";

export { PROFILE_SCHEMA, ProfileError, validateProfile } from "./schema.ts";

/** A validated profile: snake_case keys as in the YAML file. */
export type Profile = Record<string, unknown>;

/** Names of the profiles shipped with the program (in the repository's profiles/). */
export const BUNDLED_PROFILES: readonly string[] = Object.keys(BUNDLED_TEXT);

/**
 * Where profiles live. Default: the user's profiles folder (tests pass their
 * own, since the environment is shared by tests running in parallel).
 */
export interface ProfileLocation {
  /** The profiles folder (default {@link profilesDir}). */
  dir?: string;
}

/** The folder of the user's profiles. */
export function profilesDir(): string {
  return join(configDir(), "profiles");
}

/** The text of a bundled profile. */
export function readBundledProfile(name: string): Promise<string> {
  const text = BUNDLED_TEXT[name];
  if (text === undefined) return Promise.reject(new ProfileError(`no bundled profile "${name}"`));
  return Promise.resolve(text);
}

/** Creates `default.yaml` in the profiles folder from the bundled copy, if it is missing. */
export async function ensureDefaultProfile(where: ProfileLocation = {}): Promise<string> {
  const dir = where.dir ?? profilesDir();
  const path = join(dir, "default.yaml");
  try {
    Deno.statSync(path); // sync: see findProfile
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(path, await readBundledProfile("default"), { createNew: true })
      .catch((e) => {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      });
  }
  return path;
}

/** Restores a bundled profile in the profiles folder; the old file is kept as `.bak`. */
export async function resetProfile(
  name = "default",
  where: ProfileLocation = {},
): Promise<string> {
  const base = name.replace(/\.ya?ml$/, "");
  if (!BUNDLED_PROFILES.includes(base)) {
    throw new ProfileError(
      `no bundled profile "${name}" to reset; bundled ones are: ${BUNDLED_PROFILES.join(", ")}`,
    );
  }
  const dir = where.dir ?? profilesDir();
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, `${base}.yaml`);
  try {
    await Deno.rename(path, `${path}.bak`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.writeTextFile(path, await readBundledProfile(base));
  return path;
}

/** A profile file exists but cannot be read (permissions, a symlink loop, a folder). */
export class ProfileUnreadableError extends ProfileError {}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

// Start-up looks up and reads small files synchronously: each async file call
// is a round trip through Deno's thread pool, several times the cost of the call.
function exists(path: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw new ProfileUnreadableError(`profile file ${path} cannot be read: ${firstLine(e)}`);
  }
  if (info.isFile) return true;
  throw new ProfileUnreadableError(`profile file ${path} cannot be read: it is not a file`);
}

/**
 * Finds a profile by path or name: an existing path; else a file in the
 * profiles folder (`name`, `name.yaml`, `name.yml`, `name.json`); else a
 * bundled profile. Returns where it was found and its text.
 */
async function findProfile(
  nameOrPath: string,
  where: ProfileLocation = {},
): Promise<{ path: string; text: string }> {
  if (/\.py$/.test(nameOrPath)) await refusePythonProfile(nameOrPath, where);
  const looksLikePath = nameOrPath.includes("/") || nameOrPath.includes("\\");
  if (looksLikePath || (/\.(ya?ml|json)$/.test(nameOrPath) && exists(nameOrPath))) {
    try {
      return { path: nameOrPath, text: await Deno.readTextFile(nameOrPath) };
    } catch (e) {
      throw new ProfileUnreadableError(
        `profile file ${nameOrPath} cannot be read (${firstLine(e)}); check the path`,
      );
    }
  }
  const dir = where.dir ?? profilesDir();
  for (
    const candidate of [nameOrPath, `${nameOrPath}.yaml`, `${nameOrPath}.yml`, `${nameOrPath}.json`]
  ) {
    const path = join(dir, candidate);
    if (exists(path)) {
      try {
        return { path, text: Deno.readTextFileSync(path) };
      } catch (e) {
        throw new ProfileUnreadableError(`profile file ${path} cannot be read: ${firstLine(e)}`);
      }
    }
  }
  const base = nameOrPath.replace(/\.ya?ml$/, "");
  if (BUNDLED_PROFILES.includes(base)) {
    return { path: `(bundled) ${base}.yaml`, text: await readBundledProfile(base) };
  }
  let available: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (/\.(ya?ml|json)$/.test(e.name)) available.push(e.name.replace(/\.(ya?ml|json)$/, ""));
    }
  } catch { /* no folder yet */ }
  available = [...new Set([...available, ...BUNDLED_PROFILES])].sort();
  throw new ProfileError(
    `no profile "${nameOrPath}"; available: ${available.join(", ")} (folder: ${dir})`,
  );
}

/**
 * Open Interpreter's Python profiles cannot run here: the error says so and
 * shows the YAML profile with the same settings (when the file can be read).
 */
async function refusePythonProfile(nameOrPath: string, where: ProfileLocation): Promise<never> {
  const candidates = [nameOrPath, join(where.dir ?? profilesDir(), nameOrPath)];
  let text: string | undefined;
  let found = nameOrPath;
  for (const path of candidates) {
    try {
      text = await Deno.readTextFile(path);
      found = path;
      break;
    } catch { /* try the next place */ }
  }
  const yamlName = found.replace(/\.py$/, ".yaml").split(/[\\/]/).pop();
  if (text === undefined) {
    throw new ProfileError(
      `${nameOrPath}: Python profiles (Open Interpreter's .py) aren't supported; write a YAML profile (see --help)`,
    );
  }
  const { yamlFromPythonProfile } = await import("./python_profile.ts");
  throw new ProfileError(
    `${found} is an Open Interpreter Python profile; Python profiles aren't supported. ` +
      `The same settings as YAML (save as ${yamlName} in ${where.dir ?? profilesDir()}):\n\n` +
      yamlFromPythonProfile(text),
  );
}

/**
 * Parses and validates profile text; `file` names it in error messages.
 * YAML is read with js-yaml (YAML 1.2 core schema), loaded on first use (~4 ms).
 */
export async function parseProfile(text: string, file: string): Promise<Profile> {
  let data: unknown;
  const isJson = file.endsWith(".json");
  // Loading the parser is not parsing: a failure there (an empty, offline Deno cache) must not
  // be reported as a fault of the person's file.
  const yaml = isJson ? undefined : await import("npm:js-yaml@4.1.0");
  try {
    data = yaml ? yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file }) : JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new ProfileError(`${file}: not valid ${isJson ? "JSON" : "YAML"}: ${why}`);
  }
  validateProfile(data, file);
  return (data ?? {}) as Profile;
}

/** Finds, parses and validates a profile by name or path. */
export async function loadProfile(
  nameOrPath: string,
  where: ProfileLocation = {},
): Promise<Profile> {
  const { path, text } = await findProfile(nameOrPath, where);
  const profile = await parseProfile(text, path);
  // A file holding a key is hidden from generated code in every sandbox; any other stays
  // read-only there (it may sit in the workspace, and the next start trusts it).
  if (typeof (profile.llm as Record<string, unknown> | undefined)?.api_key === "string") {
    if (exists(path)) registerSecretFile(path);
  } else if (exists(path)) registerSettingsFile(path);
  return profile;
}

/** Deep-merges `over` onto `base` (mappings merge; other values replace; null/undefined skip). */
export function mergeProfiles(base: Profile, over: Profile): Profile {
  const out: Profile = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined || value === null) continue;
    const prev = out[key];
    if (isMapping(value) && isMapping(prev)) out[key] = mergeProfiles(prev, value);
    else out[key] = value;
  }
  return out;
}

function isMapping(v: unknown): v is Profile {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Where each command-line flag lands in a profile (from the settings registry). */
const FLAG_TO_KEY: readonly { flag: string; key: string; inverts: boolean }[] = SETTINGS.flatMap((
  s,
) =>
  s.flag && s.key && s.flagToProfile !== false
    ? [{ flag: s.flag.name, key: s.key, inverts: s.flag.inverts === true }]
    : []
);

/** The settings given as flags, shaped like a profile (so they can be merged over one). */
export function profileFromFlags(flags: Record<string, unknown>): Profile {
  const out: Profile = {};
  for (const { flag, key, inverts } of FLAG_TO_KEY) {
    let value = flags[flag];
    if (value === undefined) continue;
    if (inverts) {
      if (value !== true) continue; // `--no_highlight_active_line` only ever turns it off
      value = false;
    }
    const [head, tail] = key.split(".");
    if (tail) {
      const inner = (out[head] ?? {}) as Profile;
      inner[tail] = value;
      out[head] = inner;
    } else out[head] = value;
  }
  return out;
}

/** Reads `a.b` from a profile. */
export function getSetting(profile: Profile, key: string): unknown {
  let cur: unknown = profile;
  for (const part of key.split(".")) {
    if (!isMapping(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}
