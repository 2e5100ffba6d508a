/**
 * The chat loop against the fake OpenAI server (real HTTP/SSE) with an
 * in-memory computer: chunk framing, confirmation and editing, cancellation,
 * parallel calls, markdown code blocks, limits, loop mode, usage, hooks,
 * repairs and trimming.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import type { ApprovalRequest } from "../lib/wire/approval.ts";
import type { LmcChunk } from "../lib/wire/lmc.ts";
import { FakeComputer } from "./helpers/fake_computer.ts";
import { repoModule, runDenoChild } from "./helpers/deno_child.ts";
import { collect } from "./helpers/lmc_chunks.ts";
import { withFakeModel } from "./helpers/fake_engine.ts";
import { type FakeOpenAI, type FakeTurn, startFakeOpenAI } from "./helpers/fake_openai_server.ts";

type Msg = { role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string };

function sent(fake: FakeOpenAI, turn: number): Msg[] {
  return fake.requests[turn].messages as Msg[];
}

Deno.test("engine: chunks are framed with start/end flags exactly as Open Interpreter's", async () => {
  await withFakeModel(
    [
      { toolCalls: [{ language: "python", code: "34 / 24" }] },
      { text: "The result is 1.4167." },
    ],
    { autoRun: false },
    async (it) => {
      const approve = () => ({ action: "run" as const });
      const chunks = (await collect(it.chat("divide", { stream: true, display: false, approve })))
        .filter((c) => c.type !== "usage")
        .map(({ toolCallId: _, ...c }) => c);
      const code = chunks.filter((c) => c.type === "code").map((c) => c.content ?? "").join("");
      assertEquals(code, "34 / 24");
      const flags = chunks.filter((c) => c.start || c.end || c.type === "confirmation");
      assertEquals(flags, [
        { role: "assistant", type: "code", format: "python", start: true },
        { role: "assistant", type: "code", format: "python", end: true },
        {
          role: "computer",
          type: "confirmation",
          format: "execution",
          content: { type: "code", format: "python", content: "34 / 24" },
        },
        { role: "computer", type: "console", start: true },
        { role: "computer", type: "console", end: true },
        { role: "assistant", type: "message", start: true },
        { role: "assistant", type: "message", end: true },
      ]);
      const console = chunks.filter((c) => c.type === "console" && !c.start && !c.end);
      assertEquals(console, [
        { role: "computer", type: "console", format: "active_line", content: "1" },
        { role: "computer", type: "console", format: "output", content: "ran python: 34 / 24\n" },
        { role: "computer", type: "console", format: "active_line", content: null },
      ]);
      // No empty content chunks.
      assert(chunks.length > 0, "the list checked below is not empty");
      assert(chunks.every((c) => c.start || c.end || c.content !== ""));
    },
  );
});

Deno.test("engine: the model reads the output in the next request, tied by tool call id", async () => {
  await withFakeModel(
    [
      { toolCalls: [{ language: "python", code: "print(6 * 7)", id: "call_abc123" }] },
      { text: "It is 42." },
    ],
    {},
    async (it, fake, computer) => {
      const messages = await it.chat("what is 6*7?");
      assertEquals(computer.runs.map((r) => [r.language, r.code]), [["python", "print(6 * 7)"]]);
      assertEquals(messages, [
        {
          role: "assistant",
          type: "code",
          format: "python",
          content: "print(6 * 7)",
          toolCallId: "call_abc123",
        },
        {
          role: "computer",
          type: "console",
          format: "output",
          content: "ran python: print(6 * 7)\n",
          toolCallId: "call_abc123",
        },
        { role: "assistant", type: "message", content: "It is 42." },
      ]);
      const tools = fake.requests[0].tools as {
        function: { name: string; parameters: { properties: { language: { enum: string[] } } } };
      }[];
      assertEquals(tools.length, 1);
      assertEquals(tools[0].function.name, "execute");
      assertEquals(tools[0].function.parameters.properties.language.enum, computer.languages);
      const second = sent(fake, 1);
      assertEquals(second[0].role, "system");
      assertEquals(second.slice(1), [
        { role: "user", content: "what is 6*7?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "call_abc123",
            type: "function",
            function: {
              name: "execute",
              arguments: JSON.stringify({ language: "python", code: "print(6 * 7)" }),
            },
          }],
        },
        { role: "tool", tool_call_id: "call_abc123", content: "ran python: print(6 * 7)\n" },
      ]);
    },
  );
});

Deno.test("engine: the system message states OS, shell, cwd, date, languages and permissions", async () => {
  await withFakeModel([{ text: "hi" }], {}, async (it, fake) => {
    await it.chat("hello");
    const system = String(sent(fake, 0)[0].content);
    assertStringIncludes(system, Deno.build.os);
    assertStringIncludes(system, Deno.cwd());
    assertStringIncludes(system, new Date().toISOString().slice(0, 10));
    assertStringIncludes(system, "python, shell, javascript");
    assertStringIncludes(system, "Permissions");
    assertStringIncludes(system, "shell");
    assert(!system.includes("sk-engine-test-key"));
  });
});

Deno.test("engine: an edit decision runs the edited code and stores it", async () => {
  await withFakeModel(
    [
      { toolCalls: [{ language: "python", code: "print('original')", id: "call_e1" }] },
      { text: "ok" },
    ],
    { autoRun: false },
    async (it, fake, computer) => {
      const requests: ApprovalRequest[] = [];
      await it.chat("go", {
        approve: (request) => {
          requests.push(request);
          return { action: "edit", code: "print('edited')" };
        },
      });
      assertEquals(requests, [{ id: "call_e1", language: "python", code: "print('original')" }]);
      assertEquals(computer.runs.map((r) => r.code), ["print('edited')"]);
      const args = JSON.parse(
        (sent(fake, 1)[2].tool_calls![0] as { function: { arguments: string } }).function
          .arguments,
      );
      assertEquals(args.code, "print('edited')");
    },
  );
});

Deno.test("engine: breaking out at the confirmation runs nothing; the next turn says it did not run", async () => {
  await withFakeModel(
    [
      { toolCalls: [{ language: "shell", code: "rm -rf build" }] },
      { text: "Understood, I will not." },
    ],
    { autoRun: false },
    async (it, fake, computer) => {
      for await (const chunk of it.chat("clean up", { stream: true })) {
        if (chunk.type === "confirmation") break;
      }
      assertEquals(computer.runs.length, 0);
      assertEquals(it.responding, false);
      assertEquals(it.messages.at(-1)?.type, "code");
      await it.chat("no, don't");
      assertEquals(computer.runs.length, 0, "declined code stays unrun");
      const second = sent(fake, 1);
      const tool = second.find((m) => m.role === "tool");
      assertStringIncludes(String(tool?.content), "not run");
      assertEquals(second.at(-1), { role: "user", content: "no, don't" });
    },
  );
});

Deno.test("engine: parallel calls all run, in order, each answered with its own id", async () => {
  await withFakeModel(
    [
      {
        toolCalls: [
          { language: "python", code: "a = 1", id: "call_first1" },
          { language: "shell", code: "echo two", id: "call_second" },
          { language: "python", code: "print(a)", id: "call_third1" },
        ],
      },
      { text: "All three ran." },
    ],
    {},
    async (it, fake, computer) => {
      await it.chat("three things");
      assertEquals(computer.runs.map((r) => r.code), ["a = 1", "echo two", "print(a)"]);
      const second = sent(fake, 1);
      const assistant = second.find((m) => m.role === "assistant")!;
      assertEquals((assistant.tool_calls as { id: string }[]).map((c) => c.id), [
        "call_first1",
        "call_second",
        "call_third1",
      ]);
      const tools = second.filter((m) => m.role === "tool");
      assertEquals(tools.map((m) => [m.tool_call_id, m.content]), [
        ["call_first1", "ran python: a = 1\n"],
        ["call_second", "ran shell: echo two\n"],
        ["call_third1", "ran python: print(a)\n"],
      ]);
    },
  );
});

Deno.test("engine: a recorded parallel-call stream (two calls in one chunk, no index) runs both", async () => {
  const sse = [
    { role: "assistant", content: "" },
    {
      tool_calls: [
        {
          id: "nqjf8Hqe1",
          function: { name: "execute", arguments: '{"language": "python", "code": "1+1"}' },
        },
        {
          id: "ATcpCKul3",
          function: { name: "execute", arguments: '{"language": "shell", "code": "ls"}' },
        },
      ],
    },
  ].map((delta) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`).join("") +
    `data: ${
      JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })
    }\n\ndata: [DONE]\n\n`;
  await withFakeModel([{ sse }, { text: "done" }], {}, async (it, _fake, computer) => {
    await it.chat("go");
    assertEquals(computer.runs.map((r) => [r.language, r.code]), [["python", "1+1"], [
      "shell",
      "ls",
    ]]);
  });
});

Deno.test("engine: markdown mode runs every fenced block in order, language and code intact", async () => {
  const answer =
    'First:\n```python\nprint("python")\n```\nThen:\n```bash\necho "python bash"\n```\n' +
    "An example output, not run:\n```output\n42\n```\nDone.";
  for (const pieces of [1, 7, answer.length]) {
    await withFakeModel([{ text: answer, pieces }, { text: "Both ran." }], {
      llm: { model: "ollama/llama3.1", supportsFunctions: false },
    }, async (it, fake, computer) => {
      await it.chat("go");
      assertEquals(
        computer.runs.map((r) => [r.language, r.code]),
        [["python", 'print("python")'], ["shell", 'echo "python bash"']],
        `split into ${pieces} pieces`,
      );
      assertEquals(fake.requests[0].tools, undefined, "no tools in markdown mode");
      assertStringIncludes(String(sent(fake, 0)[0].content), "fenced");
      const codes = it.messages.filter((m) => m.type === "code");
      assertEquals(codes.map((m) => m.format), ["python", "shell"]);
      const text = it.messages.filter((m) => m.role === "assistant" && m.type === "message")
        .map((m) => m.content).join("");
      assertStringIncludes(text, "```output\n42\n```");
      assertStringIncludes(text, "Done.");
      // The output goes back as a user message.
      const second = sent(fake, 1);
      assertStringIncludes(String(second.at(-1)?.content), 'ran shell: echo "python bash"');
      assertStringIncludes(String(second.at(-2)?.content), 'ran python: print("python")');
    });
  }
});

Deno.test("engine: a recorded markdown answer (fence split across tokens) runs its python block", async () => {
  await withFakeModel(
    [{ fixture: "openai__gpt-4o__python-codeblock-text.jsonl" }, { text: "ok" }],
    {
      llm: { model: "openai/gpt-4o", supportsFunctions: false },
    },
    async (it, _fake, computer) => {
      await it.chat("show me");
      assertEquals(computer.runs.length, 1);
      assertEquals(computer.runs[0].language, "python");
      assert(
        computer.runs[0].code.startsWith("import pandas as pd\nimport matplotlib.pyplot as plt\n"),
      );
      assert(computer.runs[0].code.endsWith("plt.ylabel('Total Revenue')\nplt.show()"));
      assert(!computer.runs[0].code.includes("```"));
    },
  );
});

Deno.test("engine: reasoning is its own chunk type, stored apart, never sent back or run", async () => {
  await withFakeModel(
    [
      { fixture: "together__deepseek-r1__think-tags-in-content.sse" },
    ],
    { llm: { model: "together/deepseek-ai/DeepSeek-R1", supportsFunctions: false } },
    async (
      it,
      _fake,
      computer,
    ) => {
      const chunks = await collect(it.chat("how do I cross the street?", { stream: true }));
      assert(chunks.some((c) => c.type === "reasoning" && c.start));
      const reasoning = it.messages.filter((m) => m.type === "reasoning");
      assertEquals(reasoning.length, 1);
      assert(String(reasoning[0].content).startsWith("Okay, the user asked"));
      assert(!String(it.messages.at(-1)?.content).includes("<think>"));
      assertEquals(computer.runs.length, 0);
    },
  );
  await withFakeModel([{ text: "Hi.", reasoning: "secret plan" }, { text: "Again." }], {}, async (
    it,
    fake,
  ) => {
    await it.chat("one");
    await it.chat("two");
    assert(!JSON.stringify(fake.requests[1].messages).includes("secret plan"));
  });
});

Deno.test("engine: maxTurns stops a runaway loop with a clear message", async () => {
  const again: FakeTurn = { toolCalls: [{ language: "python", code: "print(1)" }] };
  await withFakeModel(
    [again, again, again, again],
    { maxTurns: 2 },
    async (it, _fake, computer) => {
      const chunks = await collect(it.chat("loop forever", { stream: true }));
      assertEquals(computer.runs.length, 2);
      const stop = chunks.find((c) => c.format === "max_turns");
      assert(stop);
      assertStringIncludes(String(stop.content), "maxTurns");
    },
  );
});

Deno.test("engine: maxBudget stops once the priced usage reaches it", async () => {
  const costly: FakeTurn = {
    toolCalls: [{ language: "python", code: "print(1)" }],
    usage: { prompt_tokens: 100_000, completion_tokens: 10_000 },
  };
  await withFakeModel([costly, costly], { maxBudget: 0.1 }, async (it, fake) => {
    const chunks = await collect(it.chat("spend", { stream: true }));
    assertEquals(fake.requests.length, 1);
    const chunk = chunks.find((c) => c.type === "usage");
    assert(chunk?.type === "usage" && chunk.content, "a usage chunk");
    const usage = chunk.content;
    assertEquals(usage.turn.promptTokens, 100_000);
    assert(
      Math.abs((usage.turn.cost ?? NaN) - (0.25 + 0.1)) < 1e-9,
      "gpt-4o price: $2.5 + $10 per M",
    );
    assert(chunks.some((c) => c.format === "max_budget"));
    assertEquals(it.usage.calls, 1);
  });
});

Deno.test("engine: usage is counted with the tokenizer when the stream has none", async () => {
  await withFakeModel([{ text: "Hello there, general.", usage: null }], {
    llm: { model: "openai/some-unknown-model" },
  }, async (it) => {
    const chunks = await collect(it.chat("hi", { stream: true }));
    const chunk = chunks.find((c) => c.type === "usage");
    assert(chunk?.type === "usage" && chunk.content, "a usage chunk");
    const report = chunk.content;
    assertEquals(report.estimated, true);
    assert(report.turn.promptTokens > 20, "system message and question were counted");
    assert(report.turn.completionTokens >= 4 && report.turn.completionTokens <= 8);
    assertEquals(report.turn.cost, undefined, "no price for an unknown model");
  });
});

Deno.test("engine: loop mode keeps going until a loop breaker", async () => {
  await withFakeModel(
    [
      { text: "I started." },
      { text: "Still working." },
      { text: "The task is done." },
    ],
    { loop: true },
    async (it, fake) => {
      await it.chat("do the task");
      assertEquals(fake.requests.length, 3);
      assertEquals(sent(fake, 1).at(-1), { role: "user", content: it.loopMessage });
      assert(!it.messages.some((m) => m.content === it.loopMessage), "loop message not stored");
    },
  );
});

Deno.test("engine: onMessage runs after every complete message; keys never reach messages", async () => {
  const snapshots: number[] = [];
  await withFakeModel([
    { toolCalls: [{ language: "shell", code: "echo $OPENAI_API_KEY" }] },
    { text: "Printed." },
  ], {
    onMessage: (messages) => {
      snapshots.push(messages.length);
    },
    computer: new FakeComputer({ answer: () => "sk-engine-test-key\n" }),
  }, async (it) => {
    await it.chat("show the key");
    assertEquals(snapshots, [1, 2, 3, 4]);
    assert(!JSON.stringify(it.messages).includes("sk-engine-test-key"), "the key was redacted");
    assertStringIncludes(JSON.stringify(it.messages), "[redacted]");
  });
});

Deno.test("engine: messages can be cleared and assigned to restore a conversation", async () => {
  await withFakeModel([{ text: "Welcome back." }], {}, async (it, fake) => {
    it.messages = [
      { role: "user", type: "message", content: "my name is Ada" },
      { role: "assistant", type: "message", content: "Hello Ada." },
    ];
    const added = await it.chat("what is my name?");
    assertEquals(added, [{ role: "assistant", type: "message", content: "Welcome back." }]);
    assertEquals(sent(fake, 0).slice(1).map((m) => m.content), [
      "my name is Ada",
      "Hello Ada.",
      "what is my name?",
    ]);
    it.messages = [];
    assertEquals(it.messages.length, 0);
  });
});

Deno.test("engine: two interpreters in one process are independent", async () => {
  const a = startFakeOpenAI({ script: [{ text: "I am A." }] });
  const b = startFakeOpenAI({ script: [{ text: "I am B." }] });
  try {
    const ia = new Interpreter({
      computer: new FakeComputer(),
      llm: { model: "gpt-4o", apiBase: a.url, apiKey: "k" },
    });
    const ib = new Interpreter({
      computer: new FakeComputer(),
      llm: { model: "gpt-4o-mini", apiBase: b.url, apiKey: "k" },
      customInstructions: "Only B.",
    });
    const [ra, rb] = await Promise.all([ia.chat("who?"), ib.chat("who?")]);
    assertEquals(ra.at(-1)?.content, "I am A.");
    assertEquals(rb.at(-1)?.content, "I am B.");
    assertEquals(ia.messages.length, 2);
    assertEquals(ib.messages.length, 2);
    assert(!String((a.requests[0].messages as Msg[])[0].content).includes("Only B."));
    assertStringIncludes(String((b.requests[0].messages as Msg[])[0].content), "Only B.");
    assertEquals(a.requests[0].model, "gpt-4o");
    assertEquals(b.requests[0].model, "gpt-4o-mini");
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("engine: one interpreter refuses a second concurrent chat", async () => {
  await withFakeModel([{ text: "first" }, { text: "second" }], {}, async (it) => {
    const iterator = it.chat("one", { stream: true })[Symbol.asyncIterator]();
    await iterator.next();
    await assertRejects(() => it.chat("two").then(() => {}), Error);
    while (!(await iterator.next()).done) { /* drain */ }
    assertEquals(it.responding, false);
  });
});

