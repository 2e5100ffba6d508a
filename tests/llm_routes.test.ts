/**
 * Model names route to the right provider (issue 14's acceptance): for each
 * name, the resolved provider, default URL and key variable; then a real
 * request to the fake server (the provider moved there with LiteLLM's
 * `<PROVIDER>_API_BASE`), checking the path, the headers carrying the key
 * from that variable, and the model sent. Bare names are guessed as LiteLLM
 * guesses them; a prefix always wins; `openai/` forces chat completions.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { streamCompletion } from "../lib/llm/client.ts";
import { PROVIDERS, resolveModel } from "../lib/llm/providers.ts";
import { isSecretName, PROVIDER_KEY_ENV } from "../lib/wire/secrets.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";

interface Route {
  /** The name as typed after --model. */
  name: string;
  /** The expected provider (its `name`), default URL and key variable. */
  provider: string;
  url: string;
  keyVariable?: string;
  /** The variable that moves the provider to the fake server, and the path appended to its origin. */
  baseEnv: string;
  basePath: string;
  /** The request path the fake server must see, the model in the body, and the key header. */
  path: string;
  model: string;
  header: (key: string) => [string, string];
  /** A turn the protocol understands. */
  turn?: FakeTurn;
}

const bearer = (key: string): [string, string] => ["authorization", `Bearer ${key}`];
const anthropicText = [
  { type: "message_start", message: { usage: { input_tokens: 3, output_tokens: 1 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "routed" } },
  { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } },
  { type: "message_stop" },
].map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");

const ROUTES: Route[] = [
  {
    name: "command-nightly",
    provider: "cohere",
    url: "https://api.cohere.ai/compatibility/v1",
    keyVariable: "COHERE_API_KEY",
    baseEnv: "COHERE_API_BASE",
    basePath: "/compatibility/v1",
    path: "/compatibility/v1/chat/completions",
    model: "command-nightly",
    header: bearer,
  },
  {
    name: "claude-2",
    provider: "anthropic",
    url: "https://api.anthropic.com/v1",
    keyVariable: "ANTHROPIC_API_KEY",
    baseEnv: "ANTHROPIC_API_BASE",
    basePath: "/v1",
    path: "/v1/messages",
    model: "claude-2",
    header: (key) => ["x-api-key", key],
    turn: { sse: anthropicText },
  },
  {
    name: "gpt-3.5-turbo",
    provider: "openai",
    url: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    baseEnv: "OPENAI_API_BASE",
    basePath: "/v1",
    path: "/v1/chat/completions",
    model: "gpt-3.5-turbo",
    header: bearer,
  },
  {
    name: "perplexity/sonar-pro",
    provider: "perplexity",
    url: "https://api.perplexity.ai",
    keyVariable: "PERPLEXITY_API_KEY",
    baseEnv: "PERPLEXITY_API_BASE",
    basePath: "",
    path: "/chat/completions",
    model: "sonar-pro",
    header: bearer,
  },
  {
    name: "huggingface/meta-llama/Llama-3.3-70B-Instruct",
    provider: "huggingface",
    url: "https://router.huggingface.co/v1",
    keyVariable: "HF_TOKEN",
    baseEnv: "HUGGINGFACE_API_BASE",
    basePath: "/v1",
    path: "/v1/chat/completions",
    model: "meta-llama/Llama-3.3-70B-Instruct",
    header: bearer,
  },
  {
    name: "nvidia_nim/meta/llama-3.1-405b-instruct",
    provider: "nvidia_nim",
    url: "https://integrate.api.nvidia.com/v1",
    keyVariable: "NVIDIA_NIM_API_KEY",
    baseEnv: "NVIDIA_NIM_API_BASE",
    basePath: "/v1",
    path: "/v1/chat/completions",
    model: "meta/llama-3.1-405b-instruct",
    header: bearer,
  },
  {
    name: "sambanova/Meta-Llama-3.3-70B-Instruct",
    provider: "sambanova",
    url: "https://api.sambanova.ai/v1",
    keyVariable: "SAMBANOVA_API_KEY",
    baseEnv: "SAMBANOVA_API_BASE",
    basePath: "/v1",
    path: "/v1/chat/completions",
    model: "Meta-Llama-3.3-70B-Instruct",
    header: bearer,
  },
  {
    name: "vertex_ai/gemini-2.5-pro",
    provider: "vertex_ai",
    url:
      "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/endpoints/openapi",
    keyVariable: "GOOGLE_OAUTH_ACCESS_TOKEN",
    baseEnv: "VERTEX_AI_API_BASE",
    basePath: "/v1/projects/my-proj/locations/europe-west4/endpoints/openapi",
    path: "/v1/projects/my-proj/locations/europe-west4/endpoints/openapi/chat/completions",
    model: "google/gemini-2.5-pro",
    header: bearer,
  },
  {
    name: "o3-pro",
    provider: "openai",
    url: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    baseEnv: "OPENAI_API_BASE",
    basePath: "/v1",
    path: "/v1/responses",
    model: "o3-pro",
    header: bearer,
    turn: { fixture: "openai-responses__gpt-4o__text-after-function-output.sse" },
  },
  {
    name: "mistral/codestral-latest",
    provider: "mistral",
    url: "https://api.mistral.ai/v1",
    keyVariable: "MISTRAL_API_KEY",
    baseEnv: "MISTRAL_API_BASE",
    basePath: "/v1",
    path: "/v1/chat/completions",
    model: "codestral-latest",
    header: bearer,
  },
  {
    // `openai/` forces chat completions even for a name another provider owns.
    name: "openai/claude-3-5-sonnet",
    provider: "openai",
    url: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    baseEnv: "OPENAI_API_BASE",
    basePath: "/v1",
    path: "/v1/chat/completions",
    model: "claude-3-5-sonnet",
    header: bearer,
  },
];

