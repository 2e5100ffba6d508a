/**
 * The keys a profile may set, with their types, and the validator. Keys follow
 * Open Interpreter's profiles so existing YAML profiles keep
 * working; `permissions:`, `max_turns` and `timeout` are additions.
 *
 * @module
 */

import { mcpServersProblem } from "../mcp/config.ts";
import { numberProblem, settingByKey, SETTINGS, type SettingType } from "../settings/registry.ts";

/** The type of one profile value. */
export type ValueType = SettingType | { choices: string[] } | Schema;

/** A table of keys and their types. */
export interface Schema {
  [key: string]: ValueType;
}

/** Everything a profile may contain: every setting of the registry (lib/settings) that has a key. */
export const PROFILE_SCHEMA: Schema = profileSchema();

function profileSchema(): Schema {
  const schema: Schema = {};
  for (const setting of SETTINGS) {
    if (!setting.key) continue;
    const parts = setting.key.split(".");
    let table = schema;
    for (const part of parts.slice(0, -1)) table = (table[part] ??= {}) as Schema;
    table[parts.at(-1)!] = setting.choices ? { choices: [...setting.choices] } : setting.type;
  }
  return schema;
}

/** A profile that does not match {@link PROFILE_SCHEMA}. */
export class ProfileError extends Error {
  /** Creates a profile error; the message names the file and the key. */
  constructor(message: string) {
    super(message);
    this.name = "ProfileError";
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") {
    return `the text "${value.length > 30 ? value.slice(0, 30) + "…" : value}"`;
  }
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}

function expected(type: ValueType): string {
  if (typeof type === "object") {
    if ("choices" in type && Array.isArray(type.choices)) {
      return `one of ${(type.choices as string[]).map((c) => `"${c}"`).join(", ")}`;
    }
    return "a mapping of settings";
  }
  return {
    string: "text",
    bool: "true or false",
    number: "a number",
    int: "a whole number",
    string_list: "a list of text",
    grant: "true, false or a list of text",
    string_or_bool: "text or true/false",
    string_or_number: "text or a number",
    any: "anything",
  }[type];
}

function matches(value: unknown, type: ValueType): boolean {
  const isStringList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (typeof type === "object") {
    if ("choices" in type && Array.isArray(type.choices)) {
      return typeof value === "string" && (type.choices as string[]).includes(value);
    }
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }
  switch (type) {
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "string_list":
      return isStringList(value);
    case "grant":
      return typeof value === "boolean" || isStringList(value);
    case "string_or_bool":
      return typeof value === "string" || typeof value === "boolean";
    case "string_or_number":
      return typeof value === "string" || typeof value === "number";
    case "any":
      return true;
  }
}

/**
 * Checks `data` against the schema. Throws a {@link ProfileError} naming the
 * file, the key and what was expected, for the first problem found.
 */
export function validateProfile(
  data: unknown,
  file: string,
  schema: Schema = PROFILE_SCHEMA,
): void {
  if (data === null || data === undefined) return; // an empty file is an empty profile
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ProfileError(
      `${file}: a profile must be a mapping of settings (key: value), got ${describe(data)}`,
    );
  }
  walk(data as Record<string, unknown>, schema, file, "");
  if (schema === PROFILE_SCHEMA) {
    const problem = mcpServersProblem((data as Record<string, unknown>).mcp_servers);
    if (problem) throw new ProfileError(`${file}: ${problem}`);
  }
}

function walk(data: Record<string, unknown>, schema: Schema, file: string, prefix: string): void {
  for (const [key, value] of Object.entries(data)) {
    const path = prefix + key;
    const type = schema[key];
    if (type === undefined) {
      const known = Object.keys(schema).map((k) => prefix + k).join(", ");
      throw new ProfileError(`${file}: unknown key "${path}"; expected one of: ${known}`);
    }
    if (value === null) continue; // `key:` with no value means "not set", as in YAML
    if (!matches(value, type)) {
      throw new ProfileError(
        `${file}: "${path}" should be ${expected(type)}, got ${describe(value)}`,
      );
    }
    const setting = typeof value === "number" ? settingByKey(path) : undefined;
    const problem = setting && numberProblem(setting, value as number);
    if (problem) {
      throw new ProfileError(`${file}: "${path}" should be ${problem}, got ${describe(value)}`);
    }
    if (typeof type === "object" && !("choices" in type && Array.isArray(type.choices))) {
      walk(value as Record<string, unknown>, type as Schema, file, path + ".");
    }
  }
}
