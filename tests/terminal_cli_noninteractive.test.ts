import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { runCli } from "./helpers/terminal_cli.ts";

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "interpreter-cli-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

function model(url: string): string[] {
  return ["--api_base", url, "--model", "gpt-4o-mini", "--api_key", "sk-cli-test-key-0123456789"];
}

function lastUserText(body: Record<string, unknown>): string {
  const messages = body.messages as { role: string; content: unknown }[];
  const users = messages.filter((m) => m.role === "user");
  return JSON.stringify(users[users.length - 1]?.content ?? "");
}

Deno.test("cli: --version, --help and bad usage", async () => {
  await withHome(async (home) => {
    const v = await runCli(["--version"], { home });
    assertEquals(v.code, 0);
    assert(/^interpreter \d+\.\d+\.\d+\n$/.test(v.stdout), v.stdout);
    const h = await runCli(["--help"], { home });
    assertEquals(h.code, 0);
    assertStringIncludes(h.stdout, "Permissions for generated code:");
    const bad = await runCli(["--no-such-flag"], { home });
    assertEquals(bad.code, 2);
    assertEquals(bad.stderr.trim().split("\n").length, 1);
    assertStringIncludes(bad.stderr, "unknown flag --no-such-flag");
    await Deno.mkdir(`${home}/config/profiles`, { recursive: true });
    await Deno.writeTextFile(`${home}/config/profiles/broken.yaml`, "llm:\n  temperature: hot\n");
    const prof = await runCli(["--profile", "broken", "hi"], { home });
    assertEquals(prof.code, 2);
    assertStringIncludes(prof.stderr, 'broken.yaml: "llm.temperature" should be a number');
    const none = await runCli([], { home });
    assertEquals(none.code, 2);
    assertStringIncludes(none.stderr, "no message");
  });
});

