/**
 * LiteLLM-style model names choose the provider: `gpt-4o` or `openai/gpt-4o`,
 * `anthropic/claude-sonnet-4-20250514`, `ollama/llama3.1`, `groq/...`. Each
 * provider has a base URL, the environment variables that hold its key, and
 * the wire protocol it speaks. `apiBase` overrides the URL.
 *
 * @module
 */

/** The wire protocol of a provider. */
export type Protocol = "openai" | "anthropic" | "azure";

/** A provider's defaults. */
export interface ProviderInfo {
  /** The name as written before the slash. */
  name: string;
  /** Default base URL (empty when the user must give one). */
  apiBase: string;
  /** Environment variables holding the key, in order of preference. */
  keyEnv: string[];
  /** Whether requests need a key (local servers do not). */
  needsKey: boolean;
  /** How to talk to it. */
  protocol: Protocol;
  /** True for servers that run on this machine. */
  local: boolean;
}

function p(
  name: string,
  apiBase: string,
  keyEnv: string[],
  extra: Partial<ProviderInfo> = {},
): ProviderInfo {
  return { name, apiBase, keyEnv, needsKey: true, protocol: "openai", local: false, ...extra };
}

const LOCAL = { needsKey: false, local: true };

/** Known providers by prefix. */
export const PROVIDERS: Readonly<Record<string, ProviderInfo>> = {
  openai: p("openai", "https://api.openai.com/v1", ["OPENAI_API_KEY"]),
  anthropic: p("anthropic", "https://api.anthropic.com/v1", ["ANTHROPIC_API_KEY"], {
    protocol: "anthropic",
  }),
  azure: p("azure", "", ["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"], { protocol: "azure" }),
  ollama: p("ollama", "http://localhost:11434/v1", ["OLLAMA_API_KEY"], LOCAL),
  ollama_chat: p("ollama", "http://localhost:11434/v1", ["OLLAMA_API_KEY"], LOCAL),
  lmstudio: p("lmstudio", "http://localhost:1234/v1", ["LM_STUDIO_API_KEY"], LOCAL),
  llamacpp: p("llamacpp", "http://localhost:8080/v1", ["LLAMACPP_API_KEY"], LOCAL),
  vllm: p("vllm", "http://localhost:8000/v1", ["HOSTED_VLLM_API_KEY", "VLLM_API_KEY"], LOCAL),
  hosted_vllm: p("vllm", "http://localhost:8000/v1", ["HOSTED_VLLM_API_KEY"], LOCAL),
  groq: p("groq", "https://api.groq.com/openai/v1", ["GROQ_API_KEY"]),
  together: p("together", "https://api.together.xyz/v1", [
    "TOGETHER_API_KEY",
    "TOGETHERAI_API_KEY",
  ]),
  together_ai: p("together", "https://api.together.xyz/v1", [
    "TOGETHER_API_KEY",
    "TOGETHERAI_API_KEY",
  ]),
  openrouter: p("openrouter", "https://openrouter.ai/api/v1", ["OPENROUTER_API_KEY"]),
  mistral: p("mistral", "https://api.mistral.ai/v1", ["MISTRAL_API_KEY"]),
  deepseek: p("deepseek", "https://api.deepseek.com/v1", ["DEEPSEEK_API_KEY"]),
  gemini: p("gemini", "https://generativelanguage.googleapis.com/v1beta/openai", [
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
  ]),
  xai: p("xai", "https://api.x.ai/v1", ["XAI_API_KEY"]),
  fireworks: p("fireworks", "https://api.fireworks.ai/inference/v1", ["FIREWORKS_API_KEY"]),
  fireworks_ai: p("fireworks", "https://api.fireworks.ai/inference/v1", ["FIREWORKS_API_KEY"]),
  cerebras: p("cerebras", "https://api.cerebras.ai/v1", ["CEREBRAS_API_KEY"]),
};

/** A model name resolved to where and how to call it. */
export interface ResolvedModel {
  /** The provider's defaults. */
  provider: ProviderInfo;
  /** The model id sent to the provider (the part after the provider prefix). */
  model: string;
  /** The base URL to use. */
  apiBase: string;
  /** The key, when one was given or found in the environment. */
  apiKey?: string;
  /** The environment variable the key was read from (unset when it was given). */
  keyVariable?: string;
  /**
   * A set variable holding a key for the model's usual provider, not sent
   * because `apiBase` names another server (`gpt-4o` at a custom address);
   * `provider` is the prefix that would send it (`openai/gpt-4o`).
   */
  unsentKey?: { variable: string; provider: string };
}

/** Settings that affect resolution. */
export interface ResolveOptions {
  /** Overrides the provider's base URL. */
  apiBase?: string;
  /** The key; otherwise taken from the provider's environment variables. */
  apiKey?: string;
  /** Reads an environment variable (default `Deno.env.get`). */
  env?: (name: string) => string | undefined;
}

/** An environment variable, or `undefined` when it is unset or env access is not allowed. */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** Guesses the provider of a bare model name (no `provider/` prefix). */
function guessProvider(model: string): string {
  const m = model.toLowerCase();
  if (m.startsWith("claude")) return "anthropic";
  if (m.startsWith("gemini")) return "gemini";
  if (m.startsWith("deepseek")) return "deepseek";
  if (/^(mistral|magistral|codestral|ministral|open-mistral)/.test(m)) return "mistral";
  if (m.startsWith("grok")) return "xai";
  return "openai";
}

/** Resolves a LiteLLM-style model name to a provider, model id, base URL and key. */
export function resolveModel(name: string, options: ResolveOptions = {}): ResolvedModel {
  const env = options.env ?? readEnv;
  const slash = name.indexOf("/");
  const prefix = slash > 0 ? name.slice(0, slash).toLowerCase() : "";
  let provider: ProviderInfo;
  let model: string;
  let unsentKey: ResolvedModel["unsentKey"];
  if (prefix && PROVIDERS[prefix]) {
    provider = PROVIDERS[prefix];
    model = name.slice(slash + 1);
  } else if (options.apiBase) {
    // A custom endpoint with an unprefixed (or organisation/model) name: OpenAI-compatible.
    // No key is read from the environment: a provider's key is never sent to an unnamed server.
    provider = { ...PROVIDERS.openai, name: "custom", needsKey: false, keyEnv: [] };
    model = name;
    const usual = PROVIDERS[guessProvider(name)];
    const variable = usual.keyEnv.find((v) => env(v));
    if (variable) unsentKey = { variable, provider: usual.name };
  } else {
    provider = PROVIDERS[guessProvider(name)];
    model = name;
  }
  if (provider.name === "ollama") model = model.replace(/:latest$/, "");
  let apiBase = options.apiBase ?? provider.apiBase;
  if (provider.name === "azure" && !options.apiBase) {
    apiBase = env("AZURE_API_BASE") ?? env("AZURE_OPENAI_ENDPOINT") ?? "";
  }
  let apiKey = options.apiKey;
  let keyVariable: string | undefined;
  if (!apiKey) {
    for (const variable of provider.keyEnv) {
      const value = env(variable);
      if (value) {
        apiKey = value;
        keyVariable = variable;
        break;
      }
    }
  }
  const resolved: ResolvedModel = { provider, model, apiBase: apiBase.replace(/\/+$/, ""), apiKey };
  if (keyVariable) resolved.keyVariable = keyVariable;
  if (unsentKey && !options.apiKey) resolved.unsentKey = unsentKey;
  return resolved;
}
