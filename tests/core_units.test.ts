/**
 * Unit tests of the engine's pieces: fenced code block parsing, tool
 * argument repairs, LMC to OpenAI conversion, context trimming, and the
 * awaitable / iterable chat result.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { CodeBlockParser, type FenceEvent } from "../lib/core/code_blocks.ts";
import { parseExecuteArgs, partialExecuteArgs } from "../lib/core/tool_args.ts";
import { toOpenAIMessages, truncateOutput } from "../lib/core/to_openai.ts";
import { countMessageTokens, trimToFit } from "../lib/core/trim.ts";
import type { ChatMessage } from "../lib/wire/chat.ts";
import { renderSystemMessage } from "../lib/core/system_message.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";

const RUNNABLE: Record<string, string> = {
  python: "python",
  py: "python",
  bash: "shell",
  sh: "shell",
};
const runnable = (lang: string) => lang === "" ? "python" : RUNNABLE[lang];

function parse(text: string, size: number): { text: string; blocks: [string, string][] } {
  const parser = new CodeBlockParser(runnable);
  const events: FenceEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  events.push(...parser.end());
  let prose = "";
  const blocks: [string, string][] = [];
  for (const e of events) {
    if (e.type === "text") prose += e.text;
    else if (e.type === "code_start") blocks.push([e.language, ""]);
    else if (e.type === "code") blocks[blocks.length - 1][1] += e.text;
  }
  return { text: prose, blocks };
}

Deno.test("code blocks: every block is found in order, at every chunk size", () => {
  const answer =
    "Plan:\n```python\nx = 'python'\n\nprint(x)\n```\nNext\n```bash\necho python\n```\n" +
    'Sample:\n```json\n{"a": 1}\n```\nbye';
  for (let size = 1; size <= answer.length; size++) {
    const { text, blocks } = parse(answer, size);
    assertEquals(
      blocks,
      [["python", "x = 'python'\n\nprint(x)"], ["shell", "echo python"]],
      `size ${size}`,
    );
    assertEquals(text, 'Plan:\nNext\nSample:\n```json\n{"a": 1}\n```\nbye', `size ${size}`);
  }
});

Deno.test("code blocks: an unclosed block ends with the answer; an unlabeled fence is python", () => {
  assertEquals(parse("```\nprint(1)\n", 3).blocks, [["python", "print(1)"]]);
  assertEquals(parse("text ``` inline ``` fences\n", 2), {
    text: "text ``` inline ``` fences\n",
    blocks: [],
  });
});

Deno.test("tool args: streaming extraction decodes escapes and waits for the language", () => {
  assertEquals(partialExecuteArgs('{"language": "pyth'), { language: undefined, code: undefined });
  assertEquals(partialExecuteArgs('{"language": "python", "code": "print(\\"hi\\")\\n'), {
    language: "python",
    code: 'print("hi")\n',
  });
  assertEquals(partialExecuteArgs('{"language": "python", "code": "a\\'), {
    language: "python",
    code: "a",
  });
  assertEquals(partialExecuteArgs("print(1)"), {});
});

Deno.test("tool args: repairs of Open Interpreter's known hallucinations", () => {
  const langs = ["python", "shell"];
  const ok = (language: string, code: string) => ({ ok: true as const, language, code });
  assertEquals(
    parseExecuteArgs("execute", '{"language":"python","code":"1"}', { languages: langs }),
    ok("python", "1"),
  );
  assertEquals(
    parseExecuteArgs("execute", '{"language":"python","code":"a\nb"}', { languages: langs }),
    ok("python", "a\nb"),
  );
  assertEquals(
    parseExecuteArgs("execute", '`\n{"language":"shell","code":"ls"}', { languages: langs }),
    ok("shell", "ls"),
  );
  assertEquals(
    parseExecuteArgs("execute", 'functions.execute({"language":"shell","code":"ls"})', {
      languages: langs,
    }),
    ok("shell", "ls"),
  );
  assertEquals(
    parseExecuteArgs("execute", '{"language":"shell","code":"ls"}executeexecute', {
      languages: langs,
    }),
    ok("shell", "ls"),
  );
  assertEquals(
    parseExecuteArgs("execute", '{language: "python", code: "2"}', { languages: langs }),
    ok("python", "2"),
  );
  assertEquals(
    parseExecuteArgs(
      "execute",
      '{"language":"python","code":"1"}{"language":"python","code":"1"}',
      { languages: langs },
    ),
    ok("python", "1"),
  );
  assertEquals(
    parseExecuteArgs("python", "print('bare')", { languages: langs }),
    ok("python", "print('bare')"),
  );
  assertEquals(
    parseExecuteArgs("functions", '"import os"', { languages: langs }),
    ok("python", "import os"),
  );
  assertEquals(
    parseExecuteArgs("shell", '{"code":"pwd"}', { languages: langs }),
    ok("shell", "pwd"),
  );
});

Deno.test("tool args: a call missing its closing brackets is closed when the answer ended normally", () => {
  const langs = ["python", "shell"];
  const ok = (language: string, code: string) => ({ ok: true as const, language, code });
  const close = { languages: langs, closeTruncated: true };
  const truncated = `{"language": "python", "code": "print('repaired')"`;
  assertEquals(parseExecuteArgs("execute", truncated, close), ok("python", "print('repaired')"));
  // The same text from a call cut off by the token limit is not repaired.
  const cut = parseExecuteArgs("execute", truncated, { languages: langs });
  assert(!cut.ok);
  assertStringIncludes(cut.error, "valid JSON");
  // An open string, a trailing comma, raw newlines, an unfinished escape, nested brackets.
  assertEquals(
    parseExecuteArgs("execute", '{"language": "shell", "code": "echo hi', close),
    ok("shell", "echo hi"),
  );
  assertEquals(
    parseExecuteArgs("execute", '{"language": "python", "code": "a = 1\nb = 2",', close),
    ok("python", "a = 1\nb = 2"),
  );
  assertEquals(
    parseExecuteArgs("execute", '{"language": "python", "code": "x\\', close),
    ok("python", "x"),
  );
  assertEquals(
    parseExecuteArgs("execute", '{"language": "python", "code": "1", "extra": [1, {"a": 2', close),
    ok("python", "1"),
  );
  // Still ambiguous: no code, a key waiting for its value, a broken literal.
  for (
    const text of [
      '{"language": "python"',
      '{"language": "python", "code":',
      '{"language": "python", "code": "1", "x": tru',
      '{"language": "python", "co',
    ]
  ) {
    const r = parseExecuteArgs("execute", text, close);
    assert(!r.ok, text);
  }
});

Deno.test("tool args: ambiguous or wrong calls become an error the model can act on", () => {
  const langs = ["python", "shell"];
  const missing = parseExecuteArgs("execute", '{"code":"ls"}', { languages: langs });
  assert(!missing.ok);
  assertStringIncludes(missing.error, "language");
  const bare = parseExecuteArgs("execute", "ls -la", { languages: langs });
  assert(!bare.ok);
  assertStringIncludes(bare.error, "valid JSON");
  const other = parseExecuteArgs("search_web", "{}", { languages: langs });
  assert(!other.ok);
  assertStringIncludes(other.error, "execute");
});

Deno.test("to OpenAI: reasoning and user-only messages are not sent; images depend on vision", () => {
  const messages = toOpenAIMessages([
    { role: "user", type: "message", content: "look" },
    { role: "user", type: "image", format: "base64.png", content: "AAAA" },
    { role: "assistant", type: "reasoning", content: "thinking..." },
    { role: "assistant", type: "message", content: "Seen." },
    { role: "computer", type: "code", format: "html", content: "<b>", recipient: "user" },
  ], { vision: true });
  assertEquals(messages, [
    {
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      ],
    },
    { role: "assistant", content: "Seen." },
  ]);
  const blind = toOpenAIMessages([{
    role: "user",
    type: "image",
    format: "base64.png",
    content: "A",
  }]);
  assertStringIncludes(JSON.stringify(blind), "cannot see");
});

Deno.test("to OpenAI: empty output says so; long output keeps head and tail", () => {
  const messages = toOpenAIMessages([
    { role: "user", type: "message", content: "go" },
    { role: "assistant", type: "code", format: "python", content: "x=1", toolCallId: "c1" },
    { role: "computer", type: "console", format: "output", content: "", toolCallId: "c1" },
  ]);
  assertEquals(messages[2], { role: "tool", tool_call_id: "c1", content: "No output" });
  const long = "A".repeat(5000) + "END";
  const cut = truncateOutput(long, 100);
  assert(cut.length < 200);
  assert(cut.startsWith("AAAA") && cut.endsWith("END"));
  assertStringIncludes(cut, "left out");
});

Deno.test("trim: keeps the system message and the last user message, drops the oldest turns", async () => {
  const big = "word ".repeat(400);
  const messages: ChatMessage[] = [{ role: "system", content: "system rules" }];
  for (let i = 0; i < 5; i++) {
    messages.push({ role: "user", content: `q${i} ${big}` }, {
      role: "assistant",
      content: `a${i}`,
    });
  }
  messages.push({ role: "user", content: "final question" });
  const trimmed = await trimToFit(messages, 700);
  assertEquals(trimmed[0], messages[0]);
  assertEquals(trimmed.at(-1), { role: "user", content: "final question" });
  assert(await countMessageTokens(trimmed) <= 700);
  assertEquals(trimmed.map((m) => String(m.content).slice(0, 2)).slice(1), ["q4", "a4", "fi"]);
});

Deno.test("trim: one huge output in the last turn is shortened in the middle", async () => {
  const messages: ChatMessage[] = [
    { role: "system", content: "rules" },
    { role: "user", content: "read the log" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c", type: "function", function: { name: "execute", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: "c", content: "line of log output\n".repeat(2000) },
  ];
  const trimmed = await trimToFit(messages, 800);
  assertEquals(trimmed.length, 4, "nothing dropped: tool results stay with their call");
  assert(await countMessageTokens(trimmed) <= 800);
  assertStringIncludes(String(trimmed[3].content), "left out to fit");
});

Deno.test("system message: languages, permissions, and the code instructions per mode", () => {
  const tools = renderSystemMessage("Be good.", {
    languages: ["python", "shell"],
    permissions: allowAll(),
  });
  assertStringIncludes(tools, "Be good.");
  assertStringIncludes(tools, "python, shell");
  assertStringIncludes(tools, "`execute` tool");
  const md = renderSystemMessage("Be good.", {
    languages: ["python"],
    permissions: { ...allowAll(), net: false, denyRead: ["~/.ssh"] },
    markdownCode: true,
    customInstructions: "Use metric units.",
  });
  assertStringIncludes(md, "net none");
  assertStringIncludes(md, "~/.ssh");
  assertStringIncludes(md, "fenced");
  assert(md.endsWith("Use metric units."));
});

Deno.test("to OpenAI: images from parallel calls follow all tool results as a user message", () => {
  const messages = toOpenAIMessages([
    { role: "user", type: "message", content: "plot twice" },
    { role: "assistant", type: "code", format: "python", content: "plot1()", toolCallId: "a" },
    { role: "assistant", type: "code", format: "python", content: "plot2()", toolCallId: "b" },
    { role: "computer", type: "image", format: "base64.png", content: "IMG1", toolCallId: "a" },
    { role: "computer", type: "console", format: "output", content: "", toolCallId: "a" },
    { role: "computer", type: "console", format: "output", content: "done", toolCallId: "b" },
    { role: "user", type: "message", content: "thanks" },
  ], { vision: true });
  assertEquals(messages.map((m) => m.role), ["user", "assistant", "tool", "tool", "user", "user"]);
  assertEquals(messages[2], { role: "tool", tool_call_id: "a", content: "No output" });
  assertEquals(messages[3], { role: "tool", tool_call_id: "b", content: "done" });
  assertEquals(messages[4].content, [
    { type: "text", text: "The code produced:" },
    { type: "image_url", image_url: { url: "data:image/png;base64,IMG1" } },
  ]);
  assertEquals(messages[5], { role: "user", content: "thanks" });
});

Deno.test("to OpenAI: an image's data URL names its real type (GIF and WebP are not sent as PNG)", () => {
  const urls = toOpenAIMessages([
    { role: "user", type: "message", content: "look" },
    { role: "user", type: "image", format: "base64.gif", content: "R0lG" },
    { role: "user", type: "image", format: "base64.webp", content: "UklG" },
    { role: "user", type: "image", format: "base64.jpeg", content: "/9j/" },
    { role: "user", type: "image", format: "base64.png", content: "iVBO" },
  ], { vision: true }).flatMap((m) =>
    Array.isArray(m.content)
      ? m.content.flatMap((p) => p.type === "image_url" ? [p.image_url.url] : [])
      : []
  );
  assertEquals(urls, [
    "data:image/gif;base64,R0lG",
    "data:image/webp;base64,UklG",
    "data:image/jpeg;base64,/9j/",
    "data:image/png;base64,iVBO",
  ]);
});