Deno.test("engine: broken tool arguments are repaired when unambiguous, else sent back", async () => {
  const raw = (name: string, args: string) =>
    `data: ${
      JSON.stringify({
        choices: [{
          index: 0,
          delta: {
            tool_calls: [{ index: 0, id: `call_${name}_x1`, function: { name, arguments: args } }],
          },
        }],
      })
    }\n\ndata: ${
      JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })
    }\n\ndata: [DONE]\n\n`;
  await withFakeModel(
    [
      { sse: raw("execute", '{"language": "python", "code": "x = 1\nprint(x)"}') }, // raw newline
      { sse: raw("python", "print('bare')") }, // tool named after the language, bare code
      { sse: raw("execute", 'functions.execute({"language": "shell", "code": "pwd"})') },
      { sse: raw("browse", '{"url": "x"}') }, // no such tool
      { sse: raw("execute", '{"language": "cobol", "code": "DISPLAY 1"}') }, // cannot run
      { text: "done" },
    ],
    {},
    async (it, fake, computer) => {
      await it.chat("go");
      assertEquals(computer.runs.map((r) => [r.language, r.code]), [
        ["python", "x = 1\nprint(x)"],
        ["python", "print('bare')"],
        ["shell", "pwd"],
      ]);
      const last = sent(fake, 5).filter((m) => m.role === "tool").map((m) => String(m.content));
      assertStringIncludes(last[3], "no tool named");
      assertStringIncludes(last[4], "not a language this machine can run");
    },
  );
});

