/**
 * The new providers' secrets (AWS keys and session token, a Bedrock API key,
 * Hugging Face and Cohere keys, a Google access token) never reach generated
 * code: the real program runs real Python in its sandbox, which dumps its
 * environment; a plain variable set beside them is the control that proves
 * the dump sees the environment. The secrets are also absent from what the
 * program prints.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";

const SECRETS: Record<string, string> = {
  AWS_ACCESS_KEY_ID: "AKIDSECRETTEST0000001",
  AWS_SECRET_ACCESS_KEY: "aws-secret-access-key-7c1e9f",
  AWS_SESSION_TOKEN: "aws-session-token-4b2d8a",
  AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-91ad3c",
  HF_TOKEN: "hf_token_value_5e7f21",
  CO_API_KEY: "co-api-key-value-0b9d44",
  GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.google-token-3f8e",
  NVIDIA_NIM_API_KEY: "nvapi-secret-2a7c91",
};

const DUMP = "import os, json\nprint('ENV=' + json.dumps(dict(os.environ)))";

Deno.test("secrets: provider credentials are withheld from generated code (plain variable control)", async () => {
  const home = await Deno.makeTempDir({ prefix: "interpreter-llm-secrets-" });
  const fake = startFakeOpenAI({
    script: [{ toolCalls: [{ language: "python", code: DUMP }] }, { text: "done" }],
  });
  try {
    const run = await runCli([...modelArgs(fake.url), "-y", "show the environment"], {
      home,
      cwd: home,
      env: { ...SECRETS, PLAIN_CONTROL_VAR: "visible-control-value" },
    });
    assertEquals(run.code, 0, run.stdout + run.stderr);
    // What the code printed went back to the model as the tool result.
    const tool = (fake.requests[1].messages as { role: string; content: string }[])
      .find((m) => m.role === "tool");
    assert(tool, "the run's output was sent back");
    const line = tool.content.split("\n").find((l) => l.startsWith("ENV="));
    assert(line, `the environment was dumped: ${tool.content.slice(0, 200)}`);
    const env = JSON.parse(line.slice(4)) as Record<string, string>;
    assertEquals(env.PLAIN_CONTROL_VAR, "visible-control-value", "control: the dump sees env");
    for (const [name, value] of Object.entries(SECRETS)) {
      assertEquals(env[name], undefined, `${name} reached generated code`);
      assert(!line.includes(value), `the value of ${name} reached generated code`);
      assert(!run.stdout.includes(value) && !run.stderr.includes(value), `${name} was printed`);
    }
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});
