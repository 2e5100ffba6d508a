/**
 * The keys a profile may set, with their types, and the validator. Keys follow
 * Open Interpreter's profiles so existing YAML profiles keep
 * working; `permissions:`, `max_turns` and `timeout` are additions.
 *
 * @module
 */

import { mcpServersProblem } from "../mcp/config.ts";

/** The type of one profile value. */
export type ValueType =
  | "string"
  | "bool"
  | "number"
  | "int"
  | "string_list"
  | "grant"
  | "string_or_bool"
  | "string_or_number"
  | "any"
  | { choices: string[] }
  | Schema;

/** A table of keys and their types. */
export interface Schema {
  [key: string]: ValueType;
}

/** Everything a profile may contain. */
export const PROFILE_SCHEMA: Schema = {
  version: "string_or_number",
  llm: {
    model: "string",
    api_base: "string",
    api_key: "string",
    api_version: "string",
    api_protocol: { choices: ["auto", "chat", "responses"] },
    first_byte_timeout: "number",
    stall_timeout: "number",
    vertex_project: "string",
    vertex_location: "string",
    temperature: "number",
    context_window: "int",
    max_tokens: "int",
    max_budget: "number",
    supports_vision: "bool",
    supports_functions: "bool",
    execution_instructions: "string_or_bool",
    max_output: "int",
  },
  auto_run: "bool",
  custom_instructions: "string",
  system_message: "string",
  safe_mode: { choices: ["off", "ask", "auto"] },
  offline: "bool",
  verbose: "bool",
  debug: "bool",
  loop: "bool",
  loop_message: "string",
  loop_breakers: "string_list",
  max_output: "int",
  max_turns: "int",
  timeout: "number",
  disable_telemetry: "bool",
  highlight_active_line: "bool",
  plain_text_display: "bool",
  multi_line: "bool",
  speak_messages: "bool",
  contribute_conversation: "bool",
  conversation_history: "bool",
  shrink_images: "bool",
  user_message_template: "string",
  always_apply_user_message_template: "bool",
  code_output_template: "string",
  empty_code_output_template: "string",
  code_output_sender: { choices: ["user", "assistant"] },
  computer: {
    import_computer_api: "bool",
    languages: "string_list",
    timeout: "number",
    input_idle_timeout: "number",
    max_output: "int",
    offline: "bool",
    verbose: "bool",
    emit_images: "bool",
  },
  permissions: {
    allow_all: "bool",
    allow_read: "grant",
    allow_write: "grant",
    allow_net: "grant",
    allow_env: "grant",
    allow_run: "grant",
    secret_paths: "string_list",
    read: "grant",
    write: "grant",
    net: "grant",
    env: "grant",
    run: "grant",
    deny_read: "string_list",
    deny_write: "string_list",
    deny_net: "string_list",
    deny_env: "string_list",
    deny_run: "string_list",
  },
  // Beyond one machine (lib/container, lib/store): flags --computer, --container-engine...
  deployment: {
    computer: { choices: ["local", "podman", "docker", "kubernetes"] },
    kubeconfig: "string",
    container_engine: "string",
    container_image: "string",
    store: "string",
    instance_id: "string",
    lease_seconds: "number",
  },
  // MCP servers the model may use: checked by mcpServersProblem (lib/mcp/config.ts).
  mcp_servers: "any",
  // Used by Open Interpreter's `wtf` command; kept so shared profiles load.
  wtf: "any",
};

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
    if (typeof type === "object" && !("choices" in type && Array.isArray(type.choices))) {
      walk(value as Record<string, unknown>, type as Schema, file, path + ".");
    }
  }
}
