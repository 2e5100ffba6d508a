/**
 * What the engine knows about well-known models: context window, output
 * limit, function calling, vision and price. Names match by the longest
 * prefix after the provider part, so `claude-sonnet-4-20250514` finds
 * `claude-sonnet-4` and `gpt-4o-mini-2024-07-18` finds `gpt-4o-mini`.
 *
 * @module
 */

/** Facts about one model. Prices are US dollars per million tokens. */
export interface ModelInfo {
  /** Input context window in tokens. */
  contextWindow: number;
  /** Largest answer in tokens. */
  maxOutput: number;
  /** Whether the model calls tools (functions) reliably. */
  supportsFunctions: boolean;
  /** Whether the model accepts images. */
  supportsVision: boolean;
  /** Price of a million prompt tokens. */
  inputPrice?: number;
  /** Price of a million completion tokens. */
  outputPrice?: number;
}

function m(
  contextWindow: number,
  maxOutput: number,
  inputPrice: number | undefined,
  outputPrice: number | undefined,
  flags: { functions?: boolean; vision?: boolean } = {},
): ModelInfo {
  return {
    contextWindow,
    maxOutput,
    supportsFunctions: flags.functions ?? true,
    supportsVision: flags.vision ?? false,
    inputPrice,
    outputPrice,
  };
}

const V = { vision: true };

/** Known models by name prefix (without the provider part). */
export const KNOWN_MODELS: Readonly<Record<string, ModelInfo>> = {
  // OpenAI
  "gpt-4o": m(128_000, 16_384, 2.5, 10, V),
  "gpt-4o-mini": m(128_000, 16_384, 0.15, 0.6, V),
  "gpt-4.1": m(1_047_576, 32_768, 2, 8, V),
  "gpt-4.1-mini": m(1_047_576, 32_768, 0.4, 1.6, V),
  "gpt-4.1-nano": m(1_047_576, 32_768, 0.1, 0.4, V),
  "gpt-5": m(400_000, 128_000, 1.25, 10, V),
  "gpt-5-mini": m(400_000, 128_000, 0.25, 2, V),
  "gpt-5-nano": m(400_000, 128_000, 0.05, 0.4, V),
  "gpt-4-turbo": m(128_000, 4_096, 10, 30, V),
  "gpt-4": m(8_192, 4_096, 30, 60),
  "gpt-3.5-turbo": m(16_385, 4_096, 0.5, 1.5),
  "o1": m(200_000, 100_000, 15, 60, V),
  "o3": m(200_000, 100_000, 2, 8, V),
  "o3-mini": m(200_000, 100_000, 1.1, 4.4),
  "o4-mini": m(200_000, 100_000, 1.1, 4.4, V),
  "gpt-5.1": m(400_000, 128_000, 1.25, 10, V),
  // Served only by the Responses API
  "o1-pro": m(200_000, 100_000, 150, 600, V),
  "o3-pro": m(200_000, 100_000, 20, 80, V),
  "gpt-5-pro": m(400_000, 272_000, 15, 120, V),
  "gpt-5-codex": m(400_000, 128_000, 1.25, 10, V),
  "gpt-5.1-codex": m(400_000, 128_000, 1.25, 10, V),
  "gpt-5.1-codex-max": m(400_000, 128_000, 1.25, 10, V),
  "codex-mini": m(200_000, 100_000, 1.5, 6),
  "gpt-oss-120b": m(131_072, 32_768, 0.15, 0.6),
  "gpt-oss-20b": m(131_072, 32_768, 0.075, 0.3),
  // Anthropic
  "claude-opus-4": m(200_000, 32_000, 15, 75, V),
  "claude-sonnet-4": m(200_000, 64_000, 3, 15, V),
  "claude-haiku-4-5": m(200_000, 64_000, 1, 5, V),
  "claude-3-7-sonnet": m(200_000, 64_000, 3, 15, V),
  "claude-3-5-sonnet": m(200_000, 8_192, 3, 15, V),
  "claude-3-5-haiku": m(200_000, 8_192, 0.8, 4, V),
  "claude-3-haiku": m(200_000, 4_096, 0.25, 1.25, V),
  // DeepSeek
  "deepseek-chat": m(128_000, 8_192, 0.27, 1.1),
  "deepseek-reasoner": m(128_000, 64_000, 0.55, 2.19),
  // Google
  "gemini-2.0-flash": m(1_048_576, 8_192, 0.1, 0.4, V),
  "gemini-2.5-flash": m(1_048_576, 65_536, 0.3, 2.5, V),
  "gemini-2.5-pro": m(1_048_576, 65_536, 1.25, 10, V),
  // Mistral
  "mistral-large": m(128_000, 4_096, 2, 6),
  "mistral-medium": m(128_000, 8_192, 0.4, 2),
  "mistral-small": m(128_000, 8_192, 0.1, 0.3),
  "magistral-medium": m(40_000, 40_000, 2, 5, { functions: true }),
  "codestral": m(256_000, 8_192, 0.3, 0.9),
  // xAI
  "grok-4": m(256_000, 32_768, 3, 15, V),
  "grok-3": m(131_072, 32_768, 3, 15),
  "grok-3-mini": m(131_072, 32_768, 0.3, 0.5),
  // Cohere (through its OpenAI-compatibility endpoint)
  "command": m(128_000, 4_000, undefined, undefined),
  "command-a": m(256_000, 8_000, 2.5, 10),
  "command-r-plus": m(128_000, 4_000, 2.5, 10),
  "command-r": m(128_000, 4_000, 0.15, 0.6),
  "command-r7b": m(128_000, 4_000, 0.0375, 0.15),
  // Perplexity (no tool calling: code comes in markdown blocks; per-request search fees not counted)
  "sonar": m(128_000, 8_000, 1, 1, { functions: false }),
  "sonar-pro": m(200_000, 8_000, 3, 15, { functions: false }),
  "sonar-reasoning": m(128_000, 8_000, 1, 5, { functions: false }),
  "sonar-reasoning-pro": m(128_000, 8_000, 2, 8, { functions: false }),
  "sonar-deep-research": m(128_000, 8_000, 2, 8, { functions: false }),
  // Amazon Nova (Bedrock; Claude, Llama and Mistral on Bedrock match their own entries)
  "nova-micro": m(128_000, 10_000, 0.035, 0.14),
  "nova-lite": m(300_000, 10_000, 0.06, 0.24, V),
  "nova-pro": m(300_000, 10_000, 0.8, 3.2, V),
  "nova-premier": m(1_000_000, 32_000, 2.5, 12.5, V),
  // Open models as served by hosted providers (Groq, Together, Fireworks, Cerebras, Hugging Face,
  // NVIDIA NIM, SambaNova)
  "llama-3.1-405b": m(131_072, 4_096, 3, 3),
  "llama-3.1-70b": m(131_072, 4_096, 0.6, 0.6),
  "deepseek-r1": m(128_000, 32_768, 0.55, 2.19),
  "deepseek-v3": m(128_000, 8_192, 0.27, 1.1),
  "llama-3.3-70b": m(131_072, 32_768, 0.59, 0.79),
  "llama-3.1-8b": m(131_072, 8_192, 0.05, 0.08),
  "kimi-k2": m(131_072, 16_384, 1, 3),
  "qwen-3-32b": m(131_072, 16_384, 0.29, 0.59),
};

