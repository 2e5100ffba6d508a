/**
 * The settings a client may read and change over HTTP, and their checks.
 * Names are accepted in the engine's camelCase (`autoRun`, `llm.model`) and
 * in Open Interpreter's snake_case (`auto_run`, `llm.context_window`).
 * The API key is never readable nor settable, and neither is anything that
 * would send it elsewhere (`llm.apiBase` is read-only) or widen what code may
 * touch (permissions). `autoRun` can only be switched on when the server was
 * started with `allowRemoteAutoRun`.
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import { resolveModel } from "../llm/providers.ts";
import type { InterpreterLike } from "./types.ts";
import { numberProblem, type Setting, SETTINGS as REGISTRY } from "../settings/registry.ts";

/** A setting the server exposes: its registry declaration (lib/settings), or the conversation. */
interface SettingSpec {
  /** The registry's declaration (absent for `messages`). */
  setting?: Setting;
  /** Whether `null` is accepted (e.g. no budget). */
  nullable?: boolean;
  /** Readable but not settable remotely. */
  readOnly?: boolean;
}

/** The settings exposed by the server, by canonical (camelCase, dotted) name. */
const SETTINGS: Record<string, SettingSpec> = {
  messages: {},
  ...Object.fromEntries(
    REGISTRY.flatMap((setting) =>
      setting.server && setting.option
        ? [[setting.option, {
          setting,
          nullable: setting.server.nullable,
          readOnly: setting.server.readOnly,
        }]]
        : []
    ),
  ),
};

/** The name replies use for each setting: Open Interpreter's snake_case key (`llm.context_window`). */
const REPLY_NAME: Record<string, string> = Object.fromEntries(
  REGISTRY.flatMap((s) => s.server && s.option && s.key ? [[s.option, s.key]] : []),
);

/** Other names of settings (`model` for `llm.model`, `max_budget` for `maxBudget`). */
const ALIASES: Record<string, string> = Object.fromEntries(
  REGISTRY.flatMap((s) =>
    s.server && s.option
      ? [...(s.server.aliases ?? []), ...(s.key ? [s.key] : [])].map((a) => [a, s.option!])
      : []
  ),
);

const SECRET = new Set(["llm.apiKey", "apiKey"]);

function camel(part: string): string {
  return part.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The canonical name of a setting (`llm.context_window` → `llm.contextWindow`). */
function canonicalName(name: string): string {
  const dotted = name.replaceAll("/", ".");
  return ALIASES[dotted] ?? dotted.split(".").map(camel).join(".");
}

function getPath(target: unknown, path: string): { found: boolean; value: unknown } {
  let current: unknown = target;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object" || !(part in current)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<string, unknown>)[part];
  }
  return { found: true, value: current };
}

function setPath(target: unknown, path: string, value: unknown): void {
  const parts = path.split(".");
  let current = target as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) current = current[part] as Record<string, unknown>;
  current[parts[parts.length - 1]] = value;
}

function refuseSecret(name: string): never {
  throw new HttpError(
    403,
    `"${name}" is a secret: the server never reads or sets it; set it where the server starts.`,
    { code: "secret_setting" },
  );
}

function unknownSetting(name: string): never {
  throw new HttpError(
    404,
    `Unknown setting "${name}": known settings are ${Object.keys(SETTINGS).join(", ")}.`,
    { code: "unknown_setting" },
  );
}

/**
 * Refuses a model that would send the server's API key to another provider or
 * address: `ollama/x` moves an `--api-key` to http://localhost:11434, a port
 * any local process (generated code included, when the network is on) can
 * listen on. A key from the environment is chosen per provider, and a fixed
 * `apiBase` keeps the address, so both may change models freely.
 */
function refuseKeyMove(interpreter: InterpreterLike, given: string, model: string): void {
  const llm = getPath(interpreter, "llm").value as
    | { model?: string; apiBase?: string; apiKey?: string }
    | undefined;
  if (!llm?.apiKey || llm.apiBase) return;
  const before = resolveModel(llm.model ?? "");
  const after = resolveModel(model);
  if (before.provider.name === after.provider.name && before.apiBase === after.apiBase) return;
  throw new HttpError(
    403,
    `"${given}" cannot switch to ${after.provider.name} remotely: the server's API key would be ` +
      `sent to ${after.apiBase || after.provider.name}. Choose the model where the server starts.`,
    { code: "read_only_setting" },
  );
}

