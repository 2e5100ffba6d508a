/**
 * LiteLLM-style model names choose the provider: `gpt-4o` or `openai/gpt-4o`,
 * `anthropic/claude-sonnet-4-20250514`, `ollama/llama3.1`, `groq/...`. Each
 * provider has a base URL, the environment variables that hold its key, and
 * the wire protocol it speaks. `apiBase` overrides the URL.
 *
 * @module
 */

/**
 * The wire protocol of a provider: OpenAI chat completions (`openai`, also
 * Azure's deployments and Vertex AI's OpenAI-compatible endpoint), OpenAI's
 * Responses API, Anthropic's Messages API, or Amazon Bedrock's Converse
 * stream.
 */
export type Protocol = "openai" | "anthropic" | "azure" | "responses" | "bedrock" | "vertex";

/** Which OpenAI API to use: chat completions, Responses, or chosen by model (`auto`). */
export type ApiProtocol = "auto" | "chat" | "responses";

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
  /** The name shown in messages, when it differs from `name` (`Amazon Bedrock`). */
  label?: string;
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

const HF = "https://router.huggingface.co/v1";
const NIM = "https://integrate.api.nvidia.com/v1";
const COHERE = "https://api.cohere.ai/compatibility/v1";

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
  cohere: p("cohere", COHERE, ["COHERE_API_KEY", "CO_API_KEY"], { label: "Cohere" }),
  cohere_chat: p("cohere", COHERE, ["COHERE_API_KEY", "CO_API_KEY"], { label: "Cohere" }),
  perplexity: p("perplexity", "https://api.perplexity.ai", [
    "PERPLEXITY_API_KEY",
    "PERPLEXITYAI_API_KEY",
  ], { label: "Perplexity" }),
  huggingface: p("huggingface", HF, ["HF_TOKEN", "HUGGINGFACE_API_KEY"], {
    label: "Hugging Face",
  }),
  hf: p("huggingface", HF, ["HF_TOKEN", "HUGGINGFACE_API_KEY"], { label: "Hugging Face" }),
  nvidia_nim: p("nvidia_nim", NIM, ["NVIDIA_NIM_API_KEY", "NVIDIA_API_KEY"], {
    label: "NVIDIA NIM",
  }),
  nvidia: p("nvidia_nim", NIM, ["NVIDIA_NIM_API_KEY", "NVIDIA_API_KEY"], {
    label: "NVIDIA NIM",
  }),
  sambanova: p("sambanova", "https://api.sambanova.ai/v1", ["SAMBANOVA_API_KEY"], {
    label: "SambaNova",
  }),
  // Credentials are read (and signed with) when a request is made: see bedrock.ts.
  bedrock: p("bedrock", "", [
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
  ], { protocol: "bedrock", needsKey: false, label: "Amazon Bedrock" }),
  // The token comes from these variables or `gcloud auth print-access-token`: see vertex.ts.
  vertex_ai: p("vertex_ai", "", ["GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"], {
    protocol: "vertex",
    needsKey: false,
    label: "Vertex AI",
  }),
  vertex: p("vertex_ai", "", ["GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"], {
    protocol: "vertex",
    needsKey: false,
    label: "Vertex AI",
  }),
};

/** Variables naming the Google Cloud project of Vertex AI, in order. */
const VERTEX_PROJECT_ENV: readonly string[] = [
  "VERTEXAI_PROJECT",
  "VERTEX_PROJECT",
  "GOOGLE_CLOUD_PROJECT",
];

/** Variables naming the Vertex AI location (region), in order; default `us-central1`. */
const VERTEX_LOCATION_ENV: readonly string[] = [
  "VERTEXAI_LOCATION",
  "VERTEX_LOCATION",
  "GOOGLE_CLOUD_LOCATION",
];

/** The base URL of Vertex AI's OpenAI-compatible endpoint for a project and location. */
export function vertexApiBase(project: string, location = "us-central1"): string {
  const host = location === "global"
    ? "aiplatform.googleapis.com"
    : `${location}-aiplatform.googleapis.com`;
  return `https://${host}/v1/projects/${encodeURIComponent(project)}/locations/${
    encodeURIComponent(location)
  }/endpoints/openapi`;
}

/** The base URL of Bedrock's runtime API in an AWS region. */
export function bedrockApiBase(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/**
 * True for OpenAI models served only by the Responses API (`o1-pro`,
 * `o3-pro`, `gpt-5-pro`, the codex and deep-research models).
 */
function responsesOnly(model: string): boolean {
  const m = model.toLowerCase();
  return /^(o\d+(-mini)?-pro|gpt-5(\.\d+)?-pro|codex-mini|computer-use-preview)/.test(m) ||
    /(^|-)codex(-|$)/.test(m) || /deep-research/.test(m);
}

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
  /** Chat completions or Responses for OpenAI (default `auto`: Responses only where it must). */
  apiProtocol?: ApiProtocol;
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
  if (/^command(-|$)/.test(m)) return "cohere";
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
  if (provider.protocol === "bedrock") {
    model = model.replace(/^converse\//, "");
    const region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION");
    if (!options.apiBase && region) apiBase = bedrockApiBase(region);
  }
  if (provider.protocol === "vertex") {
    // Vertex's OpenAI endpoint names models `publisher/model`; Gemini's publisher is google.
    if (!model.includes("/")) model = `google/${model}`;
    const project = VERTEX_PROJECT_ENV.map(env).find((v) => v);
    const location = VERTEX_LOCATION_ENV.map(env).find((v) => v);
    if (!options.apiBase && project) apiBase = vertexApiBase(project, location);
  }
  // LiteLLM's convention: `<PROVIDER>_API_BASE` moves a provider (a proxy, a gateway).
  const moved = provider.name === "custom" || options.apiBase
    ? undefined
    : env(`${provider.name.toUpperCase()}_API_BASE`);
  if (moved) apiBase = moved;
  if (provider.name === "openai" && options.apiProtocol !== "chat") {
    // LiteLLM's `openai/responses/<model>` asks for the Responses API.
    const asked = options.apiProtocol === "responses" || /^responses\//.test(model);
    model = model.replace(/^responses\//, "");
    if (asked || responsesOnly(model)) {
      provider = { ...provider, protocol: "responses" };
    }
  } else if (provider.name === "custom" && options.apiProtocol === "responses") {
    provider = { ...provider, protocol: "responses" };
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