/**
 * Bedrock's model ids: an optional cross-region prefix and the vendor
 * (`us.anthropic.claude-sonnet-4-20250514-v1:0`, `amazon.nova-micro-v1:0`).
 */
const BEDROCK_ID =
  /^(?:(?:us|eu|apac|global|us-gov|au|jp|ca)\.)?(?:anthropic|amazon|meta|mistral|cohere|deepseek|ai21|writer|openai|qwen|moonshot)\./;

/** Looks up a model (provider prefix, organisation and Bedrock vendor parts are ignored). */
export function modelInfo(model: string): ModelInfo | undefined {
  const base = model.toLowerCase().split("/").pop()!.replace(/:latest$/, "")
    .replace(BEDROCK_ID, "").replace(/^meta-(?=llama)/, "");
  let best: string | undefined;
  for (const key of Object.keys(KNOWN_MODELS)) {
    if (
      (base === key || base.startsWith(key + "-") || base.startsWith(key + ":")) &&
      (best === undefined || key.length > best.length)
    ) best = key;
  }
  return best === undefined ? undefined : KNOWN_MODELS[best];
}

/** The price in dollars of a number of tokens, or undefined when the price is unknown. */
export function priceOf(
  model: string,
  usage: { promptTokens: number; completionTokens: number },
): number | undefined {
  const info = modelInfo(model);
  if (info?.inputPrice === undefined || info.outputPrice === undefined) return undefined;
  return (usage.promptTokens * info.inputPrice + usage.completionTokens * info.outputPrice) /
    1_000_000;
}