/** A fake environment holding one distinct key per variable, the Vertex project and location. */
function fakeEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    VERTEXAI_PROJECT: "my-proj",
    VERTEXAI_LOCATION: "europe-west4",
  };
  for (const provider of Object.values(PROVIDERS)) {
    for (const name of provider.keyEnv) env[name] = `key-of-${name}-0123456789`;
  }
  return { ...env, ...extra };
}

for (const route of ROUTES) {
  Deno.test(`routes: --model ${route.name} goes to ${route.provider}`, async () => {
    const env = fakeEnv();
    const resolved = resolveModel(route.name, { env: (n) => env[n] });
    assertEquals(resolved.provider.name, route.provider);
    assertEquals(resolved.apiBase, route.url);
    assertEquals(resolved.keyVariable, route.keyVariable);
    assertEquals(resolved.model, route.model);

    const fake = startFakeOpenAI({ script: [route.turn ?? { text: "routed" }] });
    const origin = new URL(fake.url).origin;
    env[route.baseEnv] = origin + route.basePath;
    try {
      let text = "";
      for await (
        const ev of streamCompletion({
          model: route.name,
          messages: [{ role: "user", content: "hi" }],
          env: (n) => env[n],
        })
      ) if (ev.type === "text") text += ev.text;
      assert(text.length > 0, "the answer arrived");
      assertEquals(fake.paths[0], route.path);
      assertEquals(fake.requests[0].model, route.model);
      const [header, value] = route.header(env[route.keyVariable!]);
      assertEquals(fake.headers[0].get(header), value);
      // Cohere's compatibility endpoint rejects stream_options; the others get usage with it.
      if (route.path.endsWith("/chat/completions")) {
        assertEquals("stream_options" in fake.requests[0], route.provider !== "cohere");
      }
    } finally {
      await fake.close();
    }
  });
}

