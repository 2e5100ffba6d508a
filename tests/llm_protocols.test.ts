/**
 * The new protocols replayed from real recordings over real HTTP (see
 * tests/fixtures/providers/README.md): Bedrock's Converse stream in AWS's
 * binary event-stream framing (SigV4-signed requests, checked against the
 * signer; credentials from the environment and from profiles), OpenAI's
 * Responses API (text, function-call argument deltas, reasoning summaries,
 * failures) and Vertex AI (token from the environment or gcloud). Every
 * error is one line naming the provider, the cause and the fix.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import type { CompletionEvent } from "../lib/llm/client.ts";
import type { AssembledTurn } from "../lib/llm/assembler.ts";
import { LlmError } from "../lib/llm/errors.ts";
import { EventStreamSplitter } from "../lib/llm/eventstream.ts";
import { type FakeTurn, FIXTURES_DIR, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { oneLine, streamCall } from "./helpers/llm_stream.ts";
import { SignatureV4 } from "npm:@smithy/signature-v4@5.7.5";
import { Sha256 } from "npm:@aws-crypto/sha256-js@5.2.0";
import { EventStreamCodec } from "npm:@smithy/eventstream-codec@4.5.2";
import { fromUtf8, toUtf8 } from "npm:@smithy/util-utf8@4.5.2";

const AWS = {
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLE0000TEST",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789",
  AWS_REGION: "us-east-1",
};

interface Run {
  events: CompletionEvent[];
  turn?: AssembledTurn;
  error?: LlmError;
  fake: ReturnType<typeof startFakeOpenAI>;
}

async function run(
  script: FakeTurn[],
  request: { model: string; env?: Record<string, string>; apiKey?: string; apiBase?: boolean },
): Promise<Run> {
  const fake = startFakeOpenAI({ script });
  const env = request.env ?? {};
  try {
    const call = await streamCall({
      model: request.model,
      messages: [{ role: "user", content: "What is the temperature of the capital of France?" }],
      tools: [{
        type: "function",
        function: {
          name: "get_temperature",
          description: "Get the temperature in a city.",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      }],
      apiBase: request.apiBase === false ? undefined : fake.url,
      apiKey: request.apiKey,
      env: (n) => env[n],
      maxRetries: 0,
    });
    if (call.error) return { ...call, fake };
    const done = call.events.find((e) => e.type === "done");
    return { ...call, turn: done?.type === "done" ? done.turn : undefined, fake };
  } finally {
    await fake.close();
  }
}

function streamed(events: CompletionEvent[], type: "text" | "reasoning"): string {
  return events.map((e) => e.type === type ? e.text : "").join("");
}

// ---- Amazon Bedrock (Converse stream, binary event-stream framing) ----

Deno.test("bedrock: Nova's <thinking> text becomes reasoning; the tool call and usage assemble", async () => {
  const r = await run(
    [{ fixture: "bedrock-converse__nova-micro__thinking-tags-then-tool-use.eventstream" }],
    { model: "bedrock/us.amazon.nova-micro-v1:0", env: AWS },
  );
  assertEquals(r.error, undefined);
  const turn = r.turn!;
  assertEquals(turn.text, "");
  assert(turn.reasoning.startsWith("To find the temperature of the capital of France"));
  assert(turn.reasoning.endsWith("the current temperature in Paris."), turn.reasoning);
  assert(!turn.reasoning.includes("thinking>"));
  assertEquals(turn.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)]), [
    ["get_temperature", { city: "Paris" }],
  ]);
  assertEquals(turn.toolCalls[0].id, "tooluse_lAG_zP8QRHmSYOwZzzaCqA");
  assertEquals(turn.finishReason, "tool_calls");
  assertEquals(turn.usage, { promptTokens: 471, completionTokens: 91 });
  assertEquals(streamed(r.events, "reasoning"), turn.reasoning, "reasoning streamed as it came");
});

Deno.test("bedrock: Claude's reasoningContent is reasoning, its text is the answer", async () => {
  const r = await run(
    [{ fixture: "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream" }],
    { model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", env: AWS },
  );
  assertEquals(r.error, undefined);
  assertEquals(r.turn!.text, "Hello! It's nice to meet you. How can I help you today?");
  assert(r.turn!.reasoning.startsWith('The user has greeted me with a simple "Hello".'));
  assertEquals(r.turn!.finishReason, "stop");
  assertEquals(r.turn!.usage, { promptTokens: 36, completionTokens: 73 });
});

Deno.test("bedrock: redacted reasoning (encrypted) is neither shown nor run", async () => {
  const r = await run(
    [{ fixture: "bedrock-converse__claude-3.7-sonnet__redacted-reasoning-then-text.eventstream" }],
    { model: "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0", env: AWS },
  );
  assertEquals(r.error, undefined);
  assertEquals(r.turn!.reasoning, "");
  assert(r.turn!.text.startsWith("I notice you've sent what appears to be some kind of command"));
  assertEquals(r.turn!.toolCalls, []);
});

Deno.test("bedrock: the request is SigV4-signed with the session token; the signature verifies", async () => {
  const r = await run(
    [{ fixture: "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream" }],
    { model: "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", env: AWS },
  );
  assertEquals(r.error, undefined);
  const { fake } = r;
  assertEquals(
    fake.paths[0],
    "/v1/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
  );
  const headers = fake.headers[0];
  const auth = headers.get("authorization")!;
  assertStringIncludes(auth, `Credential=${AWS.AWS_ACCESS_KEY_ID}/`);
  assertStringIncludes(auth, "/us-east-1/bedrock/aws4_request");
  assertEquals(headers.get("x-amz-security-token"), AWS.AWS_SESSION_TOKEN);
  // Re-sign what arrived with the same keys and time: equal only if path, headers and body are as signed.
  const url = new URL(fake.url);
  const date = headers.get("x-amz-date")!;
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${
      date.slice(11, 13)
    }:${date.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    service: "bedrock",
    region: "us-east-1",
    credentials: {
      accessKeyId: AWS.AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS.AWS_SECRET_ACCESS_KEY,
      sessionToken: AWS.AWS_SESSION_TOKEN,
    },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/v1/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
    query: {},
    headers: {
      host: url.host,
      "content-type": headers.get("content-type")!,
      accept: headers.get("accept")!,
    },
    body: fake.bodies[0],
  }, { signingDate });
  assertEquals(auth, signed.headers.authorization);
  // The Converse body: tools as toolSpec, the question as a user text block.
  const body = fake.requests[0];
  assertEquals(body.messages, [{
    role: "user",
    content: [{ text: "What is the temperature of the capital of France?" }],
  }]);
  const tools = (body.toolConfig as { tools: { toolSpec: { name: string } }[] }).tools;
  assertEquals(tools[0].toolSpec.name, "get_temperature");
  // The secret key and the session token appear in no error, log or body.
  assert(!fake.bodies[0].includes(AWS.AWS_SECRET_ACCESS_KEY));
});

Deno.test("bedrock: a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) is sent as a bearer token", async () => {
  const r = await run(
    [{ fixture: "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream" }],
    {
      model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
      env: { AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-0123456789", AWS_REGION: "us-west-2" },
    },
  );
  assertEquals(r.error, undefined);
  assertEquals(r.fake.headers[0].get("authorization"), "Bearer bedrock-api-key-0123456789");
});

Deno.test("bedrock: keys come from ~/.aws/credentials and the region from ~/.aws/config for AWS_PROFILE", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${home}/.aws`);
    await Deno.writeTextFile(
      `${home}/.aws/credentials`,
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = nope\n\n" +
        "[work]\naws_access_key_id = AKIDWORKPROFILE\naws_secret_access_key = s3cr3t-work\n",
    );
    await Deno.writeTextFile(`${home}/.aws/config`, "[profile work]\nregion = eu-central-1\n");
    const r = await run(
      [{ fixture: "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream" }],
      {
        model: "bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0",
        env: { HOME: home, AWS_PROFILE: "work" },
      },
    );
    assertEquals(r.error, undefined);
    const auth = r.fake.headers[0].get("authorization")!;
    assertStringIncludes(auth, "Credential=AKIDWORKPROFILE/");
    assertStringIncludes(auth, "/eu-central-1/bedrock/aws4_request");
    assertEquals(r.fake.headers[0].get("x-amz-security-token"), null);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bedrock: without a region, the default address cannot be made: one line says what to set", async () => {
  const home = await Deno.makeTempDir();
  try {
    const r = await run([], {
      model: "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
      env: { HOME: home, AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "secret-value-123" },
      apiBase: false,
    });
    const message = oneLine(r.error);
    assertStringIncludes(message, "No AWS region for Amazon Bedrock");
    assertStringIncludes(message, "AWS_REGION");
    assertEquals(r.fake.requests.length, 0);
    assert(!message.includes("secret-value-123"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bedrock: no credentials anywhere, or an SSO profile: one line with the fix", async () => {
  const home = await Deno.makeTempDir();
  try {
    const none = await run([], { model: "bedrock/amazon.nova-micro-v1:0", env: { HOME: home } });
    assertEquals(none.error?.kind, "missing_key");
    assertStringIncludes(oneLine(none.error), "No AWS credentials for Amazon Bedrock");
    assertStringIncludes(none.error!.message, "AWS_ACCESS_KEY_ID");
    await Deno.mkdir(`${home}/.aws`);
    await Deno.writeTextFile(
      `${home}/.aws/config`,
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\nregion = us-east-1\n",
    );
    const sso = await run([], {
      model: "bedrock/amazon.nova-micro-v1:0",
      env: { HOME: home, AWS_PROFILE: "sso" },
    });
    assertStringIncludes(oneLine(sso.error), 'profile "sso" signs in with SSO');
    assertStringIncludes(sso.error!.message, "aws configure export-credentials --profile sso");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bedrock: an expired session token is one line naming the cause and the fix", async () => {
  const r = await run([{
    status: 403,
    headers: { "x-amzn-errortype": "ExpiredTokenException:http://internal.amazon.com/coral/" },
    body: { message: "The security token included in the request is expired" },
  }], { model: "bedrock/amazon.nova-micro-v1:0", env: AWS });
  const message = oneLine(r.error);
  assertEquals(r.error!.kind, "auth");
  assertStringIncludes(message, "Amazon Bedrock");
  assertStringIncludes(message, "session token from AWS_ACCESS_KEY_ID has expired");
  assertStringIncludes(message, "aws sso login");
  assert(!message.includes(AWS.AWS_SESSION_TOKEN) && !message.includes(AWS.AWS_SECRET_ACCESS_KEY));
});

Deno.test("bedrock: access denied to a model names the model, the region and the fix", async () => {
  const r = await run([{
    status: 403,
    headers: { "x-amzn-errortype": "AccessDeniedException" },
    body: { message: "You don't have access to the model with the specified model ID." },
  }], { model: "bedrock/anthropic.claude-opus-4-20250514-v1:0", env: AWS });
  const message = oneLine(r.error);
  assertStringIncludes(
    message,
    "denied access to anthropic.claude-opus-4-20250514-v1:0 in us-east-1",
  );
  assertStringIncludes(message, "Bedrock console");
});

Deno.test("bedrock: an exception message mid-stream ends the answer with a clear error", async () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const text = (value: string) => ({ type: "string" as const, value });
  const recorded = await Deno.readFile(
    new URL(
      "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream",
      FIXTURES_DIR,
    ),
  );
  // The recording's first three messages, then a throttling exception as Bedrock frames it.
  let offset = 0;
  for (let i = 0; i < 3; i++) offset += new DataView(recorded.buffer, offset).getUint32(0);
  const exception = codec.encode({
    headers: {
      ":message-type": text("exception"),
      ":exception-type": text("throttlingException"),
      ":content-type": text("application/json"),
    },
    body: fromUtf8('{"message":"Too many tokens, please wait before trying again."}'),
  });
  const bytes = new Uint8Array(offset + exception.length);
  bytes.set(recorded.subarray(0, offset));
  bytes.set(exception, offset);
  const r = await run([{ binary: bytes, chunkSize: 37 }], {
    model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
    env: AWS,
  });
  assertEquals(r.error?.kind, "rate_limit");
  assertStringIncludes(oneLine(r.error), "Amazon Bedrock reported throttlingException mid-answer");
  assertStringIncludes(r.error!.message, "Too many tokens");
  assertEquals(streamed(r.events, "reasoning"), "The user has", "what arrived before is kept");
});

Deno.test("bedrock: a message whose CRC does not match is refused, not parsed", async () => {
  const recorded = await Deno.readFile(
    new URL(
      "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream",
      FIXTURES_DIR,
    ),
  );
  const splitter = new EventStreamSplitter();
  assertEquals(splitter.push(recorded).length > 10, true, "the recording decodes");
  const corrupt = recorded.slice();
  corrupt[40] ^= 0x20; // a byte of the first message's headers
  const r = await run([{ binary: corrupt }], {
    model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
    env: AWS,
  });
  assertEquals(r.error?.kind, "provider");
  assertStringIncludes(oneLine(r.error), "corrupt event-stream message");
  assertEquals(r.events.filter((e) => e.type !== "retry"), []);
});

Deno.test("bedrock: a stream cut inside a message is reported as broken off", async () => {
  const recorded = await Deno.readFile(
    new URL(
      "bedrock-converse__claude-sonnet-4__reasoning-content-then-text.eventstream",
      FIXTURES_DIR,
    ),
  );
  const r = await run([{ binary: recorded.subarray(0, 1000) }], {
    model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
    env: AWS,
  });
  assertEquals(r.error?.kind, "stream_cut");
  assertStringIncludes(oneLine(r.error), "Amazon Bedrock broke off mid-stream");
  assert(streamed(r.events, "reasoning").startsWith("The user has"));
});

// ---- OpenAI Responses API ----

Deno.test("responses: a function call's argument deltas assemble (gpt-4o, event: lines)", async () => {
  const r = await run([{ fixture: "openai-responses__gpt-4o__function-call.sse" }], {
    model: "openai/o3-pro",
    apiKey: "sk-test-0123456789",
  });
  assertEquals(r.error, undefined);
  assertEquals(r.fake.paths[0], "/v1/responses");
  assertEquals(r.turn!.toolCalls, [{
    id: "call_kL0PCQV7M2WMoVX8V8OtYSAL",
    name: "get_capital",
    arguments: '{"country":"France"}',
  }]);
  assertEquals(r.turn!.finishReason, "tool_calls");
  assertEquals(r.turn!.usage, { promptTokens: 255, completionTokens: 16 });
  const body = r.fake.requests[0];
  assertEquals(body.reasoning, { summary: "auto" }, "reasoning summaries asked for o3-pro");
  assertEquals((body.tools as Record<string, unknown>[])[0], {
    type: "function",
    name: "get_temperature",
    description: "Get the temperature in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } } },
    strict: false,
  });
});

Deno.test("responses: text deltas assemble into the answer", async () => {
  const r = await run([{ fixture: "openai-responses__gpt-4o__text-after-function-output.sse" }], {
    model: "openai/o1-pro",
    apiKey: "sk-test-0123456789",
  });
  assertEquals(r.error, undefined);
  assertEquals(r.turn!.text, "The capital of France is Paris.");
  assertEquals(streamed(r.events, "text"), "The capital of France is Paris.");
  assertEquals(r.turn!.finishReason, "stop");
});

Deno.test("responses: reasoning summaries are reasoning (shown, never run); then the call", async () => {
  const r = await run([{
    fixture: "openai-responses__gpt-5.1-codex-max__reasoning-summary-then-function-call.chunks.txt",
  }], { model: "openai/gpt-5.1-codex-max", env: { OPENAI_API_KEY: "sk-env-0123456789" } });
  assertEquals(r.error, undefined);
  assertEquals(r.fake.headers[0].get("authorization"), "Bearer sk-env-0123456789");
  const turn = r.turn!;
  assert(
    turn.reasoning.startsWith("**Calculating step-by-step using calculator**\n\nI'll compute"),
  );
  assertEquals(turn.text, "");
  assertEquals(turn.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)]), [
    ["calculator", { a: 12, b: 7, op: "add" }],
  ]);
  assertEquals(turn.usage, { promptTokens: 134, completionTokens: 28 });
  // The reasoning arrived as reasoning events only: nothing of it is text or a tool call.
  assert(r.events.every((e) => e.type !== "text"));
});

Deno.test("responses: a failed response (quota) is one line naming the cause and the fix", async () => {
  const r = await run([{
    fixture: "openai-responses__response-failed-insufficient-quota.chunks.txt",
  }], {
    model: "openai/gpt-5-pro",
    apiKey: "sk-test-0123456789",
  });
  assertEquals(r.error?.kind, "rate_limit");
  const message = oneLine(r.error);
  assertStringIncludes(message, "openai (Responses API) reported that the response failed");
  assertStringIncludes(message, "insufficient_quota");
  assertStringIncludes(message, "Add credit");
});

// ---- Vertex AI ----

Deno.test("vertex: without a project, one line says which variable to set", async () => {
  const r = await run([], {
    model: "vertex_ai/gemini-2.5-pro",
    env: { GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.token" },
    apiBase: false,
  });
  assertStringIncludes(oneLine(r.error), "Vertex AI project not set");
  assertStringIncludes(r.error!.message, "VERTEXAI_PROJECT");
  assertEquals(r.fake.requests.length, 0);
});

Deno.test("vertex: the token comes from `gcloud auth print-access-token` when no variable holds one", async () => {
  const bin = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${bin}/gcloud`,
      '#!/bin/sh\n[ "$1 $2" = "auth print-access-token" ] || exit 9\necho ya29.from-gcloud-0123456789\n',
      { mode: 0o755 },
    );
    const r = await run([{ text: "vertex says hi" }], {
      model: "vertex_ai/gemini-2.5-flash",
      env: { PATH: `relative/bin:${bin}`, VERTEXAI_PROJECT: "p" },
    });
    assertEquals(r.error, undefined);
    assertEquals(r.turn!.text, "vertex says hi");
    assertEquals(r.fake.headers[0].get("authorization"), "Bearer ya29.from-gcloud-0123456789");
    assertEquals(r.fake.requests[0].model, "google/gemini-2.5-flash");
    // gcloud failing (not logged in) is one line with the fix (another folder: tokens are reused).
    const failing = `${bin}/failing`;
    await Deno.mkdir(failing);
    await Deno.writeTextFile(
      `${failing}/gcloud`,
      "#!/bin/sh\necho 'ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected.' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    const failed = await run([], {
      model: "vertex_ai/gemini-2.5-flash",
      env: { PATH: failing, VERTEXAI_PROJECT: "p" },
    });
    assertStringIncludes(oneLine(failed.error), "gcloud could not print an access token");
    assertStringIncludes(failed.error!.message, "gcloud auth login");
    const none = await run([], {
      model: "vertex_ai/gemini-2.5-flash",
      env: { PATH: "/nonexistent", VERTEXAI_PROJECT: "p" },
    });
    assertStringIncludes(oneLine(none.error), "No Google Cloud access token for Vertex AI");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("bedrock: the event-stream decoder passes AWS's published test vectors", async () => {
  // AWS's event-stream encoding vectors (positive and negative), as vendored by
  // smithy-lang/smithy-typescript: see tests/fixtures/providers/README.md.
  const vectors = JSON.parse(
    await Deno.readTextFile(new URL("aws-eventstream__test-vectors.json", FIXTURES_DIR)),
  ) as Record<
    string,
    { expectation: string; encoded: string; body?: string; headers?: Record<string, string> }
  >;
  const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  const names = Object.keys(vectors);
  assertEquals(names.length, 9);
  for (const name of names) {
    const vector = vectors[name];
    const splitter = new EventStreamSplitter();
    if (vector.expectation === "success") {
      const messages = splitter.push(bytes(vector.encoded));
      assertEquals(messages.length, 1, name);
      assertEquals(messages[0].body, vector.body, name);
      for (const [header, value] of Object.entries(vector.headers ?? {})) {
        assertEquals(messages[0].headers[header], value, `${name}: ${header}`);
      }
      assertEquals(splitter.pending, 0, name);
    } else {
      let refused: unknown;
      let messages: unknown[] = [];
      try {
        messages = splitter.push(bytes(vector.encoded));
      } catch (err) {
        refused = err;
      }
      assertEquals(messages, [], `${name} decodes to nothing`);
      // A bad CRC is refused at once; a length beyond the bytes waits for more (a cut stream).
      if (name === "corrupted_length") assert(!refused && splitter.pending > 0, name);
      else {
        assert(refused instanceof LlmError, `${name} is refused`);
        assertStringIncludes(refused.message, "corrupt event-stream message");
      }
    }
  }
});

Deno.test("vertex: a gcloud inside the working directory (where code writes) is never run", async () => {
  const planted = await Deno.makeTempDir({ dir: Deno.cwd(), prefix: ".planted-gcloud-" });
  const marker = `${planted}/ran`;
  try {
    await Deno.writeTextFile(
      `${planted}/gcloud`,
      `#!/bin/sh\ntouch '${marker}'\necho ya29.planted-token-0123456789\n`,
      { mode: 0o755 },
    );
    const r = await run([{ text: "never" }], {
      model: "vertex_ai/gemini-2.5-flash",
      env: { PATH: planted, VERTEXAI_PROJECT: "p" },
    });
    assertStringIncludes(oneLine(r.error), "No Google Cloud access token for Vertex AI");
    assertEquals(r.fake.requests.length, 0);
    assertEquals(await Deno.stat(marker).then(() => true, () => false), false, "it ran");
    // Control: the same program outside the working directory is run.
    const outside = await Deno.makeTempDir();
    try {
      await Deno.copyFile(`${planted}/gcloud`, `${outside}/gcloud`);
      await Deno.chmod(`${outside}/gcloud`, 0o755);
      const ok = await run([{ text: "ran" }], {
        model: "vertex_ai/gemini-2.5-flash",
        env: { PATH: outside, VERTEXAI_PROJECT: "p" },
      });
      assertEquals(ok.error, undefined);
      assertEquals(await Deno.stat(marker).then(() => true, () => false), true, "control ran");
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  } finally {
    await Deno.remove(planted, { recursive: true });
  }
});
