/**
 * The command-line flag table and its parser. This module is pure data and
 * string handling: it imports nothing heavy, so `--help` and `--version` stay
 * fast (main.ts loads only this before deciding what else it needs).
 *
 * Flag names follow Open Interpreter; both `snake_case` and
 * `kebab-case` spellings are accepted (`--api_base`, `--api-base`).
 *
 * @module
 */

import { splitList } from "../sandbox/split_list.ts";
import { commandName } from "./invocation.ts";

/** The kind of value a flag takes. */
export type FlagKind = "bool" | "negatable" | "string" | "number" | "int" | "grant";

/** One row of the flag table. */
export interface FlagSpec {
  /** Canonical long name in snake_case, without dashes (e.g. `api_base`). */
  name: string;
  /** Short forms without the leading dash (e.g. `ab` for `-ab`). */
  short?: string[];
  /** Other long names (e.g. `yes` for `auto_run`). */
  aliases?: string[];
  /** What value it takes. */
  kind: FlagKind;
  /** Allowed values, for string flags with a fixed set. */
  choices?: string[];
  /** The group it is listed under in `--help`. */
  group: string;
  /** One-line help. */
  help: string;
  /** Placeholder for the value in `--help`. */
  metavar?: string;
  /** For number flags: the value must be above zero. */
  positive?: boolean;
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

/** Every flag the program accepts. */
export const FLAGS: readonly FlagSpec[] = [
  // Model
  {
    name: "model",
    short: ["m"],
    kind: "string",
    group: "Model",
    help: "language model to use",
    metavar: "NAME",
  },
  {
    name: "api_base",
    short: ["ab"],
    kind: "string",
    group: "Model",
    help: "API base URL of an OpenAI-compatible server",
    metavar: "URL",
  },
  {
    name: "api_key",
    short: ["ak"],
    kind: "string",
    group: "Model",
    help: "API key (else from the environment, e.g. OPENAI_API_KEY)",
    metavar: "KEY",
  },
  {
    name: "api_version",
    short: ["av"],
    kind: "string",
    group: "Model",
    help: "API version (Azure)",
    metavar: "VERSION",
  },
  {
    name: "api_protocol",
    kind: "string",
    choices: ["auto", "chat", "responses"],
    group: "Model",
    help: "OpenAI API: chat completions, Responses, or auto (Responses only for models " +
      "served only there: o1-pro, o3-pro, gpt-5-pro, codex)",
    metavar: "auto|chat|responses",
  },
  {
    name: "first_byte_timeout",
    kind: "number",
    positive: true,
    group: "Model",
    help: "seconds to wait for the model's response to begin (default 60)",
    metavar: "S",
  },
  {
    name: "stall_timeout",
    kind: "number",
    positive: true,
    group: "Model",
    help: "seconds without a complete stream event before the answer is given up (default 180)",
    metavar: "S",
  },
  {
    name: "vertex_project",
    kind: "string",
    group: "Model",
    help: "Google Cloud project for vertex_ai/ models (else VERTEXAI_PROJECT)",
    metavar: "ID",
  },
  {
    name: "vertex_location",
    kind: "string",
    group: "Model",
    help: "Vertex AI location (else VERTEXAI_LOCATION, default us-central1)",
    metavar: "REGION",
  },
  {
    name: "temperature",
    short: ["t"],
    kind: "number",
    group: "Model",
    help: "sampling temperature",
    metavar: "T",
  },
  {
    name: "context_window",
    short: ["cw"],
    kind: "int",
    group: "Model",
    help: "context window of the model in tokens",
    metavar: "N",
  },
  {
    name: "max_tokens",
    short: ["x"],
    kind: "int",
    group: "Model",
    help: "maximum tokens per answer",
    metavar: "N",
  },
  {
    name: "max_budget",
    short: ["b"],
    kind: "number",
    group: "Model",
    help: "maximum spend for the session in USD",
    metavar: "USD",
  },
  {
    name: "llm_supports_vision",
    short: ["lsv"],
    kind: "negatable",
    group: "Model",
    help: "the model accepts images",
  },
  {
    name: "llm_supports_functions",
    short: ["lsf"],
    kind: "negatable",
    group: "Model",
    help: "the model supports tool calls (if not: code in markdown blocks)",
  },
  {
    name: "local",
    short: ["l"],
    kind: "bool",
    group: "Model",
    help: "use a model server on this computer (Ollama, LM Studio, llama.cpp, Jan)",
  },
  {
    name: "fast",
    short: ["f"],
    kind: "bool",
    group: "Model",
    help: "use the fast profile (small model, concise answers)",
  },
  { name: "vision", short: ["vi"], kind: "bool", group: "Model", help: "use the vision profile" },
  // Behaviour
  {
    name: "auto_run",
    short: ["y"],
    aliases: ["yes"],
    kind: "bool",
    group: "Behaviour",
    help: "run generated code without asking",
  },
  {
    name: "custom_instructions",
    short: ["ci"],
    kind: "string",
    group: "Behaviour",
    help: "text appended to the system message",
    metavar: "TEXT",
  },
  {
    name: "system_message",
    short: ["sm"],
    kind: "string",
    group: "Behaviour",
    help: "replace the base system message (not recommended)",
    metavar: "TEXT",
  },
  {
    name: "max_output",
    short: ["xo"],
    kind: "int",
    group: "Behaviour",
    help: "characters of code output the model sees per run",
    metavar: "N",
  },
  {
    name: "timeout",
    kind: "number",
    group: "Behaviour",
    help: "wall-clock bound in seconds for each code run (0 = none)",
    metavar: "SECONDS",
  },
  {
    name: "max_turns",
    kind: "int",
    group: "Behaviour",
    help: "stop after N model turns in one request",
    metavar: "N",
  },
  {
    name: "loop",
    kind: "bool",
    group: "Behaviour",
    help: "keep going until the model says the task is done or impossible",
  },
  {
    name: "safe_mode",
    short: ["safe"],
    kind: "string",
    choices: ["off", "ask", "auto"],
    group: "Behaviour",
    help: "check code for dangerous operations before running it",
    metavar: "off|ask|auto",
  },
  {
    name: "offline",
    short: ["o"],
    kind: "bool",
    group: "Behaviour",
    help: "accepted for compatibility; nothing goes online but the model",
  },
  {
    name: "disable_telemetry",
    short: ["dt"],
    kind: "bool",
    group: "Behaviour",
    help: "accepted for compatibility; there is no telemetry",
  },
  {
    name: "multi_line",
    short: ["ml"],
    kind: "bool",
    group: "Behaviour",
    help: 'accepted for compatibility; use """ to start and end multi-line input',
  },
  // Permissions
  {
    name: "allow_all",
    short: ["A"],
    kind: "bool",
    group: "Permissions for generated code",
    help: "allow everything: no sandbox (API keys still kept out)",
  },
  {
    name: "allow_read",
    kind: "grant",
    group: "Permissions for generated code",
    help: "paths code may read (no list: all but secrets)",
    metavar: "[=PATHS]",
  },
  {
    name: "allow_write",
    kind: "grant",
    group: "Permissions for generated code",
    help: "more paths code may write (no list: all but start-up files)",
    metavar: "[=PATHS]",
  },
  {
    name: "allow_net",
    kind: "grant",
    group: "Permissions for generated code",
    help: "hosts code may reach (no list: all)",
    metavar: "[=HOSTS]",
  },
  {
    name: "allow_env",
    kind: "grant",
    group: "Permissions for generated code",
    help: "environment variables code may see (no list: all but API keys)",
    metavar: "[=NAMES]",
  },
  {
    name: "allow_run",
    kind: "grant",
    group: "Permissions for generated code",
    help: "programs code may run (no list: all)",
    metavar: "[=PROGRAMS]",
  },
  {
    name: "deny_read",
    kind: "grant",
    group: "Permissions for generated code",
    help: "paths code may never read (no list: all)",
    metavar: "[=PATHS]",
  },
  {
    name: "deny_write",
    kind: "grant",
    group: "Permissions for generated code",
    help: "paths code may never write (no list: all)",
    metavar: "[=PATHS]",
  },
  {
    name: "deny_net",
    kind: "grant",
    group: "Permissions for generated code",
    help: "hosts code may never reach (no list: all)",
    metavar: "[=HOSTS]",
  },
  {
    name: "deny_env",
    kind: "grant",
    group: "Permissions for generated code",
    help: "environment variables code may never see (no list: all)",
    metavar: "[=NAMES]",
  },
  {
    name: "deny_run",
    kind: "grant",
    group: "Permissions for generated code",
    help: "programs code may never run (no list: all)",
    metavar: "[=PROGRAMS]",
  },
  {
    name: "allow_display",
    kind: "bool",
    group: "Permissions for generated code",
    help: "the Computer API: code may see the screen and use mouse, keyboard, clipboard",
  },
  {
    name: "deny_display",
    kind: "bool",
    group: "Permissions for generated code",
    help: "no Computer API (the default), even with --os or a profile",
  },
  // Output
  {
    name: "plain",
    short: ["pl"],
    kind: "bool",
    group: "Output",
    help: "plain text output: no colours, frames or spinner",
  },
  {
    name: "json",
    kind: "bool",
    group: "Output",
    help: "print every LMC chunk as one JSON line on stdout (and nothing else)",
  },
  { name: "verbose", short: ["v"], kind: "bool", group: "Output", help: "print detailed logs" },
  {
    name: "debug",
    short: ["debug"],
    kind: "bool",
    group: "Output",
    help: "same as --verbose (detailed logs on stderr)",
  },
  {
    name: "no_highlight_active_line",
    short: ["nhl"],
    kind: "bool",
    group: "Output",
    help: "do not show the running line",
  },
  {
    name: "speak_messages",
    short: ["sp"],
    kind: "bool",
    group: "Output",
    help: "accepted for compatibility; answers are not read aloud",
  },
  {
    name: "stdin",
    short: ["s"],
    kind: "bool",
    group: "Output",
    help: "read the message from standard input",
  },
  // Profiles and conversations
  {
    name: "profile",
    short: ["p"],
    kind: "string",
    group: "Profiles and conversations",
    help: "profile name (in the profiles folder) or path",
    metavar: "NAME|PATH",
  },
  {
    name: "profiles",
    kind: "bool",
    group: "Profiles and conversations",
    help: "print (and open, on a desktop) the profiles folder",
  },
  {
    name: "reset_profile",
    kind: "string",
    group: "Profiles and conversations",
    help: "restore a bundled profile (default: default.yaml)",
    metavar: "[NAME]",
  },
  {
    name: "conversations",
    kind: "bool",
    group: "Profiles and conversations",
    help: "list saved conversations and resume one",
  },
  // Server
  {
    name: "server",
    kind: "bool",
    group: "Server",
    help: "serve the HTTP/WebSocket API instead of chatting",
  },
  {
    name: "host",
    kind: "string",
    group: "Server",
    help: "server address (default 127.0.0.1)",
    metavar: "HOST",
  },
  {
    name: "port",
    kind: "int",
    group: "Server",
    help: "server port (default 8000; 0 = any free port)",
    metavar: "PORT",
  },
  {
    name: "computer",
    kind: "string",
    group: "Server",
    help:
      "where code runs: local (default), podman or docker (a container per session), kubernetes",
    metavar: "KIND",
    choices: ["local", "podman", "docker", "kubernetes"],
  },
  {
    name: "kubeconfig",
    kind: "string",
    group: "Server",
    help: "kubeconfig for --computer kubernetes (default KUBECONFIG, else ~/.kube/config)",
    metavar: "PATH",
  },
  {
    name: "container_engine",
    kind: "string",
    group: "Server",
    help: "container engine address: unix:///path or tcp://host:port (default DOCKER_HOST)",
    metavar: "URL",
  },
  {
    name: "container_image",
    kind: "string",
    group: "Server",
    help: "session image (default interpreter-session:1; build it with deno task image)",
    metavar: "IMAGE",
  },
  {
    name: "store",
    kind: "string",
    group: "Server",
    help: "conversation store shared by instances: sqlite:PATH or postgres://user@host/db",
    metavar: "URL",
  },
  {
    name: "instance_id",
    kind: "string",
    group: "Server",
    help: "this server instance's name in the store (default: random)",
    metavar: "NAME",
  },
  {
    name: "lease_seconds",
    kind: "number",
    group: "Server",
    help: "seconds a dead instance keeps its sessions before another takes over (default 15)",
    metavar: "SECONDS",
  },
  {
    name: "mcp",
    kind: "bool",
    group: "Server",
    help: "serve MCP (tools execute, languages, reset) on stdio; with --port: Streamable HTTP",
  },
  {
    name: "os",
    kind: "bool",
    group: "Server",
    help:
      "OS mode: see and drive this screen (--allow-display + the os profile); with --mcp: as tools",
  },
  {
    name: "allow_remote_auto_run",
    kind: "bool",
    group: "Server",
    help: "let clients turn on auto_run (code runs without approval); trusted networks only",
  },
  // Other
  { name: "version", kind: "bool", group: "Other", help: "print the version and exit" },
  { name: "help", short: ["h"], kind: "bool", group: "Other", help: "show this help and exit" },
];

/** Flags whose value is optional (`--reset_profile` alone means the default profile). */
const OPTIONAL_VALUE = new Set(["reset_profile"]);

/** The parsed command line: flag values by canonical name, plus the message words. */
export interface ParsedArgs {
  /** Values by canonical flag name. Grants are `true` or a list. */
  flags: Record<string, string | number | boolean | string[] | undefined>;
  /** Positional words (the message), joined later with spaces. */
  positional: string[];
}

/** A bad command line. The message says what to do. */
export class UsageError extends Error {
  /** Creates a usage error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function canonical(name: string): string {
  return name.replaceAll("-", "_");
}

let longIndex: Map<string, FlagSpec> | undefined;
let shortIndex: Map<string, FlagSpec> | undefined;

function indexes(): [Map<string, FlagSpec>, Map<string, FlagSpec>] {
  if (!longIndex || !shortIndex) {
    longIndex = new Map();
    shortIndex = new Map();
    for (const spec of FLAGS) {
      longIndex.set(spec.name, spec);
      for (const alias of spec.aliases ?? []) longIndex.set(alias, spec);
      for (const s of spec.short ?? []) shortIndex.set(s, spec);
    }
  }
  return [longIndex, shortIndex];
}

function convert(spec: FlagSpec, raw: string, shown: string): string | number {
  if (spec.kind === "number" || spec.kind === "int") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || (spec.kind === "int" && !Number.isInteger(n))) {
      throw new UsageError(
        `${shown} expects ${spec.kind === "int" ? "a whole number" : "a number"}, got "${raw}"`,
      );
    }
    if (spec.positive && n <= 0) {
      throw new UsageError(`${shown} expects a number above 0 (seconds), got "${raw}"`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`${shown} expects one of ${spec.choices.join(", ")}, got "${raw}"`);
  }
  return raw;
}

/**
 * Parses the command line. Unknown flags and missing or malformed values throw
 * a {@link UsageError}. `--` ends the flags; everything after it is the message.
 * One `--` as the very first argument is skipped: `deno task start -- -m x`
 * passes it through literally (write `-- --` to start the message at once).
 */
export function parseArgs(argv: string[]): ParsedArgs {
  const flags: ParsedArgs["flags"] = {};
  const positional: string[] = [];
  for (let i = argv[0] === "--" ? 1 : 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const isLong = arg.startsWith("--");
    let body = arg.slice(isLong ? 2 : 1);
    let inline: string | undefined;
    const eq = body.indexOf("=");
    if (eq >= 0) {
      inline = body.slice(eq + 1);
      body = body.slice(0, eq);
    }
    let negated = false;
    let spec = isLong ? indexes()[0].get(canonical(body)) : indexes()[1].get(body);
    if (!spec && isLong && canonical(body).startsWith("no_")) {
      const base = indexes()[0].get(canonical(body).slice(3));
      if (base?.kind === "negatable") {
        spec = base;
        negated = true;
      }
    }
    if (!spec) {
      const found = isLong ? nearestFlag(canonical(body)) : undefined;
      // Suggested in the spelling the person used (`--api-base` or `--api_base`).
      const near = found && body.includes("-") ? found.replaceAll("_", "-") : found;
      throw new UsageError(
        `unknown flag ${arg}${
          near ? `; did you mean --${near}?` : ""
        } (\`${commandName()} --help\` lists the flags)`,
      );
    }
    const shown = isLong ? `--${body}` : `-${body}`;
    if (spec.kind === "bool" || spec.kind === "negatable") {
      if (inline !== undefined) {
        if (!["true", "false"].includes(inline)) {
          throw new UsageError(`${shown} takes no value (or =true / =false), got "${inline}"`);
        }
        flags[spec.name] = inline === "true" && !negated;
      } else {
        flags[spec.name] = !negated;
      }
      continue;
    }
    if (spec.kind === "grant") {
      // Deno style: `--allow-read` alone grants everything, `--deny-net` alone denies all
      // network; `--allow-read=a,b` lists.
      if (inline === undefined) {
        flags[spec.name] = true;
      } else {
        const prev = flags[spec.name];
        const list = Array.isArray(prev) ? prev : [];
        flags[spec.name] = [...list, ...splitList(inline)];
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
        if (OPTIONAL_VALUE.has(spec.name)) {
          flags[spec.name] = "";
          continue;
        }
        throw new UsageError(`${shown} needs a value${spec.metavar ? ` (${spec.metavar})` : ""}`);
      }
      value = next;
      i++;
    }
    flags[spec.name] = convert(spec, value, shown);
  }
  return { flags, positional };
}

/** Edit distance between two short strings (insert, delete, substitute, swap two neighbours). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known long flag closest to a misspelt one (`temprature` → `temperature`), if close enough. */
export function nearestFlag(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of indexes()[0].keys()) {
    const distance = editDistance(name, known);
    if (!best || distance < best.distance) best = { name: known, distance };
  }
  if (!best) return undefined;
  // A third of the name's length, at most 3 edits: close typos, not unrelated words.
  return best.distance <= Math.min(3, Math.max(1, Math.floor(name.length / 3)))
    ? best.name
    : undefined;
}

function flagLabel(spec: FlagSpec): string {
  // Permission flags are shown as Deno spells them (`--allow-read`); both spellings work.
  const longName = spec.kind === "grant" || spec.name === "allow_all"
    ? `--${spec.name.replaceAll("_", "-")}`
    : `--${spec.name}`;
  const parts = [
    ...(spec.short ?? []).map((s) => `-${s}`),
    spec.kind === "negatable" ? `${longName}, --no-${spec.name}` : longName,
    ...(spec.aliases ?? []).map((a) => `--${a}`),
  ];
  let label = parts.join(", ");
  if (spec.metavar) label += spec.kind === "grant" ? spec.metavar : ` ${spec.metavar}`;
  return label;
}

/** Lines printed under a group's title in `--help`. */
const GROUP_NOTES: Record<string, string[]> = {
  "Model": [
    "Providers (prefix/model, key from): openai (OPENAI_API_KEY), anthropic " +
    "(ANTHROPIC_API_KEY), azure (AZURE_API_KEY), gemini (GEMINI_API_KEY), vertex_ai " +
    "(gcloud or GOOGLE_OAUTH_ACCESS_TOKEN; VERTEXAI_PROJECT), bedrock (AWS_ACCESS_KEY_ID + " +
    "AWS_SECRET_ACCESS_KEY, AWS_PROFILE or AWS_BEARER_TOKEN_BEDROCK; AWS_REGION), mistral " +
    "(MISTRAL_API_KEY), deepseek (DEEPSEEK_API_KEY), xai (XAI_API_KEY), cohere " +
    "(COHERE_API_KEY or CO_API_KEY), perplexity (PERPLEXITY_API_KEY), groq (GROQ_API_KEY), " +
    "together (TOGETHER_API_KEY), fireworks (FIREWORKS_API_KEY), cerebras " +
    "(CEREBRAS_API_KEY), openrouter (OPENROUTER_API_KEY), huggingface (HF_TOKEN), " +
    "nvidia_nim (NVIDIA_NIM_API_KEY), sambanova (SAMBANOVA_API_KEY); local: ollama, " +
    "lmstudio, llamacpp, vllm. Bare names are guessed: claude-* -> anthropic, command-* -> " +
    "cohere, gemini-*, mistral-*, deepseek-*, grok-* -> xai, others -> openai.",
  ],
  "Permissions for generated code": [
    "Default: read all but secrets (~/.ssh, ~/.aws...), write only the working",
    "directory and a temp directory, network on; the chat shows them at start-up.",
    "Deno's spelling; --allow_read works too.",
  ],
};

/** `--help` fits an 80-column terminal. */
const HELP_WIDTH = 80;

/**
 * Splits `text` into lines of at most `width` characters, at spaces (a longer
 * word stays whole). Leading indentation is kept on every line.
 */
export function wrapWords(text: string, width: number): string[] {
  const indent = /^ */.exec(text)![0];
  const lines: string[] = [];
  let line = indent;
  for (const word of text.slice(indent.length).split(" ")) {
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line.trimEnd());
      line = indent + word;
    } else line = line.length > indent.length ? `${line} ${word}` : indent + word;
  }
  lines.push(line);
  return lines;
}

