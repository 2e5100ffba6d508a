/**
 * The one place that says which environment variables hold secrets (API keys,
 * tokens, passwords) and how a secret value is blanked out of text. The
 * computer strips these variables from generated code's environment, the
 * sandbox denies them, and storage redacts their values before saving.
 *
 * This module imports nothing, so every part may use it without a cycle.
 *
 * @module
 */

/**
 * Variable-name patterns of secrets (`*` matches any run of characters; case
 * is ignored). The union of what the computer (`*_API_KEY`, `*_TOKEN`,
 * `*_SECRET*`), the sandbox (provider key names) and storage (KEY, TOKEN,
 * SECRET, PASSWORD, PASSWD, CREDENTIAL anywhere) each counted as secret, less
 * {@linkcode NOT_SECRET_ENV_PATTERNS}.
 */
export const SECRET_ENV_PATTERNS: readonly string[] = [
  "*KEY*",
  "*TOKEN*",
  "*SECRET*",
  "*PASSWORD*",
  "*PASSWD*",
  "*CREDENTIAL*",
];

/**
 * Words inside names that {@linkcode SECRET_ENV_PATTERNS} would match but that
 * hold no secret: a tokenizer path is needed by the programs that read it.
 * A name still counts when the rest of it matches (`TOKENIZER_API_KEY`).
 */
const NOT_SECRET_WORDS: readonly string[] = ["TOKENIZER"];

/**
 * Exact names of the model providers' key variables: for places that need
 * names rather than patterns (Deno's `--deny-env`, the permission summary).
 * Each one matches {@linkcode SECRET_ENV_PATTERNS}.
 */
export const PROVIDER_KEY_ENV: readonly string[] = [
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "AZURE_API_KEY",
  "AZURE_OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "GROQ_API_KEY",
  "MISTRAL_API_KEY",
  "OPENROUTER_API_KEY",
  "DEEPSEEK_API_KEY",
  "TOGETHER_API_KEY",
  "TOGETHERAI_API_KEY",
  "COHERE_API_KEY",
  "CO_API_KEY",
  "FIREWORKS_API_KEY",
  "PERPLEXITY_API_KEY",
  "PERPLEXITYAI_API_KEY",
  "XAI_API_KEY",
  "CEREBRAS_API_KEY",
  "HUGGINGFACE_API_KEY",
  "HF_TOKEN",
  "NVIDIA_NIM_API_KEY",
  "NVIDIA_API_KEY",
  "SAMBANOVA_API_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
  "GOOGLE_OAUTH_ACCESS_TOKEN",
  "CLOUDSDK_AUTH_ACCESS_TOKEN",
  "REPLICATE_API_KEY",
  "OLLAMA_API_KEY",
  "LM_STUDIO_API_KEY",
  "LLAMACPP_API_KEY",
  "HOSTED_VLLM_API_KEY",
  "VLLM_API_KEY",
  "INTERPRETER_API_KEY",
  "LITELLM_API_KEY",
];

/** A glob pattern (`*` = any run of characters) as a whole-name, case-blind regular expression. */
function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "i");
}

const DEFAULT_REGEXPS = SECRET_ENV_PATTERNS.map(patternToRegExp);
const DEFAULT_KEY = SECRET_ENV_PATTERNS.join("\0");
const NOT_SECRET = new RegExp(NOT_SECRET_WORDS.join("|"), "gi");

/**
 * True when the variable `name` matches one of `patterns`. With the default
 * {@linkcode SECRET_ENV_PATTERNS}, the {@linkcode NOT_SECRET_WORDS} in a name
 * are ignored; a caller's own list is taken as written.
 */
export function isSecretName(
  name: string,
  patterns: readonly string[] = SECRET_ENV_PATTERNS,
): boolean {
  if (patterns.join("\0") !== DEFAULT_KEY) {
    return patterns.some((p) => patternToRegExp(p).test(name));
  }
  const rest = name.replace(NOT_SECRET, "");
  return DEFAULT_REGEXPS.some((r) => r.test(rest));
}

/** Replaces every occurrence of each of `secrets` in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.replaceAll(s, "[redacted]");
  return out;
}
