/**
 * Turns the merged profile (snake_case keys, as in the YAML files and flags)
 * into the engine's constructor options (camelCase).
 *
 * @module
 */

import type { InterpreterOptions } from "../core/settings.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { Profile } from "../profiles/mod.ts";
import type { LlmSettings } from "../core/settings.ts";
import { resolveModel, vertexApiBase } from "../llm/providers.ts";

type TypeName = "string" | "number" | "boolean";

function pick<T>(v: unknown, type: TypeName): T | undefined {
  const actual: string = typeof v;
  return actual === type ? (v as T) : undefined;
}

/** The engine options a profile describes (permissions are resolved by the caller). */
export function interpreterOptionsFromProfile(
  profile: Profile,
  permissions?: Permissions,
): InterpreterOptions {
  const llm = (profile.llm ?? {}) as Record<string, unknown>;
  const computer = (profile.computer ?? {}) as Record<string, unknown>;
  const options: InterpreterOptions = {
    llm: dropUndefined({
      model: pick<string>(llm.model, "string"),
      apiBase: pick<string>(llm.api_base, "string") ?? vertexBase(llm),
      apiKey: pick<string>(llm.api_key, "string"),
      apiVersion: pick<string>(llm.api_version, "string"),
      apiProtocol: pick<"auto" | "chat" | "responses">(llm.api_protocol, "string"),
      timeouts: llmTimeouts(llm),
      temperature: pick<number>(llm.temperature, "number"),
      contextWindow: pick<number>(llm.context_window, "number"),
      maxTokens: pick<number>(llm.max_tokens, "number"),
      supportsFunctions: pick<boolean>(llm.supports_functions, "boolean"),
      supportsVision: pick<boolean>(llm.supports_vision, "boolean"),
    }),
    systemMessage: pick<string>(profile.system_message, "string"),
    customInstructions: pick<string>(profile.custom_instructions, "string"),
    autoRun: pick<boolean>(profile.auto_run, "boolean"),
    maxOutput: pick<number>(profile.max_output, "number") ??
      pick<number>(computer.max_output, "number") ?? pick<number>(llm.max_output, "number"),
    safeMode: pick<"off" | "ask" | "auto">(profile.safe_mode, "string"),
    maxBudget: pick<number>(llm.max_budget, "number"),
    maxTurns: pick<number>(profile.max_turns, "number"),
    loop: pick<boolean>(profile.loop, "boolean"),
    loopMessage: pick<string>(profile.loop_message, "string"),
    loopBreakers: Array.isArray(profile.loop_breakers)
      ? profile.loop_breakers as string[]
      : undefined,
    timeout: pick<number>(profile.timeout, "number") ?? pick<number>(computer.timeout, "number"),
    offline: pick<boolean>(profile.offline, "boolean"),
    // `--debug` (Open Interpreter's developer flag) means detailed logs here.
    verbose: profile.debug === true ? true : pick<boolean>(profile.verbose, "boolean"),
    permissions,
    mcpServers: profile.mcp_servers && typeof profile.mcp_servers === "object"
      ? profile.mcp_servers as InterpreterOptions["mcpServers"]
      : undefined,
  };
  return dropUndefined(options as Record<string, unknown>) as InterpreterOptions;
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

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}
