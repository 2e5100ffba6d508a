/**
 * End to end: the scripted model (fake OpenAI server, real HTTP/SSE) asks for
 * code, the real Computer runs it with real python3 / bash, the model reads
 * the output in its next request, and the turn finishes.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { LlmError } from "../lib/llm/errors.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { missingPrograms } from "./helpers/requirements.ts";
import { Computer } from "../lib/computer/mod.ts";

const missing = missingPrograms("engine e2e tests", { python3: ["--version"] });

type Msg = { role: string; content?: unknown; tool_call_id?: string };

async function withRealComputer(
  script: FakeTurn[],
  options: { autoRun?: boolean; supportsFunctions?: boolean },
  body: (it: Interpreter, fake: ReturnType<typeof startFakeOpenAI>, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "engine_e2e_" });
  const computer = new Computer({ cwd: dir, permissions: allowAll(), dataDir: `${dir}/data` });
  const fake = startFakeOpenAI({ script });
  try {
    const it = new Interpreter({
      computer,
      autoRun: options.autoRun ?? true,
      llm: {
        model: "gpt-4o",
        apiBase: fake.url,
        apiKey: "sk-e2e-test",
        supportsFunctions: options.supportsFunctions,
      },
    });
    await body(it, fake, dir);
  } finally {
    await computer.terminate();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function toolResults(fake: ReturnType<typeof startFakeOpenAI>, turn: number): string[] {
  return (fake.requests[turn].messages as Msg[]).filter((m) => m.role === "tool")
    .map((m) => String(m.content));
}

Deno.test({
  name: "e2e: the model runs python, reads its output, and keeps state across turns",
  ignore: !!missing,
  async fn() {
    await withRealComputer(
      [
        { toolCalls: [{ language: "python", code: "x = 6 * 7\nprint(x)" }] },
        { text: "It is 42." },
        { toolCalls: [{ language: "python", code: "print(x + 1)" }] },
        { text: "And then 43." },
      ],
      {},
      async (it, fake) => {
        const first = await it.chat("What is 6*7? Use python.");
        assertEquals(first.at(-1), { role: "assistant", type: "message", content: "It is 42." });
        assertEquals(fake.requests.length, 2);
        assertEquals(toolResults(fake, 1).map((s) => s.trim()), ["42"]);
        await it.chat("And plus one?");
        assertEquals(toolResults(fake, 3).map((s) => s.trim()), ["42", "43"]);
        assertEquals(it.messages.at(-1)?.content, "And then 43.");
      },
    );
  },
});

Deno.test({
  name: "e2e: errors are fed back; shell runs too; markdown mode runs every block",
  ignore: !!missing,
  async fn() {
    await withRealComputer(
      [
        { toolCalls: [{ language: "python", code: "1 / 0" }] },
        { toolCalls: [{ language: "shell", code: "echo from-$((40 + 2))" }] },
        { text: "Saw both." },
      ],
      {},
      async (_it, fake) => {
        await _it.chat("try things");
        assertStringIncludes(toolResults(fake, 1)[0], "ZeroDivisionError");
        assertStringIncludes(toolResults(fake, 2)[1], "from-42");
      },
    );
    await withRealComputer(
      [
        {
          text:
            "Two steps:\n```python\nprint('py', 2 + 2)\n```\nthen\n```bash\necho sh $((3 * 3))\n```\n",
        },
        { text: "Done." },
      ],
      { supportsFunctions: false },
      async (_it, fake) => {
        await _it.chat("run both");
        const sent = fake.requests[1].messages as Msg[];
        const outputs = sent.filter((m) => String(m.content).startsWith("Code output"));
        assertEquals(outputs.length, 2);
        assertStringIncludes(String(outputs[0].content), "py 4");
        assertStringIncludes(String(outputs[1].content), "sh 9");
      },
    );
  },
});

Deno.test({
  name: "e2e: breaking out at the confirmation runs nothing",
  ignore: !!missing,
  async fn() {
    await withRealComputer(
      [
        {
          toolCalls: [{
            language: "python",
            code: "open('created.txt', 'w').write('should not exist')",
          }],
        },
      ],
      { autoRun: false },
      async (it, _fake, dir) => {
        let confirmed = false;
        for await (const chunk of it.chat("make a file", { stream: true })) {
          if (chunk.type === "confirmation") {
            confirmed = true;
            break;
          }
        }
        assert(confirmed);
        let exists = true;
        try {
          await Deno.stat(`${dir}/created.txt`);
        } catch {
          exists = false;
        }
        assertEquals(exists, false);
      },
    );
  },
});

Deno.test({
  name: "e2e: an Interpreter makes its own Computer, and reset() ends its sessions",
  ignore: !!missing,
  async fn() {
    // Its own Computer keeps files in the default data folder, but only for
    // outputs too long for the model: this run prints one line, so nothing is
    // written there. (INTERPRETER_HOME is not set: test files share one process.)
    const fake = startFakeOpenAI({
      script: [
        { toolCalls: [{ language: "python", code: "import sys; print(sys.version_info[0])" }] },
        { text: "Python 3." },
      ],
    });
    const it = new Interpreter({
      autoRun: true,
      llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-e2e" },
    });
    try {
      assert(it.computer.languages.includes("python"));
      await it.chat("which python?");
      assertEquals(toolResults(fake, 1).map((s) => s.trim()), ["3"]);
    } finally {
      await it.reset();
      await fake.close();
    }
    assertEquals(it.messages, []);
  },
});

Deno.test({
  name: "e2e: each model failure after a python run ends in one clear error; nothing is lost",
  ignore: !!missing,
  async fn() {
    const cases: [string, FakeTurn[], string][] = [
      ["401", [{ status: 401 }], "auth"],
      ["404", [{ status: 404 }], "not_found"],
      ["5xx", [{ status: 500, headers: { "retry-after-ms": "5" } }, {
        status: 502,
        headers: { "retry-after-ms": "5" },
      }], "server"],
      ["timeout", [{ stall: "body" }], "timeout"],
      ["cut off", [{ cutOff: "The output shows", abrupt: true }], "stream_cut"],
    ];
    for (const [name, failure, kind] of cases) {
      await withRealComputer(
        [
          { toolCalls: [{ language: "python", code: "print(sum(range(10)))" }] },
          ...failure,
        ],
        {},
        async (it) => {
          it.llm.maxRetries = 1;
          if (name === "timeout") it.llm.timeouts = { idle: 300 };
          let error: unknown;
          try {
            await it.chat("sum 0..9");
          } catch (err) {
            error = err;
          }
          assert(error instanceof LlmError, `${name}: an LlmError`);
          assertEquals(error.kind, kind, name);
          assert(!error.message.includes("\n"), `${name}: one line`);
          assert(!error.message.includes("sk-e2e-test"), `${name}: no key`);
          const output = it.messages.find((m) => m.type === "console");
          assertEquals(String(output?.content).trim(), "45", `${name}: the run's output is kept`);
          if (name === "cut off") {
            assertEquals(it.messages.at(-1)?.content, "The output shows");
          }
          assertEquals(it.responding, false);
        },
      );
    }
  },
});

Deno.test({
  name: "e2e: a 429 with Retry-After is waited out and the turn finishes",
  ignore: !!missing,
  async fn() {
    await withRealComputer(
      [
        { toolCalls: [{ language: "python", code: "print('a' * 3)" }] },
        { status: 429, headers: { "retry-after": "1" } },
        { text: "It printed aaa." },
      ],
      {},
      async (it, fake) => {
        const chunks = [];
        for await (const c of it.chat("go", { stream: true })) chunks.push(c);
        assert(chunks.some((c) => c.type === "status" && c.format === "retry"));
        assertEquals(fake.requests.length, 3);
        assertEquals(toolResults(fake, 2).map((s) => s.trim()), ["aaa"]);
        assertEquals(it.messages.at(-1)?.content, "It printed aaa.");
      },
    );
  },
});