Deno.test("engine: chat() without a message runs trailing code that never ran", async () => {
  await withFakeModel([{ text: "It printed hi." }], {}, async (it, _fake, computer) => {
    it.messages = [
      { role: "user", type: "message", content: "say hi" },
      { role: "assistant", type: "code", format: "python", content: "print('hi')" },
    ];
    await it.chat();
    assertEquals(computer.runs.map((r) => r.code), ["print('hi')"]);
    assertEquals(it.messages.at(-1)?.content, "It printed hi.");
  });
});

Deno.test("engine: the conversation is trimmed to the context window, oldest turns first", async () => {
  await withFakeModel([{ text: "short" }], {
    llm: { model: "openai/tiny", contextWindow: 1200, maxTokens: 200 },
  }, async (it, fake) => {
    const filler = "lorem ipsum dolor sit amet ".repeat(60); // ~360 tokens
    it.messages = [];
    for (let i = 0; i < 6; i++) {
      it.messages.push({ role: "user", type: "message", content: `old question ${i} ${filler}` });
      it.messages.push({ role: "assistant", type: "message", content: `old answer ${i}` });
    }
    await it.chat("the newest question");
    const body = sent(fake, 0);
    assertEquals(body[0].role, "system");
    assertEquals(body.at(-1), { role: "user", content: "the newest question" });
    assert(body.length < 14, "old turns were dropped");
    assert(!JSON.stringify(body).includes("old question 0"), "the oldest went first");
  });
});

