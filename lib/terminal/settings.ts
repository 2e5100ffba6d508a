/**
 * Turns the merged profile (snake_case keys, as in the YAML files and flags)
 * into the engine's constructor options (camelCase).
 *
 * @module
 */

import type { InterpreterOptions } from "../core/settings.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import { getSetting, type Profile } from "../profiles/mod.ts";
import { type Setting, SETTINGS } from "../settings/registry.ts";
import type { LlmSettings } from "../core/settings.ts";
import { resolveModel, vertexApiBase } from "../llm/providers.ts";

type TypeName = "string" | "number" | "boolean";

function pick<T>(v: unknown, type: TypeName): T | undefined {
  const actual: string = typeof v;
  return actual === type ? (v as T) : undefined;
}

/** A profile value of the setting's type (profiles are validated on load; this is the guard). */
function valueOf(setting: Setting, value: unknown): unknown {
  switch (setting.type) {
    case "string":
      return typeof value === "string" && (!setting.choices || setting.choices.includes(value))
        ? value
        : undefined;
    case "number":
    case "int":
      return pick<number>(value, "number");
    case "bool":
      return pick<boolean>(value, "boolean");
    case "string_list":
      return Array.isArray(value) ? value : undefined;
    default:
      return value && typeof value === "object" ? value : undefined;
  }
}

function setPath(target: object, path: string, value: unknown): void {
  const parts = path.split(".");
  let table = target as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    table = (table[part] ??= {}) as Record<string, unknown>;
  }
  table[parts.at(-1)!] = value;
}

/**
 * The engine options a profile describes (permissions are resolved by the caller): each
 * registry setting with a profile key and an engine option, plus the few that combine keys.
 */
export function interpreterOptionsFromProfile(
  profile: Profile,
  permissions?: Permissions,
): InterpreterOptions {
  const engine: InterpreterOptions & { llm: Partial<LlmSettings> } = { llm: {} };
  for (const setting of SETTINGS) {
    if (!setting.key || !setting.option) continue;
    const value = valueOf(setting, getSetting(profile, setting.key));
    if (value !== undefined) setPath(engine, setting.option, value);
  }
  const llm = (profile.llm ?? {}) as Record<string, unknown>;
  const computer = (profile.computer ?? {}) as Record<string, unknown>;
  engine.llm.apiBase ??= vertexBase(llm);
  const timeouts = llmTimeouts(llm);
  if (timeouts) engine.llm.timeouts = timeouts;
  // Open Interpreter also accepts these under computer: / llm:.
  engine.maxOutput ??= pick<number>(computer.max_output, "number") ??
    pick<number>(llm.max_output, "number");
  engine.timeout ??= pick<number>(computer.timeout, "number");
  // `--debug` (Open Interpreter's developer flag) means detailed logs here.
  if (profile.debug === true) engine.verbose = true;
  if (permissions) engine.permissions = permissions;
  dropUndefined(engine.llm);
  return dropUndefined(engine);
}

/** `llm.first_byte_timeout` / `llm.stall_timeout` (seconds) as the client's bounds (ms). */
function llmTimeouts(llm: Record<string, unknown>): LlmSettings["timeouts"] | undefined {
  const firstByte = pick<number>(llm.first_byte_timeout, "number");
  const stall = pick<number>(llm.stall_timeout, "number");
  if (firstByte === undefined && stall === undefined) return undefined;
  return dropUndefined({
    firstByte: firstByte === undefined ? undefined : firstByte * 1000,
    idle: stall === undefined ? undefined : stall * 1000,
  });
}

/** The Vertex AI address from `llm.vertex_project` / `vertex_location`, for `vertex_ai/` models. */
function vertexBase(llm: Record<string, unknown>): string | undefined {
  const project = pick<string>(llm.vertex_project, "string");
  const model = pick<string>(llm.model, "string");
  if (!project || !model || resolveModel(model).provider.protocol !== "vertex") return undefined;
  return vertexApiBase(project, pick<string>(llm.vertex_location, "string"));
}

function dropUndefined<T extends object>(o: T): T {
  const table = o as Record<string, unknown>;
  for (const key of Object.keys(table)) if (table[key] === undefined) delete table[key];
  return o;
}
