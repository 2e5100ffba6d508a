import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { MAGIC_HELP, type MagicContext, runMagic } from "../lib/terminal/magic.ts";
import type { LmcMessage } from "../lib/wire/lmc.ts";
import { findLocalServers } from "../lib/terminal/local.ts";

function context(cwd: string, messages: LmcMessage[]): MagicContext & { printed: string[] } {
  const printed: string[] = [];
  const ctx = {
    printed,
    messages,
    setMessages(m: LmcMessage[]) {
      ctx.messages = m;
    },
    reset() {
      ctx.messages = [];
      return Promise.resolve();
    },
    print: (...lines: string[]) => void printed.push(...lines),
    autoRun: false,
    setAutoRun(on: boolean) {
      ctx.autoRun = on;
    },
    verbose: false,
    setVerbose(on: boolean) {
      ctx.verbose = on;
    },
    runShell: (c: string) => Promise.resolve(void printed.push(`shell:${c}`)),
    info: () => Promise.resolve(["info line"]),
    tokens: (p: string) => Promise.resolve([`tokens:${p}`]),
    cwd,
  };
  return ctx;
}

const CONVERSATION: LmcMessage[] = [
  { role: "user", type: "message", content: "What's 2380*3875?" },
  { role: "assistant", type: "code", format: "python", content: "2380*3875" },
  { role: "computer", type: "console", format: "output", content: "9222500" },
  { role: "assistant", type: "message", content: "It is 9222500." },
  { role: "user", type: "message", content: "And doubled?" },
  { role: "assistant", type: "message", content: "18445000" },
];

Deno.test("magic: exports, save/load, undo, toggles, unknown shows help", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ctx = context(dir, [...CONVERSATION]);
    await runMagic("%jupyter nb", ctx);
    const nb = JSON.parse(await Deno.readTextFile(`${dir}/nb.ipynb`));
    assertEquals(nb.nbformat, 4);
    const code = nb.cells.find((c: { cell_type: string }) => c.cell_type === "code");
    assertEquals(code.source, ["2380*3875"]);
    assertEquals(code.outputs[0].text, ["9222500"]);
    await runMagic("%markdown talk", ctx);
    const md = await Deno.readTextFile(`${dir}/talk.md`);
    assertStringIncludes(md, "## user\n\nWhat's 2380*3875?");
    assertStringIncludes(md, "```python\n2380*3875\n```");
    await runMagic("%save_message saved", ctx);
    await runMagic("%undo", ctx);
    assertEquals(ctx.messages.length, 4);
    assertStringIncludes(ctx.printed.join("\n"), 'Removed message: "And doubled?"');
    await runMagic("%load_message saved.json", ctx);
    assertEquals(ctx.messages, CONVERSATION);
    await runMagic("%auto_run", ctx);
    assert(ctx.autoRun);
    await runMagic("%auto_run false", ctx);
    assert(!ctx.autoRun);
    await runMagic("%verbose false", ctx);
    await runMagic("%% ls -la", ctx);
    await runMagic("%tokens how long is this", ctx);
    assertStringIncludes(ctx.printed.join("\n"), "shell:ls -la");
    assertStringIncludes(ctx.printed.join("\n"), "tokens:how long is this");
    ctx.printed.length = 0;
    await runMagic("%frobnicate", ctx);
    assertEquals(ctx.printed, ["Unknown command %frobnicate. Commands:", ...MAGIC_HELP]);
    await runMagic("%reset", ctx);
    assertEquals(ctx.messages, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local: finds OpenAI-compatible servers that answer, skips closed ports, bounded", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/v1/models") {
      return Response.json({ data: [{ id: "qwen3:0.6b" }, { id: "llama3.2" }] });
    }
    return new Response("not found", { status: 404 });
  });
  // A port nothing listens on: bind and close one.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  try {
    const found = await findLocalServers([
      { name: "Ollama", port: server.addr.port },
      { name: "Jan", port: closedPort },
    ], 1000);
    assertEquals(found, [{
      name: "Ollama",
      apiBase: `http://127.0.0.1:${server.addr.port}/v1`,
      models: ["qwen3:0.6b", "llama3.2"],
    }]);
  } finally {
    await server.shutdown();
  }
});
