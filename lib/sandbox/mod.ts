/**
 * Permissions, the OS sandbox around live sessions, and safe mode.
 *
 * - Permissions, Deno-style: {@linkcode permissionsFromFlags},
 *   {@linkcode permissionsFromProfile}, {@linkcode defaultPermissions},
 *   {@linkcode describePermissions} (the start-up line).
 * - Enforcement: {@linkcode SandboxSession} wraps each session command in
 *   bubblewrap (Linux) or sandbox-exec (macOS), with a host proxy for
 *   `--allow-net=<hosts>`; {@linkcode denoFlags} for JavaScript/TypeScript;
 *   {@linkcode sandboxEnv} keeps API keys out of generated code's environment.
 * - Reporting: {@linkcode withDenialNotes} tells the model what was denied and
 *   which flag would allow it.
 * - Safe mode: {@linkcode scanCode} and {@linkcode safetyDecision}.
 *
 * @module
 */

export { allowAll, type Grant, isAllowAll, type Permissions } from "./permissions.ts";
export {
  DEFAULT_PROTECTED_PATHS,
  DEFAULT_SECRET_ENV,
  DEFAULT_SECRET_PATHS,
  defaultPermissions,
  type DefaultPermissionsOptions,
} from "./defaults.ts";
export {
  type FlagValue,
  type PermissionFlags,
  permissionsFromFlags,
  type PermissionsFromFlagsOptions,
} from "./flags.ts";
export { permissionsFromProfile, type PermissionsFromProfileOptions } from "./profile.ts";
export { type DescribeOptions, describePermissions } from "./describe.ts";
export { ESSENTIAL_ENV, sandboxEnv, type SandboxEnvOptions } from "./env.ts";
export { denoFlags, type DenoFlagsOptions } from "./deno_flags.ts";
export {
  childPids,
  codeLeader,
  isSandboxWrapper,
  NO_SANDBOX_HELP,
  RELAY_PORT,
  type SandboxKind,
  SandboxSession,
  type SandboxSessionOptions,
  type SandboxSupport,
  sandboxSupport,
  sandboxSupportSync,
  SandboxUnavailableError,
  withDenoTmpDir,
  type WrappedCommand,
} from "./sandbox.ts";
export { bwrapArgs, type BwrapPlan } from "./bwrap.ts";
export { registerSecretFile } from "./secret_files.ts";
export { type SeatbeltPlan, seatbeltProfile } from "./seatbelt.ts";
export { type NetDenial, type Proxy, type ProxyOptions, startProxy } from "./proxy.ts";
export { runRelay } from "./relay.ts";
export { type DenialContext, denialNotes, withDenialNotes } from "./denials.ts";
export {
  type SafeMode,
  type SafetyDecision,
  safetyDecision,
  type SafetyFinding,
  type SafetyLevel,
  type SafetyReport,
  scanCode,
  type ScanOptions,
} from "./safe_mode.ts";
