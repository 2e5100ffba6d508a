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
import {
  FLAG_GROUPS,
  numberProblem,
  type Setting,
  type SettingFlag,
  SETTINGS,
} from "../settings/registry.ts";
import { commandName } from "./invocation.ts";

/** The kind of value a flag takes. */
export type FlagKind = "bool" | "negatable" | "string" | "number" | "int" | "grant";

/** One row of the flag table (derived from the settings registry, lib/settings). */
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
  choices?: readonly string[];
  /** The group it is listed under in `--help`. */
  group: string;
  /** One-line help. */
  help: string;
  /** Placeholder for the value in `--help`. */
  metavar?: string;
  /** The setting it is declared by (its bounds check number values). */
  setting: Setting;
}

export { FLAG_GROUPS };

function flagKind(setting: Setting, flag: SettingFlag): FlagKind {
  if (flag.kind) return flag.kind;
  if (setting.type === "bool") return flag.negatable ? "negatable" : "bool";
  if (setting.type === "int" || setting.type === "number") return setting.type;
  return "string";
}

/** Every flag the program accepts: the settings that have one, in the registry's order. */
export const FLAGS: readonly FlagSpec[] = SETTINGS.flatMap((setting) => {
  const flag = setting.flag;
  if (!flag) return [];
  return [{
    name: flag.name,
    ...(flag.short ? { short: flag.short } : {}),
    ...(flag.aliases ? { aliases: flag.aliases } : {}),
    kind: flagKind(setting, flag),
    ...(setting.choices ? { choices: setting.choices } : {}),
    group: flag.group,
    help: flag.help,
    ...(flag.metavar ? { metavar: flag.metavar } : {}),
    setting,
  }];
});

/** Flags whose value is optional (`--reset_profile` alone means the default profile). */
const OPTIONAL_VALUE = new Set(
  SETTINGS.filter((s) => s.flag?.optionalValue).map((s) => s.flag!.name),
);

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
    const problem = raw.trim() === "" ? "" : numberProblem(spec.setting, n);
    if (problem !== undefined) {
      const allowed = problem || numberProblem(spec.setting, NaN)!;
      throw new UsageError(`${shown} expects ${allowed}, got "${raw}"`);
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
function nearestFlag(name: string): string | undefined {
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
    "6 its npm packages could not be downloaded (first run offline),",
    "129 terminal closed (SIGHUP), 130 interrupted, 141 output closed (| head),",
    "143 terminated (SIGTERM); on 129, 141 and 143 code stops and the chat is saved.",
  );
  return lines.join("\n");
}