Deno.test("routes: bare names are guessed as LiteLLM does; a prefix always wins", () => {
  const env = (_: string) => undefined;
  const guess = (name: string) => resolveModel(name, { env }).provider.name;
  assertEquals(guess("command-r-plus"), "cohere");
  assertEquals(guess("command-a-03-2025"), "cohere");
  assertEquals(guess("claude-3-haiku-20240307"), "anthropic");
  assertEquals(guess("gemini-2.0-flash"), "gemini");
  assertEquals(guess("mistral-large-latest"), "mistral");
  assertEquals(guess("codestral-latest"), "mistral");
  assertEquals(guess("magistral-medium-latest"), "mistral");
  assertEquals(guess("deepseek-chat"), "deepseek");
  assertEquals(guess("grok-4"), "xai");
  for (const name of ["gpt-4o", "o1", "o3-mini", "o4-mini", "chatgpt-4o-latest", "commander"]) {
    assertEquals(guess(name), "openai", name);
  }
  assertEquals(guess("anthropic/command-r"), "anthropic");
  assertEquals(guess("cohere/claude-x"), "cohere");
  assertEquals(guess("co_api/x"), "openai", "an unknown prefix is part of the name");
});

Deno.test("routes: Cohere's own finish reasons read as OpenAI's", async () => {
  // No recording of Cohere's compatibility endpoint exists in the public repositories searched
  // (see tests/fixtures/providers/README.md); these are the finish reasons of Cohere's API.
  const { ChatStreamAssembler } = await import("../lib/llm/assembler.ts");
  for (
    const [native, openai] of [
      ["COMPLETE", "stop"],
      ["MAX_TOKENS", "length"],
      ["TOOL_CALL", "tool_calls"],
      ["STOP_SEQUENCE", "stop"],
      ["tool_calls", "tool_calls"],
    ]
  ) {
    const assembler = new ChatStreamAssembler();
    assembler.push({ choices: [{ index: 0, delta: { content: "x" }, finish_reason: native }] });
    assertEquals(assembler.result().finishReason, openai, native);
  }
});

Deno.test("routes: CO_API_KEY alone is Cohere's key", () => {
  const resolved = resolveModel("command-r", {
    env: (n) => n === "CO_API_KEY" ? "co-key-0123456789" : undefined,
  });
  assertEquals(resolved.keyVariable, "CO_API_KEY");
  assertEquals(resolved.apiKey, "co-key-0123456789");
});

Deno.test("routes: the Responses API serves o1-pro, o3-pro, gpt-5-pro and codex models, or when asked", () => {
  const env = (_: string) => undefined;
  const protocol = (name: string, apiProtocol?: "auto" | "chat" | "responses") =>
    resolveModel(name, { env, apiProtocol }).provider.protocol;
  for (
    const name of ["o1-pro", "o3-pro-2025-06-10", "gpt-5-pro", "gpt-5-codex", "codex-mini-latest"]
  ) {
    assertEquals(protocol(name), "responses", name);
  }
  assertEquals(protocol("gpt-5.1-codex-max"), "responses");
  assertEquals(protocol("gpt-4o"), "openai");
  assertEquals(protocol("gpt-4o", "responses"), "responses");
  assertEquals(protocol("openai/responses/gpt-4o"), "responses");
  assertEquals(resolveModel("openai/responses/gpt-4o", { env }).model, "gpt-4o");
  assertEquals(protocol("o3-pro", "chat"), "openai", "asking for chat wins");
  assertEquals(protocol("anthropic/claude-sonnet-4", "responses"), "anthropic");
});

Deno.test("routes: --api_protocol responses sends a Responses request", async () => {
  const fake = startFakeOpenAI({
    script: [{ fixture: "openai-responses__gpt-4o__text-after-function-output.sse" }],
  });
  try {
    for await (
      const _ of streamCompletion({
        model: "openai/gpt-4o",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hi" },
        ],
        apiBase: fake.url,
        apiKey: "sk-test-0123456789",
        apiProtocol: "responses",
      })
    ) { /* drain */ }
    assertEquals(fake.paths[0], "/v1/responses");
    assertEquals(fake.requests[0].instructions, "Be brief.");
    assertEquals(fake.requests[0].input, [{ role: "user", content: "hi" }]);
    assertEquals(fake.requests[0].stream, true);
  } finally {
    await fake.close();
  }
});

Deno.test("routes: every provider key variable is a secret name the sandbox withholds", () => {
  const names = new Set(Object.values(PROVIDERS).flatMap((p) => p.keyEnv));
  assert(names.size > 20);
  for (const name of names) {
    assert(isSecretName(name), `${name} matches the secret patterns`);
    assert(PROVIDER_KEY_ENV.includes(name), `${name} is in PROVIDER_KEY_ENV`);
  }
  for (
    const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HF_TOKEN"]
  ) {
    assert(PROVIDER_KEY_ENV.includes(name), name);
  }
});

