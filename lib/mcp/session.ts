/**
 * A served MCP session made from an engine (`Interpreter` of lib/core): its
 * computer (live sessions, permissions, sandbox), safe mode, run timeout and
 * the API keys to keep out of output, exactly as the chat uses them.
 *
 * @module
 */

import type { ComputerLike } from "../computer/types.ts";
import { PROVIDERS, readEnv } from "../llm/providers.ts";
import { describePermissions } from "../sandbox/describe.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import type { SafeMode } from "../sandbox/safe_mode.ts";
import type { ServeSession } from "./serve_tools.ts";

/** What a served session needs of the engine (structural, so lib/mcp never imports it). */
export interface EngineForMcp {
  /** The computer with the live sessions. */
  readonly computer: ComputerLike;
  /** The permissions code runs under. */
  readonly permissions: Permissions;
  /** Safe mode. */
  safeMode: SafeMode;
  /** Per-run bound in seconds. */
  timeout: number | undefined;
  /** Model settings (only the key is read, to keep it out of output). */
  llm: { apiKey?: string };
}

/** The API keys this process knows (the model's and each provider's). */
export function knownSecrets(apiKey: string | undefined): string[] {
  const values = new Set<string>();
  if (apiKey) values.add(apiKey);
  for (const provider of Object.values(PROVIDERS)) {
    for (const name of provider.keyEnv) {
      const value = readEnv(name);
      if (value) values.add(value);
    }
  }
  const secrets = [...values].filter((v) => v.length >= 8);
  return secrets;
}

/** Wraps an engine as a {@linkcode ServeSession}. */
export function sessionFromEngine(engine: EngineForMcp): ServeSession {
  return {
    get computer() {
      return engine.computer;
    },
    get safeMode() {
      return engine.safeMode;
    },
    set safeMode(value: SafeMode) {
      engine.safeMode = value;
    },
    get timeout() {
      return engine.timeout;
    },
    secrets: () => knownSecrets(engine.llm.apiKey),
    permissionsLine: describePermissions(engine.permissions),
  };
}