/** The text of `--help`: usage, then the flags by group. */
export function helpText(): string {
  const lines = [
    "Usage: interpreter [flags] [message]",
    "",
    "Chat with a language model that writes and runs code on this computer.",
    "With a message (or text on standard input) it runs one request and exits.",
    "Flags also accept kebab-case (--api-base = --api_base).",
  ];
  for (const group of FLAG_GROUPS) {
    lines.push("", `${group}:`);
    for (const note of GROUP_NOTES[group] ?? []) lines.push(...wrapWords(`  ${note}`, HELP_WIDTH));
    const specs = FLAGS.filter((f) => f.group === group);
    const labels = specs.map(flagLabel);
    const width = Math.min(30, Math.max(...labels.map((l) => l.length)) + 2);
    specs.forEach((spec, i) => {
      const label = labels[i];
      const help = wrapWords(spec.help, HELP_WIDTH - 2 - width);
      const indent = " ".repeat(width + 2);
      if (label.length + 2 > width) lines.push(`  ${label}`, `${indent}${help[0]}`);
      else lines.push(`  ${label.padEnd(width)}${help[0]}`);
      for (const more of help.slice(1)) lines.push(`${indent}${more}`);
    });
  }
  lines.push(
    "",
    'In a chat: type %help for commands, """ to start and end multi-line input,',
    "Ctrl-C to interrupt, Ctrl-D to exit.",
    "",
    "Exit statuses: 0 done, 1 model or API error, 2 bad usage, 3 code declined,",
    "4 budget or turn limit reached, 5 done but the conversation was not saved,",
    "129 terminal closed (SIGHUP), 130 interrupted, 141 output closed (| head),",
    "143 terminated (SIGTERM); on 129, 141 and 143 code stops and the chat is saved.",
  );
  return lines.join("\n");
}