Deno.test({
  name: "cli: one request prints the answer, saves the conversation without the key",
  fn: async () => {
    const fake = startFakeOpenAI({
      script: [{
        text: "Hello from the **model**.",
        usage: { prompt_tokens: 50, completion_tokens: 7 },
      }],
    });
    try {
      await withHome(async (home) => {
        const r = await runCli([...model(fake.url), "say hello"], { home });
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, "Hello from the **model**.");
        const dir = `${home}/data/conversations`;
        const files = [...Deno.readDirSync(dir)].map((e) => e.name);
        assertEquals(files.length, 1);
        const saved = await Deno.readTextFile(`${dir}/${files[0]}`);
        assertStringIncludes(saved, "say hello");
        assert(!saved.includes("sk-cli-test-key"), "no API key on disk");
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "cli: --json prints only LMC chunks, one JSON object per line",
  fn: async () => {
    const fake = startFakeOpenAI({
      script: [{ toolCalls: [{ language: "python", code: "print(6 * 7)" }] }, {
        text: "It is 42.",
      }],
    });
    try {
      await withHome(async (home) => {
        const r = await runCli([...model(fake.url), "--json", "-y", "compute"], { home });
        assertEquals(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split("\n");
        const chunks = lines.map((l) => JSON.parse(l));
        for (const c of chunks) {
          assert(typeof c.role === "string" && typeof c.type === "string", JSON.stringify(c));
        }
        assert(chunks.some((c) => c.type === "code" && c.start), "code block start");
        assert(
          chunks.some((c) =>
            c.type === "console" && c.format === "output" && String(c.content).includes("42")
          ),
        );
        assertEquals(
          chunks.filter((c) => c.type === "message").map((c) => c.content ?? "").join(""),
          "It is 42.",
        );
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "cli: piped stdin is added to the message; -y runs the code",
  fn: async () => {
    const fake = startFakeOpenAI({
      script: [{ toolCalls: [{ language: "shell", code: "echo ran-$((40+2))" }] }, {
        text: "The build failed on line 3.",
      }],
    });
    try {
      await withHome(async (home) => {
        const r = await runCli([...model(fake.url), "-y", "why did this fail?"], {
          home,
          stdin: "error: missing semicolon at line 3\n",
        });
        assertEquals(r.code, 0, r.stderr);
        const first = lastUserText(fake.requests[0]);
        assertStringIncludes(first, "why did this fail?");
        assertStringIncludes(first, "missing semicolon at line 3");
        assertStringIncludes(JSON.stringify(fake.requests[1].messages), "ran-42");
        assertStringIncludes(r.stdout, "The build failed on line 3.");
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "cli: without --yes and no terminal, code does not run, the model is told, exit 3",
  fn: async () => {
    await withHome(async (home) => {
      const marker = `${home}/should-not-exist`;
      const fake = startFakeOpenAI({
        script: [
          { toolCalls: [{ language: "shell", code: `touch ${marker}` }] },
          { text: "Understood, I will not run it." },
        ],
      });
      try {
        const r = await runCli([...model(fake.url), "make a file"], { home, stdin: "" });
        assertEquals(r.code, 3, r.stderr);
        assertStringIncludes(r.stderr, "not approved");
        assertEquals(await Deno.stat(marker).then(() => true, () => false), false);
        assertEquals(fake.requests.length, 2);
        assertStringIncludes(JSON.stringify(fake.requests[1].messages), "declined");
        assertStringIncludes(r.stdout, "Understood, I will not run it.");
      } finally {
        await fake.close();
      }
    });
  },
});

Deno.test({
  name: "cli: model errors exit 1, turn limits exit 4",
  fn: async () => {
    const fake = startFakeOpenAI({
      script: [
        {
          status: 401,
          body: {
            error: {
              message: "Incorrect API key provided",
              type: "invalid_request_error",
              code: "invalid_api_key",
            },
          },
        },
        { toolCalls: [{ language: "shell", code: "echo one" }] },
      ],
    });
    try {
      await withHome(async (home) => {
        const err = await runCli([...model(fake.url), "hi"], { home });
        assertEquals(err.code, 1, err.stderr);
        assert(!err.stderr.includes("sk-cli-test-key"), "the key is never printed");
        const limit = await runCli([...model(fake.url), "-y", "--max_turns", "1", "loop"], {
          home,
        });
        assertEquals(limit.code, 4, limit.stderr + limit.stdout);
        assertStringIncludes(limit.stdout + limit.stderr, "maxTurns");
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "cli: --json shows API errors, a missing key and limits as one LMC error chunk on stdout",
  fn: async () => {
    const fake = startFakeOpenAI({
      apiKey: "the-right-key-000000",
      script: [{ toolCalls: [{ language: "shell", code: "echo one" }] }],
    });
    const errorChunks = (stdout: string) => {
      const chunks = stdout.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
      return chunks.filter((c) => c.type === "error");
    };
    try {
      await withHome(async (home) => {
        const env = { OPENAI_API_KEY: "" };
        // 401: exit 1, the stderr line, and the same message as a chunk on stdout.
        const auth = await runCli([...model(fake.url), "--json", "hi"], { home, env });
        assertEquals(auth.code, 1, auth.stderr);
        assertStringIncludes(auth.stderr, "401");
        const [authChunk, ...more] = errorChunks(auth.stdout);
        assertEquals(more.length, 0, auth.stdout);
        assertEquals(Object.keys(authChunk).sort(), ["content", "format", "role", "type"]);
        assertEquals([authChunk.role, authChunk.format], ["server", "auth"]);
        assertStringIncludes(authChunk.content, "401");
        assert(!authChunk.content.includes("\n"), "one line");
        assert(!auth.stdout.includes("sk-cli-test-key"), "the key is never printed");
        // No key at all, before any request: the same shape.
        const missing = await runCli(["-m", "gpt-4o", "--json", "hi"], { home, env });
        assertEquals(missing.code, 1, missing.stderr);
        assertStringIncludes(missing.stderr, "No API key");
        const [missingChunk] = errorChunks(missing.stdout);
        assertEquals([missingChunk.role, missingChunk.format], ["server", "missing_key"]);
        assertStringIncludes(missingChunk.content, "OPENAI_API_KEY");
        // The turn limit, reported by the engine: the same shape again.
        const limit = await runCli(
          [
            "--api_base",
            fake.url,
            "-m",
            "gpt-4o-mini",
            "--api_key",
            "the-right-key-000000",
            "--json",
            "-y",
            "--max_turns",
            "1",
            "loop",
          ],
          { home, env },
        );
        assertEquals(limit.code, 4, limit.stderr);
        const [limitChunk] = errorChunks(limit.stdout);
        assertEquals(Object.keys(limitChunk).sort(), ["content", "format", "role", "type"]);
        assertEquals([limitChunk.role, limitChunk.format], ["server", "max_turns"]);
        assert(!limit.stdout.includes("the-right-key"), "the key is never printed");
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "cli: a rejected key says where the key came from, never the key",
  fn: async () => {
    const fake = startFakeOpenAI({ apiKey: "the-right-key-000000", script: [] });
    const wrong = "sk-wrong-env-key-55555555";
    try {
      await withHome(async (home) => {
        // -m gpt-4o --api_base URL with OPENAI_API_KEY set: that key is not sent to a custom server.
        const env = await runCli(["-m", "gpt-4o", "--api_base", fake.url, "hi"], {
          home,
          env: { OPENAI_API_KEY: wrong },
        });
        assertEquals(env.code, 1, env.stderr);
        assertEquals(env.stderr.trim().split("\n").length, 1, env.stderr);
        assertStringIncludes(env.stderr, "No key was sent");
        assertStringIncludes(env.stderr, "OPENAI_API_KEY is sent there only with -m openai/gpt-4o");
        assert(!env.stderr.includes(wrong) && !env.stdout.includes(wrong), "the key is not shown");
        // A wrong --api_key: named as the source.
        const flag = await runCli([
          "-m",
          "gpt-4o",
          "--api_base",
          fake.url,
          "--api_key",
          wrong,
          "hi",
        ], {
          home,
          env: { OPENAI_API_KEY: "" },
        });
        assertEquals(flag.code, 1, flag.stderr);
        assertStringIncludes(flag.stderr, "The key came from --api-key");
        assert(
          !flag.stderr.includes(wrong) && !flag.stdout.includes(wrong),
          "the key is not shown",
        );
        // From a profile.
        await Deno.mkdir(`${home}/config/profiles`, { recursive: true });
        await Deno.writeTextFile(
          `${home}/config/profiles/work.yaml`,
          `llm:\n  model: gpt-4o\n  api_base: ${fake.url}\n  api_key: ${wrong}\n`,
        );
        const prof = await runCli(["--profile", "work", "hi"], {
          home,
          env: { OPENAI_API_KEY: "" },
        });
        assertEquals(prof.code, 1, prof.stderr);
        assertStringIncludes(prof.stderr, "The key came from llm.api_key in profile work");
        assert(
          !prof.stderr.includes(wrong) && !prof.stdout.includes(wrong),
          "the key is not shown",
        );
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test("cli: --profiles prints the folder and creates default.yaml; --reset_profile restores it", async () => {
  await withHome(async (home) => {
    const env = { DISPLAY: "", WAYLAND_DISPLAY: "" };
    const r = await runCli(["--profiles"], { home, env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), `${home}/config/profiles`);
    const path = `${home}/config/profiles/default.yaml`;
    assertStringIncludes(await Deno.readTextFile(path), "llm:");
    await Deno.writeTextFile(path, "auto_run: true\n");
    const reset = await runCli(["--reset_profile"], { home, env });
    assertEquals(reset.code, 0, reset.stderr);
    assertStringIncludes(await Deno.readTextFile(path), 'model: "gpt-4o"');
    assertEquals(await Deno.readTextFile(`${path}.bak`), "auto_run: true\n");
  });
});

Deno.test({
  name: "cli: --timeout bounds each code run; the model is told",
  fn: async () => {
    const fake = startFakeOpenAI({
      script: [
        {
          toolCalls: [{
            language: "python",
            code: "import time\nprint('start', flush=True)\ntime.sleep(30)",
          }],
        },
        { text: "It took too long." },
      ],
    });
    try {
      await withHome(async (home) => {
        const r = await runCli([...model(fake.url), "-y", "--timeout", "1", "sleep"], { home });
        assertEquals(r.code, 0, r.stderr);
        const told = JSON.stringify(fake.requests[1].messages);
        assert(/time(d)? ?out|timeout|1 s|seconds/i.test(told), told);
        assertStringIncludes(r.stdout, "It took too long.");
      });
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "cli: --max_budget reached exits 4",
  fn: async () => {
    const fake = startFakeOpenAI({
      script: [
        {
          toolCalls: [{ language: "shell", code: "echo spent" }],
          usage: { prompt_tokens: 100_000, completion_tokens: 1_000 },
        },
        { text: "never reached" },
      ],
    });
    try {
      await withHome(async (home) => {
        const r = await runCli([...model(fake.url), "-y", "--max_budget", "0.001", "spend"], {
          home,
        });
        assertEquals(r.code, 4, r.stderr + r.stdout);
        assertStringIncludes(r.stderr + r.stdout, "budget");
        assertEquals(fake.requests.length, 1);
      });
    } finally {
      await fake.close();
    }
  },
});