Deno.test("engine: aborting the signal stops the model call without an error", async () => {
  const fake = startFakeOpenAI({ script: [{ stall: "body" }] });
  try {
    const it = new Interpreter({
      computer: new FakeComputer(),
      llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "k" },
    });
    const controller = new AbortController();
    const pending = it.chat("wait", { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const added = await pending;
    assertEquals(added, []);
    assertEquals(it.responding, false);
  } finally {
    await fake.close();
  }
});

Deno.test("engine: aborting during a run stops it and the loop; no further model calls", async () => {
  await withFakeModel(
    [
      { toolCalls: [{ language: "python", code: "while True: pass" }] },
      { text: "should never be asked" },
    ],
    { loop: true, computer: new FakeComputer({ hang: true }) },
    async (it, fake, computer) => {
      const controller = new AbortController();
      const chunks: LmcChunk[] = [];
      for await (const c of it.chat("spin", { stream: true, signal: controller.signal })) {
        chunks.push(c);
        if (c.format === "output") controller.abort();
      }
      assertEquals(computer.runs.length, 1);
      assertEquals(fake.requests.length, 1);
      assertEquals(it.responding, false);
      assert(chunks.some((c) => c.content === "KeyboardInterrupt\n"));
    },
  );
});

Deno.test("engine: breaking out of the stream mid-run stops the computer", async () => {
  await withFakeModel(
    [
      { toolCalls: [{ language: "python", code: "while True: pass" }] },
    ],
    { computer: new FakeComputer({ hang: true }) },
    async (it, _fake, computer) => {
      for await (const c of it.chat("spin", { stream: true })) {
        if (c.format === "output") break;
      }
      assertEquals(computer.stops, 1);
      assertEquals(it.responding, false);
    },
  );
});

Deno.test("engine: a provider key from the environment is redacted, even split across chunks", async () => {
  const secret = "gsk_environment_secret_123456";
  // The key is in the environment of a child deno only: test files run in
  // parallel in one process and share its environment, so it is never set here.
  const script = `
    import { Interpreter } from ${JSON.stringify(repoModule("lib/core/interpreter.ts"))};
    import { FakeComputer } from ${JSON.stringify(repoModule("tests/helpers/fake_computer.ts"))};
    import { startFakeOpenAI } from ${
    JSON.stringify(repoModule("tests/helpers/fake_openai_server.ts"))
  };
    const secret = Deno.env.get("GROQ_API_KEY")!;
    const computer = new FakeComputer();
    // Two output chunks that split the key in the middle.
    computer.stream = async function* (language, code, options) {
      computer.runs.push({ language, code, options });
      await Promise.resolve();
      yield { role: "computer", type: "console", format: "output", content: secret.slice(0, 10) };
      yield { role: "computer", type: "console", format: "output", content: secret.slice(10) + "\\n" };
    };
    const fake = startFakeOpenAI({
      script: [{ toolCalls: [{ language: "shell", code: "env" }] }, { text: "ok" }],
    });
    try {
      const it = new Interpreter({
        autoRun: true,
        computer,
        llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-engine-test-key" },
      });
      await it.chat("show env");
      console.log(JSON.stringify({ messages: it.messages, request: fake.requests[1], runs: computer.runs.length }));
    } finally {
      await fake.close();
    }
  `;
  const child = await runDenoChild(script, { env: { GROQ_API_KEY: secret } });
  assertEquals(child.code, 0, child.stderr);
  const { messages, request, runs } = JSON.parse(child.stdout);
  assertEquals(runs, 1);
  assert(!JSON.stringify(messages).includes(secret));
  assert(!JSON.stringify(request).includes(secret));
  assertStringIncludes(JSON.stringify(messages), "[redacted]");
});

/** A stream with one execute call whose arguments are `args`, ending with `finish`. */
function oneCallStream(id: string, args: string, finish: string): string {
  return [
    { tool_calls: [{ index: 0, id, function: { name: "execute", arguments: "" } }] },
    { tool_calls: [{ index: 0, function: { arguments: args } }] },
  ].map((delta) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`).join("") +
    `data: ${
      JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finish }] })
    }\n\ndata: [DONE]\n\n`;
}

Deno.test("engine: a call missing its final } in an answer that ended normally is repaired and run", async () => {
  const sse = oneCallStream(
    "call_trunc_1",
    `{"language": "python", "code": "print('repaired')"`,
    "tool_calls",
  );
  await withFakeModel([{ sse }, { text: "done" }], {}, async (it, _fake, computer) => {
    await it.chat("go");
    assertEquals(computer.runs.map((r) => [r.language, r.code]), [["python", "print('repaired')"]]);
  });
});

Deno.test("engine: the same call missing its } but cut by the token limit is not run", async () => {
  const sse = oneCallStream(
    "call_trunc_2",
    `{"language": "python", "code": "print('repaired')"`,
    "length",
  );
  await withFakeModel([{ sse }, { text: "I will split it." }], {}, async (it, fake, computer) => {
    await it.chat("go");
    assertEquals(computer.runs.length, 0);
    const tool = sent(fake, 1).find((m) => m.role === "tool");
    assertStringIncludes(String(tool?.content), "token limit");
  });
});

Deno.test("engine: a call cut off by the token limit is not run and the model is told why", async () => {
  const sse = [
    { tool_calls: [{ index: 0, id: "call_len_1", function: { name: "execute", arguments: "" } }] },
    {
      tool_calls: [{ index: 0, function: { arguments: '{"language": "python", "code": "print(' } }],
    },
  ].map((delta) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`).join("") +
    `data: ${
      JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "length" }] })
    }\n\ndata: [DONE]\n\n`;
  await withFakeModel([{ sse }, { text: "I will split it." }], {}, async (it, fake, computer) => {
    await it.chat("write a lot");
    assertEquals(computer.runs.length, 0);
    const tool = sent(fake, 1).find((m) => m.role === "tool");
    assertStringIncludes(String(tool?.content), "token limit");
  });
});
