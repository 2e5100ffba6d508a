/**
 * Every setting, declared once: its value type and bounds, its profile key
 * (Open Interpreter's snake_case YAML key), its command-line flag (long name,
 * two-letter short forms, aliases, help text and group), the name the server
 * exposes, its default, the environment variable that sets it and the
 * `startServer()` / MCP front option it is. The flag table (lib/terminal/flags.ts), profile
 * validation (lib/profiles/schema.ts), flags-to-profile mapping
 * (lib/profiles/mod.ts), the server's settable list (lib/server/settings.ts) and
 * the engine's defaults (lib/core) all derive from {@linkcode SETTINGS}.
 *
 * One concept, one table: the file stays whole however long it grows.
 * Pure data, imports nothing: `--help` and `--version` load it at start-up.
 *
 * @module
 */

/** Characters of a run's output the model sees (head + tail). */
export const DEFAULT_MAX_OUTPUT = 2800;
/** Seconds one code run may take, wall clock (0 = no bound); the computer's default. */
export const DEFAULT_RUN_TIMEOUT = 120;
/**
 * Processes (threads count) one sandboxed session may hold at once (0 = no bound): far above
 * what real work starts (a build, a browser), low enough that a fork bomb stays in its session.
 */
export const DEFAULT_MAX_PROCESSES = 1024;
/** Model turns per request before the engine stops. */
export const DEFAULT_MAX_TURNS = 50;

/** Safe mode's values: no scan, ask about flagged code, refuse unsafe code. */
const SAFE_MODES = ["off", "ask", "auto"] as const;
/** How code is scanned before it runs (`--safe_mode`). */
export type SafeMode = typeof SAFE_MODES[number];
/** Safe mode unless set: no scan (Open Interpreter's default). */
export const DEFAULT_SAFE_MODE: SafeMode = "off";

/** The kinds of value a setting holds. */
export type SettingType =
  | "string"
  | "bool"
  | "number"
  | "int"
  | "string_list"
  | "grant"
  | "string_or_bool"
  | "string_or_number"
  | "any";

/** A setting's command-line flag. */
export interface SettingFlag {
  /** Canonical long name in snake_case, without dashes (`api_base`; `--api-base` works too). */
  name: string;
  /** Short forms without the dash (Open Interpreter's two-letter ones: `ab` for `-ab`). */
  short?: string[];
  /** Other long names (`yes` for `auto_run`). */
  aliases?: string[];
  /** The group it is listed under in `--help`. */
  group: string;
  /** One line of help. */
  help: string;
  /** Placeholder for the value in `--help`. */
  metavar?: string;
  /** `--no-NAME` sets it false. */
  negatable?: boolean;
  /** The value may be left out (`--reset_profile` alone). */
  optionalValue?: boolean;
  /** Deno-style permission flag: alone grants (or denies) all, `=a,b` lists. */
  kind?: "grant";
  /** The flag sets the profile key to false (`--no_highlight_active_line`). */
  inverts?: boolean;
}

/** How the server exposes a setting's {@linkcode Setting.option} (`GET`/`POST /settings`). */
export interface SettingServer {
  /** More names the server accepts (`model` for `llm.model`). */
  aliases?: string[];
  /** `null` is accepted (no value: the model's own default). */
  nullable?: boolean;
  /** Readable, but settable only where the server starts. */
  readOnly?: boolean;
}

/** One setting. */
export interface Setting {
  /** Its key in a profile (dotted, snake_case: `llm.model`); absent for flags that only act. */
  key?: string;
  /** The engine's option (and property) path it sets (`llm.contextWindow`, `maxTurns`). */
  option?: string;
  /** The value's type. */
  type: SettingType;
  /** The allowed values, for a string with a fixed set. */
  choices?: readonly string[];
  /** The smallest allowed number. */
  min?: number;
  /** Numbers must be above this. */
  above?: number;
  /** The largest allowed number. */
  max?: number;
  /** The default (when the engine has one). */
  default?: unknown;
  /** Its flag, when it has one. */
  flag?: SettingFlag;
  /** False: the flag is read by its own code (permissions), not merged into the profile. */
  flagToProfile?: false;
  /** Present when the server lets clients read (and change) it. */
  server?: SettingServer;
  /** The environment variable read when neither the option nor the flag is given. */
  env?: string;
  /** The option of `startServer()` (lib/server) it sets, for a setting of the server itself. */
  serverOption?: string;
  /** The option of the MCP front (lib/mcp: `startMcpHttp()`, `serveMcp()`) it sets. */
  mcpOption?: string;
}

