/**
 * The settings the program starts with: the profile (default.yaml, or the one
 * named by --profile; the bundled copy when the config folder is unusable),
 * the shortcut profiles (--fast, --vision, --local, --os) and the flags over
 * them, and the permissions for generated code they give.
 *
 * @module
 */

import type { InterpreterOptions } from "../core/settings.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import {
  BUNDLED_PROFILES,
  ensureDefaultProfile,
  loadProfile,
  mergeProfiles,
  parseProfile,
  type Profile,
  ProfileError,
  profileFromFlags,
  profilesDir,
  ProfileUnreadableError,
  readBundledProfile,
} from "../profiles/mod.ts";
import { NoHomeError } from "../storage/path.ts";
import type { ParsedArgs } from "./flags.ts";

/** A bad setting found after flag parsing (exit 2, one line). */
export class UsageProblem extends Error {}

/** The shortcut profiles merged over the chosen one by their flags (--fast, --vision, --local). */
const SHORTCUT_PROFILES = ["fast", "vision", "local", "os"] as const;

/**
 * Loads the profile (default: default.yaml), shortcut profiles, then flags on
 * top. A config folder that cannot be used (a file, a symlink loop, not
 * readable) or an unreadable default.yaml is one warning line and the bundled
 * defaults; a profile named with --profile that cannot be read is a usage error.
 */
export async function settingsFrom(
  flags: ParsedArgs["flags"],
  warn: (text: string) => void = (text) => console.error(`interpreter: warning: ${text}`),
): Promise<{ profile: Profile; source: string }> {
  const explicit = typeof flags.profile === "string";
  const name = explicit ? String(flags.profile) : "default";
  let problem: string | undefined;
  try {
    await ensureDefaultProfile();
  } catch (e) {
    if (e instanceof NoHomeError) throw e;
    problem = `the config folder ${profilesDir()} cannot be used (${firstLine(e)})`;
  }
  const load = async (profileName: string, required: boolean): Promise<Profile> => {
    try {
      return await loadProfile(profileName);
    } catch (e) {
      const unreadable = e instanceof ProfileUnreadableError || !(e instanceof ProfileError);
      if (required || !unreadable || !BUNDLED_PROFILES.includes(profileName)) throw e;
      problem ??= firstLine(e);
      return await parseProfile(
        await readBundledProfile(profileName),
        `(bundled) ${profileName}.yaml`,
      );
    }
  };
  let profile = await load(name, explicit);
  for (const shortcut of SHORTCUT_PROFILES) {
    if (flags[shortcut]) profile = mergeProfiles(profile, await load(shortcut, false));
  }
  if (problem) warn(`${problem}; running on the default settings`);
  profile = mergeProfiles(profile, profileFromFlags(flags));
  return { profile, source: name };
}

/** The first line of an error's message. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** The permissions for generated code: the profile's `permissions:`, then the flags over them. */
export async function resolvePermissions(
  flags: ParsedArgs["flags"],
  profile: Profile,
  source: string,
): Promise<Permissions | undefined> {
  // The permission modules alone, not the sandbox barrel (its runtime is not needed yet).
  const [{ permissionsFromProfile }, { permissionsFromFlags }] = await Promise.all([
    import("../sandbox/profile.ts"),
    import("../sandbox/flags.ts"),
  ]);
  try {
    const base = permissionsFromProfile(profile.permissions, {
      where: `profile ${source}: permissions`,
    });
    const permissionFlags: Record<string, boolean | string[] | undefined> = {};
    for (const [key, value] of Object.entries(flags)) {
      if (/^(allow|deny)_/.test(key)) permissionFlags[key] = value as boolean | string[];
    }
    // --os = --allow-display + the os profile (--deny-display still wins).
    if (flags.os === true) permissionFlags.allow_display = true;
    return permissionsFromFlags(permissionFlags, { base });
  } catch (e) {
    throw new UsageProblem(e instanceof Error ? e.message : String(e));
  }
}

/** Says where a given key came from, so a rejected key's message can name it (never the key). */
export function nameKeySource(options: InterpreterOptions, flags: ParsedArgs["flags"]): void {
  if (!options.llm?.apiKey) return;
  // The profile, then --fast / --vision / --local merged over it (see settingsFrom).
  const profiles = [typeof flags.profile === "string" ? flags.profile : "default"];
  for (const shortcut of SHORTCUT_PROFILES) if (flags[shortcut]) profiles.push(shortcut);
  options.llm.apiKeySource = typeof flags.api_key === "string"
    ? "--api-key"
    : `llm.api_key in profile ${profiles.join(" or ")}`;
}