Deno.test("routes: --help lists every provider prefix and its key variable", async () => {
  const { helpText } = await import("../lib/terminal/flags.ts");
  const help = helpText().replace(/\s+/g, " ");
  for (
    const prefix of [
      "openai",
      "anthropic",
      "azure",
      "gemini",
      "vertex_ai",
      "bedrock",
      "mistral",
      "deepseek",
      "xai",
      "cohere",
      "perplexity",
      "groq",
      "together",
      "fireworks",
      "cerebras",
      "openrouter",
      "huggingface",
      "nvidia_nim",
      "sambanova",
      "ollama",
    ]
  ) {
    assertStringIncludes(help, prefix);
    const key = PROVIDERS[prefix].keyEnv[0];
    if (!PROVIDERS[prefix].local) assertStringIncludes(help, key);
  }
});

Deno.test("routes: the model table knows the new providers' popular models", async () => {
  const { modelInfo } = await import("../lib/llm/models.ts");
  const known: [string, number, boolean, boolean, number | undefined][] = [
    // name, context window, tools, vision, input price
    ["command-a-03-2025", 256_000, true, false, 2.5],
    ["cohere/command-r-plus-08-2024", 128_000, true, false, 2.5],
    ["perplexity/sonar-pro", 200_000, false, false, 3],
    ["bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", 200_000, true, true, 3],
    ["bedrock/amazon.nova-pro-v1:0", 300_000, true, true, 0.8],
    ["vertex_ai/gemini-2.5-pro", 1_048_576, true, true, 1.25],
    ["o3-pro", 200_000, true, true, 20],
    ["gpt-5-pro", 400_000, true, true, 15],
    ["sambanova/Meta-Llama-3.3-70B-Instruct", 131_072, true, false, 0.59],
    ["nvidia_nim/meta/llama-3.1-405b-instruct", 131_072, true, false, 3],
    ["huggingface/deepseek-ai/DeepSeek-R1", 128_000, true, false, 0.55],
  ];
  for (const [name, window, tools, vision, price] of known) {
    const info = modelInfo(name);
    assert(info, name);
    assertEquals(
      [info.contextWindow, info.supportsFunctions, info.supportsVision, info.inputPrice],
      [window, tools, vision, price],
      name,
    );
  }
});

Deno.test("routes: --api_protocol responses reaches the client from the command line", async () => {
  const { modelArgs, runCli } = await import("./helpers/terminal_cli.ts");
  const fake = startFakeOpenAI({
    script: [{ fixture: "openai-responses__gpt-4o__text-after-function-output.sse" }],
  });
  const home = await Deno.makeTempDir();
  try {
    const run = await runCli([...modelArgs(fake.url), "--api_protocol", "responses", "hi"], {
      home,
    });
    assertEquals(run.code, 0, run.stdout + run.stderr);
    assertStringIncludes(run.stdout, "The capital of France is Paris.");
    assertEquals(fake.paths, ["/v1/responses"]);
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("routes: --vertex_project and --vertex_location make the Vertex AI address", async () => {
  const { interpreterOptionsFromProfile } = await import("../lib/terminal/settings.ts");
  const { profileFromFlags } = await import("../lib/profiles/mod.ts");
  const profile = profileFromFlags({
    model: "vertex_ai/gemini-2.5-pro",
    vertex_project: "my-proj",
    vertex_location: "europe-west4",
    api_protocol: "chat",
  });
  const options = interpreterOptionsFromProfile(profile);
  assertEquals(
    options.llm?.apiBase,
    "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/endpoints/openapi",
  );
  assertEquals(options.llm?.apiProtocol, "chat");
  // Another provider's model ignores the Vertex settings.
  const other = interpreterOptionsFromProfile(
    profileFromFlags({ model: "gpt-4o", vertex_project: "my-proj" }),
  );
  assertEquals(other.llm?.apiBase, undefined);
});