/**
 * What a number setting allows, as a phrase (`a whole number of at least 1`), or
 * undefined when `value` is allowed. Non-numbers are the caller's to refuse.
 */
export function numberProblem(setting: Setting, value: number): string | undefined {
  const whole = setting.type === "int";
  const kind = whole ? "a whole number" : "a number";
  const ok = Number.isFinite(value) && (!whole || Number.isInteger(value)) &&
    (setting.min === undefined || value >= setting.min) &&
    (setting.above === undefined || value > setting.above) &&
    (setting.max === undefined || value <= setting.max);
  if (ok) return undefined;
  const bounds: string[] = [];
  if (setting.min !== undefined) bounds.push(`at least ${setting.min}`);
  if (setting.above !== undefined) bounds.push(`above ${setting.above}`);
  if (setting.max !== undefined) bounds.push(`at most ${setting.max}`);
  const text = bounds.join(" and ");
  return !text ? kind : text.startsWith("at ") ? `${kind} of ${text}` : `${kind} ${text}`;
}

/** The groups of `--help`, in order. */
export const FLAG_GROUPS: readonly string[] = [
  "Model",
  "Behaviour",
  "Permissions for generated code",
  "Output",
  "Profiles and conversations",
  "Server",
  "Other",
];

/** Every setting and flag, once. */
export const SETTINGS: readonly Setting[] = [
  {
    key: "llm.model",
    type: "string",
    option: "llm.model",
    server: { aliases: ["model"] },
    flag: {
      name: "model",
      short: ["m"],
      group: "Model",
      help: "language model to use",
      metavar: "NAME",
    },
  },
  {
    key: "llm.api_base",
    option: "llm.apiBase",
    type: "string",
    server: { nullable: true, readOnly: true },
    flag: {
      name: "api_base",
      short: ["ab"],
      group: "Model",
      help: "API base URL of an OpenAI-compatible server",
      metavar: "URL",
    },
  },
  {
    key: "llm.api_key",
    option: "llm.apiKey",
    type: "string",
    flag: {
      name: "api_key",
      short: ["ak"],
      group: "Model",
      help: "API key (else from the environment, e.g. OPENAI_API_KEY)",
      metavar: "KEY",
    },
  },
  {
    key: "llm.api_version",
    type: "string",
    option: "llm.apiVersion",
    server: { nullable: true },
    flag: {
      name: "api_version",
      short: ["av"],
      group: "Model",
      help: "API version (Azure)",
      metavar: "VERSION",
    },
  },
  {
    key: "llm.api_protocol",
    option: "llm.apiProtocol",
    type: "string",
    choices: ["auto", "chat", "responses"],
    flag: {
      name: "api_protocol",
      group: "Model",
      help:
        "OpenAI API: chat completions, Responses, or auto (Responses only for models served only there: o1-pro, o3-pro, gpt-5-pro, codex)",
      metavar: "auto|chat|responses",
    },
  },
  {
    key: "llm.first_byte_timeout",
    type: "number",
    above: 0,
    flag: {
      name: "first_byte_timeout",
      group: "Model",
      help: "seconds to wait for the model's response to begin (default 60)",
      metavar: "S",
    },
  },
  {
    key: "llm.stall_timeout",
    type: "number",
    above: 0,
    flag: {
      name: "stall_timeout",
      group: "Model",
      help: "seconds without a complete stream event before the answer is given up (default 180)",
      metavar: "S",
    },
  },
  {
    key: "llm.vertex_project",
    type: "string",
    flag: {
      name: "vertex_project",
      group: "Model",
      help: "Google Cloud project for vertex_ai/ models (else VERTEXAI_PROJECT)",
      metavar: "ID",
    },
  },
  {
    key: "llm.vertex_location",
    type: "string",
    flag: {
      name: "vertex_location",
      group: "Model",
      help: "Vertex AI location (else VERTEXAI_LOCATION, default us-central1)",
      metavar: "REGION",
    },
  },
  {
    key: "llm.temperature",
    type: "number",
    min: 0,
    max: 2,
    option: "llm.temperature",
    server: { nullable: true },
    flag: {
      name: "temperature",
      short: ["t"],
      group: "Model",
      help: "sampling temperature",
      metavar: "T",
    },
  },
  {
    key: "llm.context_window",
    type: "int",
    min: 1,
    option: "llm.contextWindow",
    server: { nullable: true },
    flag: {
      name: "context_window",
      short: ["cw"],
      group: "Model",
      help: "context window of the model in tokens",
      metavar: "N",
    },
  },
  {
    key: "llm.max_tokens",
    type: "int",
    min: 1,
    option: "llm.maxTokens",
    server: { nullable: true },
    flag: {
      name: "max_tokens",
      short: ["x"],
      group: "Model",
      help: "maximum tokens per answer",
      metavar: "N",
    },
  },
  {
    key: "llm.max_budget",
    type: "number",
    above: 0,
    option: "maxBudget",
    server: { nullable: true, aliases: ["max_budget"] },
    flag: {
      name: "max_budget",
      short: ["b"],
      group: "Model",
      help: "maximum spend for the session in USD",
      metavar: "USD",
    },
  },
  {
    key: "llm.supports_vision",
    type: "bool",
    option: "llm.supportsVision",
    server: { nullable: true },
    flag: {
      name: "llm_supports_vision",
      short: ["lsv"],
      group: "Model",
      help: "the model accepts images",
      negatable: true,
    },
  },
  {
    key: "llm.supports_functions",
    type: "bool",
    option: "llm.supportsFunctions",
    server: { nullable: true },
    flag: {
      name: "llm_supports_functions",
      short: ["lsf"],
      group: "Model",
      help: "the model supports tool calls (if not: code in markdown blocks)",
      negatable: true,
    },
  },
  {
    type: "bool",
    flag: {
      name: "local",
      short: ["l"],
      group: "Model",
      help: "use a model server on this computer (Ollama, LM Studio, llama.cpp, Jan)",
    },
  },
  {
    type: "bool",
    flag: {
      name: "fast",
      short: ["f"],
      group: "Model",
      help: "use the fast profile (small model, concise answers)",
    },
  },
  {
    type: "bool",
    flag: { name: "vision", short: ["vi"], group: "Model", help: "use the vision profile" },
  },
  {
    key: "auto_run",
    type: "bool",
    default: false,
    option: "autoRun",
    server: {},
    flag: {
      name: "auto_run",
      short: ["y"],
      aliases: ["yes"],
      group: "Behaviour",
      help: "run generated code without asking",
    },
  },
  {
    key: "custom_instructions",
    type: "string",
    default: "",
    option: "customInstructions",
    server: {},
    flag: {
      name: "custom_instructions",
      short: ["ci"],
      group: "Behaviour",
      help: "text appended to the system message",
      metavar: "TEXT",
    },
  },
  {
    key: "system_message",
    type: "string",
    option: "systemMessage",
    server: {},
    flag: {
      name: "system_message",
      short: ["sm"],
      group: "Behaviour",
      help: "replace the base system message (not recommended)",
      metavar: "TEXT",
    },
  },
  {
    key: "max_output",
    type: "int",
    min: 1,
    default: DEFAULT_MAX_OUTPUT,
    option: "maxOutput",
    server: {},
    flag: {
      name: "max_output",
      short: ["xo"],
      group: "Behaviour",
      help: "characters of code output the model sees per run",
      metavar: "N",
    },
  },
  {
    key: "timeout",
    type: "number",
    min: 0,
    option: "timeout",
    server: {},
    flag: {
      name: "timeout",
      group: "Behaviour",
      help: "wall-clock bound in seconds for each code run (0 = none)",
      metavar: "SECONDS",
    },
  },
  {
    key: "max_processes",
    type: "int",
    min: 0,
    option: "maxProcesses",
    flag: {
      name: "max_processes",
      group: "Behaviour",
      help:
        `processes and threads one code session may hold at once (default ${DEFAULT_MAX_PROCESSES}; 0 = no bound)`,
      metavar: "N",
    },
  },
  {
    key: "max_turns",
    type: "int",
    min: 1,
    default: DEFAULT_MAX_TURNS,
    option: "maxTurns",
    server: {},
    flag: {
      name: "max_turns",
      group: "Behaviour",
      help: "stop after N model turns in one request",
      metavar: "N",
    },
  },
  {
    key: "loop",
    type: "bool",
    default: false,
    option: "loop",
    server: {},
    flag: {
      name: "loop",
      group: "Behaviour",
      help: "keep going until the model says the task is done or impossible",
    },
  },
  {
    key: "safe_mode",
    type: "string",
    choices: SAFE_MODES,
    default: DEFAULT_SAFE_MODE,
    option: "safeMode",
    server: {},
    flag: {
      name: "safe_mode",
      short: ["safe"],
      group: "Behaviour",
      help: "check code for dangerous operations before running it",
      metavar: "off|ask|auto",
    },
  },
  {
    key: "offline",
    type: "bool",
    default: false,
    option: "offline",
    server: {},
    flag: {
      name: "offline",
      short: ["o"],
      group: "Behaviour",
      help: "accepted for compatibility; nothing goes online but the model",
    },
  },
  {
    key: "disable_telemetry",
    type: "bool",
    flag: {
      name: "disable_telemetry",
      short: ["dt"],
      group: "Behaviour",
      help: "accepted for compatibility; there is no telemetry",
    },
  },
  {
    key: "multi_line",
    type: "bool",
    flag: {
      name: "multi_line",
      short: ["ml"],
      group: "Behaviour",
      help: 'accepted for compatibility; use """ to start and end multi-line input',
    },
  },
  {
    key: "permissions.allow_all",
    type: "bool",
    flagToProfile: false,
    flag: {
      name: "allow_all",
      short: ["A"],
      group: "Permissions for generated code",
      help: "allow everything: no sandbox (API keys still kept out)",
    },
  },
  {
    key: "permissions.allow_read",
    type: "grant",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "allow_read",
      group: "Permissions for generated code",
      help: "paths code may read (no list: all but secrets)",
      metavar: "[=PATHS]",
    },
  },
  {
    key: "permissions.allow_write",
    type: "grant",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "allow_write",
      group: "Permissions for generated code",
      help: "more paths code may write (no list: all but start-up files)",
      metavar: "[=PATHS]",
    },
  },
  {
    key: "permissions.allow_net",
    type: "grant",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "allow_net",
      group: "Permissions for generated code",
      help: "hosts code may reach (no list: all)",
      metavar: "[=HOSTS]",
    },
  },
  {
    key: "permissions.allow_env",
    type: "grant",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "allow_env",
      group: "Permissions for generated code",
      help: "environment variables code may see (no list: all but API keys)",
      metavar: "[=NAMES]",
    },
  },
  {
    key: "permissions.allow_run",
    type: "grant",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "allow_run",
      group: "Permissions for generated code",
      help: "programs code may run (no list: all)",
      metavar: "[=PROGRAMS]",
    },
  },
  {
    key: "permissions.deny_read",
    type: "string_list",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "deny_read",
      group: "Permissions for generated code",
      help: "paths code may never read (no list: all)",
      metavar: "[=PATHS]",
    },
  },
  {
    key: "permissions.deny_write",
    type: "string_list",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "deny_write",
      group: "Permissions for generated code",
      help: "paths code may never write (no list: all)",
      metavar: "[=PATHS]",
    },
  },
  {
    key: "permissions.deny_net",
    type: "string_list",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "deny_net",
      group: "Permissions for generated code",
      help: "hosts code may never reach (no list: all)",
      metavar: "[=HOSTS]",
    },
  },
  {
    key: "permissions.deny_env",
    type: "string_list",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "deny_env",
      group: "Permissions for generated code",
      help: "environment variables code may never see (no list: all)",
      metavar: "[=NAMES]",
    },
  },
  {
    key: "permissions.deny_run",
    type: "string_list",
    flagToProfile: false,
    flag: {
      kind: "grant",
      name: "deny_run",
      group: "Permissions for generated code",
      help: "programs code may never run (no list: all)",
      metavar: "[=PROGRAMS]",
    },
  },
  {
    type: "bool",
    flag: {
      name: "allow_display",
      group: "Permissions for generated code",
      help: "the Computer API: code may see the screen and use mouse, keyboard, clipboard",
    },
  },
  {
    type: "bool",
    flag: {
      name: "deny_display",
      group: "Permissions for generated code",
      help: "no Computer API (the default), even with --os or a profile",
    },
  },
  {
    key: "plain_text_display",
    type: "bool",
    flag: {
      name: "plain",
      short: ["pl"],
      group: "Output",
      help: "plain text output: no colours, frames or spinner",
    },
  },
  {
    type: "bool",
    flag: {
      name: "json",
      group: "Output",
      help: "print every LMC chunk as one JSON line on stdout (and nothing else)",
    },
  },
  {
    key: "verbose",
    type: "bool",
    default: false,
    option: "verbose",
    server: {},
    flag: { name: "verbose", short: ["v"], group: "Output", help: "print detailed logs" },
  },
  {
    key: "debug",
    type: "bool",
    flag: {
      name: "debug",
      short: ["debug"],
      group: "Output",
      help: "same as --verbose (detailed logs on stderr)",
    },
  },
  {
    key: "highlight_active_line",
    type: "bool",
    flag: {
      inverts: true,
      name: "no_highlight_active_line",
      short: ["nhl"],
      group: "Output",
      help: "do not show the running line",
    },
  },
  {
    key: "speak_messages",
    type: "bool",
    flag: {
      name: "speak_messages",
      short: ["sp"],
      group: "Output",
      help: "accepted for compatibility; answers are not read aloud",
    },
  },
  {
    type: "bool",
    flag: {
      name: "stdin",
      short: ["s"],
      group: "Output",
      help: "read the message from standard input",
    },
  },
  {
    type: "string",
    flag: {
      name: "profile",
      short: ["p"],
      group: "Profiles and conversations",
      help: "profile name (in the profiles folder) or path",
      metavar: "NAME|PATH",
    },
  },
  {
    type: "bool",
    flag: {
      name: "profiles",
      group: "Profiles and conversations",
      help: "print (and open, on a desktop) the profiles folder",
    },
  },
  {
    type: "string",
    flag: {
      name: "reset_profile",
      group: "Profiles and conversations",
      help: "restore a bundled profile (default: default.yaml)",
      metavar: "[NAME]",
      optionalValue: true,
    },
  },
  {
    type: "bool",
    flag: {
      name: "conversations",
      group: "Profiles and conversations",
      help: "list saved conversations and resume one",
    },
  },
  {
    type: "bool",
    flag: {
      name: "server",
      group: "Server",
      help: "serve the HTTP/WebSocket API instead of chatting",
    },
  },
  {
    type: "string",
    flag: {
      name: "host",
      group: "Server",
      help: "server address (default 127.0.0.1)",
      metavar: "HOST",
    },
    default: "127.0.0.1",
    env: "INTERPRETER_HOST",
    serverOption: "hostname",
    mcpOption: "hostname",
  },
  {
    type: "int",
    min: 0,
    max: 65535,
    flag: {
      name: "port",
      group: "Server",
      help: "server port (default 8000; 0 = any free port)",
      metavar: "PORT",
    },
    default: 8000,
    env: "INTERPRETER_PORT",
    serverOption: "port",
  },
  {
    key: "deployment.computer",
    type: "string",
    choices: ["local", "podman", "docker", "kubernetes"],
    flag: {
      name: "computer",
      group: "Server",
      help:
        "where code runs: local (default), podman or docker (a container per session), kubernetes",
      metavar: "KIND",
    },
  },
  {
    key: "deployment.kubeconfig",
    type: "string",
    flag: {
      name: "kubeconfig",
      group: "Server",
      help: "kubeconfig for --computer kubernetes (default KUBECONFIG, else ~/.kube/config)",
      metavar: "PATH",
    },
  },
  {
    key: "deployment.container_engine",
    type: "string",
    flag: {
      name: "container_engine",
      group: "Server",
      help: "container engine address: unix:///path or tcp://host:port (default DOCKER_HOST)",
      metavar: "URL",
    },
  },
  {
    key: "deployment.container_image",
    type: "string",
    flag: {
      name: "container_image",
      group: "Server",
      help: "session image (default interpreter-session:2; build it with deno task image)",
      metavar: "IMAGE",
    },
  },
  {
    key: "deployment.container_pool",
    type: "int",
    min: 0,
    max: 32,
    flag: {
      name: "container_pool",
      group: "Server",
      help:
        "pre-started session containers kept per box configuration (server; the CLI starts its own early); 0 = off",
      metavar: "N",
    },
    default: 2,
  },
  {
    key: "deployment.store",
    type: "string",
    flag: {
      name: "store",
      group: "Server",
      help: "conversation store shared by instances: sqlite:PATH or postgres://user@host/db",
      metavar: "URL",
    },
  },
  {
    key: "deployment.instance_id",
    type: "string",
    flag: {
      name: "instance_id",
      group: "Server",
      help: "this server instance's name in the store (default: random)",
      metavar: "NAME",
    },
  },
  {
    key: "deployment.lease_seconds",
    type: "number",
    above: 0,
    flag: {
      name: "lease_seconds",
      group: "Server",
      help: "seconds a dead instance keeps its sessions before another takes over (default 15)",
      metavar: "SECONDS",
    },
    default: 15,
  },
  {
    type: "bool",
    flag: {
      name: "mcp",
      group: "Server",
      help: "serve MCP (tools execute, languages, reset) on stdio; with --port: Streamable HTTP",
    },
  },
  {
    type: "bool",
    flag: {
      name: "os",
      group: "Server",
      help:
        "OS mode: see and drive this screen (--allow-display + the os profile); with --mcp: as tools",
    },
  },
  {
    type: "bool",
    flag: {
      name: "allow_remote_auto_run",
      group: "Server",
      help: "let clients turn on auto_run (code runs without approval); trusted networks only",
    },
    default: false,
    env: "INTERPRETER_ALLOW_REMOTE_AUTO_RUN",
    serverOption: "allowRemoteAutoRun",
  },
  { type: "bool", flag: { name: "version", group: "Other", help: "print the version and exit" } },
  {
    type: "bool",
    flag: { name: "help", short: ["h"], group: "Other", help: "show this help and exit" },
  },
  // The server's and the MCP front's own settings: options of startServer() / startMcpHttp().
  // The access token: the option, else the variable, else a random one printed once.
  { type: "string", env: "INTERPRETER_API_KEY", serverOption: "apiKey", mcpOption: "token" },
  // A connection sends its complete request headers within this many seconds, else 408.
  {
    type: "number",
    above: 0,
    default: 10,
    env: "INTERPRETER_HEADER_TIMEOUT",
    serverOption: "headerTimeoutSeconds",
  },
  // Seconds a WebSocket client has to send `{"auth": token}`.
  { type: "number", above: 0, default: 10, serverOption: "authTimeoutSeconds" },
  // Seconds a session may stay unused before it and its code sessions end.
  {
    type: "number",
    above: 0,
    default: 1800,
    serverOption: "sessionIdleSeconds",
    mcpOption: "sessionIdleSeconds",
  },
  // Sessions the server keeps at once.
  { type: "int", min: 1, default: 64, serverOption: "maxSessions" },
  // MCP sessions the MCP HTTP front keeps at once (more get 503).
  { type: "int", min: 1, default: 16, mcpOption: "maxSessions" },
  // Chat turns running at once across all sessions.
  { type: "int", min: 1, default: 8, serverOption: "maxConcurrentRuns" },
  // The largest request body (and WebSocket message) in bytes: 8 MiB.
  { type: "int", min: 1, default: 8 * 1024 * 1024, serverOption: "maxBodyBytes" },
  // Seconds MCP serving waits for the person's answer to a safe-mode question.
  { type: "number", above: 0, default: 300, mcpOption: "elicitationTimeout" },
  // Profile keys without a flag.
  { key: "version", type: "string_or_number" },
  { key: "llm.execution_instructions", type: "string_or_bool" },
  { key: "llm.max_output", type: "int", min: 1 },
  { key: "loop_message", type: "string", option: "loopMessage", server: {} },
  { key: "loop_breakers", type: "string_list", option: "loopBreakers", server: {} },
  { key: "contribute_conversation", type: "bool" },
  { key: "conversation_history", type: "bool" },
  { key: "shrink_images", type: "bool" },
  { key: "user_message_template", type: "string" },
  { key: "always_apply_user_message_template", type: "bool" },
  { key: "code_output_template", type: "string" },
  { key: "empty_code_output_template", type: "string" },
  { key: "code_output_sender", type: "string", choices: ["user", "assistant"] },
  { key: "computer.import_computer_api", type: "bool" },
  { key: "computer.languages", type: "string_list" },
  { key: "computer.timeout", type: "number", min: 0 },
  { key: "computer.input_idle_timeout", type: "number", above: 0 },
  { key: "computer.max_output", type: "int", min: 1 },
  { key: "computer.offline", type: "bool" },
  { key: "computer.verbose", type: "bool" },
  { key: "computer.emit_images", type: "bool" },
  { key: "permissions.secret_paths", type: "string_list" },
  { key: "permissions.read", type: "grant" },
  { key: "permissions.write", type: "grant" },
  { key: "permissions.net", type: "grant" },
  { key: "permissions.env", type: "grant" },
  { key: "permissions.run", type: "grant" },
  { key: "mcp_servers", option: "mcpServers", type: "any" },
  { key: "wtf", type: "any" },
];