/** Every exposed setting of the interpreter with its current value, by snake_case name. */
export function readAllSettings(interpreter: InterpreterLike): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS)) {
    const { found, value } = getPath(interpreter, name);
    if (found) out[REPLY_NAME[name] ?? name] = value;
  }
  return out;
}

/**
 * Reads one setting by name (`GET /settings/{name}`). `llm` returns the llm
 * settings as an object. 404 for unknown names, 403 for the API key.
 */
export function readSetting(interpreter: InterpreterLike, name: string): unknown {
  const canonical = canonicalName(name);
  if (SECRET.has(canonical)) refuseSecret(name);
  if (canonical === "llm") {
    const llm: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(readAllSettings(interpreter))) {
      if (key.startsWith("llm.")) llm[key.slice(4)] = value;
    }
    return llm;
  }
  if (!(canonical in SETTINGS)) unknownSetting(name);
  const { found, value } = getPath(interpreter, canonical);
  if (!found) unknownSetting(name);
  return value;
}

function flatten(body: Record<string, unknown>): [string, string, unknown][] {
  const entries: [string, string, unknown][] = [];
  for (const [key, value] of Object.entries(body)) {
    const canonical = canonicalName(key);
    if (
      canonical === "llm" && value !== null && typeof value === "object" && !Array.isArray(value)
    ) {
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
        entries.push([`${key}.${sub}`, canonicalName(`llm.${sub}`), subValue]);
      }
    } else {
      entries.push([key, canonical, value]);
    }
  }
  return entries;
}

function isMessage(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  return typeof message.role === "string" && typeof message.type === "string";
}

function checkValue(name: string, spec: SettingSpec, value: unknown): void {
  if (value === null && spec.nullable) return;
  const setting = spec.setting;
  let expected: string | undefined;
  if (!setting) {
    if (!Array.isArray(value) || !value.every(isMessage)) {
      expected = "a list of LMC messages, each with a role and a type";
    }
  } else if (setting.choices) {
    if (typeof value !== "string" || !setting.choices.includes(value)) {
      expected = setting.choices.map((c) => `"${c}"`).join(", ").replace(/, ([^,]*)$/, " or $1");
    }
  } else if (setting.type === "number" || setting.type === "int") {
    expected = typeof value === "number"
      ? numberProblem(setting, value)
      : numberProblem(setting, NaN);
  } else if (setting.type === "bool") {
    if (typeof value !== "boolean") expected = "true or false";
  } else if (setting.type === "string_list") {
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      expected = "a list of strings";
    }
  } else if (typeof value !== "string") expected = "a string";
  if (expected !== undefined) {
    throw new HttpError(
      400,
      `Setting "${name}" must be ${expected}${spec.nullable ? " (or null)" : ""}.`,
      { code: "invalid_setting" },
    );
  }
}

/**
 * Applies `POST /settings` to an interpreter: all the changes or none.
 * Resolves to the new values by the names the client used.
 */
export function applySettings(
  interpreter: InterpreterLike,
  body: Record<string, unknown>,
  options: { allowRemoteAutoRun: boolean },
): Record<string, unknown> {
  const entries = flatten(body);
  if (entries.length === 0) {
    throw new HttpError(400, 'Send at least one setting, e.g. {"llm.model": "gpt-4o"}.', {
      code: "no_settings",
    });
  }
  for (const [given, canonical, value] of entries) {
    if (SECRET.has(canonical)) refuseSecret(given);
    const spec = SETTINGS[canonical];
    if (!spec || !getPath(interpreter, canonical).found) unknownSetting(given);
    if (spec.readOnly) {
      throw new HttpError(
        403,
        `"${given}" can only be set where the server starts (it decides where the API key is sent).`,
        { code: "read_only_setting" },
      );
    }
    checkValue(given, spec, value);
    if (canonical === "llm.model") refuseKeyMove(interpreter, given, value as string);
    if (canonical === "autoRun" && value === true && !options.allowRemoteAutoRun) {
      throw new HttpError(
        403,
        "auto_run cannot be switched on remotely: start the server with --allow_remote_auto_run or INTERPRETER_ALLOW_REMOTE_AUTO_RUN=true (or the allowRemoteAutoRun option) to permit it.",
        { code: "auto_run_forbidden" },
      );
    }
  }
  const changed: Record<string, unknown> = {};
  for (const [given, canonical, value] of entries) {
    setPath(interpreter, canonical, value);
    changed[given] = getPath(interpreter, canonical).value; // by the name the client used
  }
  return changed;
}