/** The setting behind `startServer()`'s option `name` (throws when none declares it). */
export function serverSetting(name: string): Setting {
  const setting = SETTINGS.find((s) => s.serverOption === name);
  if (!setting) throw new Error(`No setting declares the server option ${name}.`);
  return setting;
}

/** The setting behind the MCP front's option `name` (throws when none declares it). */
export function mcpSetting(name: string): Setting {
  const setting = SETTINGS.find((s) => s.mcpOption === name);
  if (!setting) throw new Error(`No setting declares the MCP option ${name}.`);
  return setting;
}

/** A setting's declared default as a number (throws when it declares none). */
export function numberDefault(setting: Setting): number {
  if (typeof setting.default !== "number") {
    throw new Error(
      `The setting ${setting.serverOption ?? setting.key} declares no number default.`,
    );
  }
  return setting.default;
}

/** A setting's declared default as a string (throws when it declares none). */
export function stringDefault(setting: Setting): string {
  if (typeof setting.default !== "string") {
    throw new Error(
      `The setting ${setting.serverOption ?? setting.key} declares no string default.`,
    );
  }
  return setting.default;
}

/** The setting with this profile key, if any. */
export function settingByKey(key: string): Setting | undefined {
  return SETTINGS.find((s) => s.key === key);
}
