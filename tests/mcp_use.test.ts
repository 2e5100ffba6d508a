/**
 * The model uses MCP servers from the profile (`mcp_servers:`): the official
 * reference servers from npm (server-everything, server-filesystem, pinned)
 * against the fake model server, through the real CLI. A call and its result
 * are LMC chunks (--json), the result reaches the next model request, API
 * keys do not reach a server unless named, approval applies without -y, and a
 * server that exits or never answers ends in one line within its bound.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { modelArgs, runCli } from "./helpers/terminal_cli.ts";
import { waitUntil } from "./helpers/computer_helpers.ts";
import { callTurn, processesWith, processesWithEnv } from "./helpers/mcp_client.ts";

const EVERYTHING = "npm:@modelcontextprotocol/server-everything@2026.8.31";
const FILESYSTEM = "npm:@modelcontextprotocol/server-filesystem@2026.8.31";

interface Setup {
  home: string;
  profile: string;
}

async function setup(servers: Record<string, unknown>): Promise<Setup> {
  const home = await Deno.makeTempDir({ prefix: "mcp-use-" });
  const profile = `${home}/mcp.json`;
  await Deno.writeTextFile(profile, JSON.stringify({ mcp_servers: servers }));
  return { home, profile };
}

function chunksOf(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function toolMessages(body: Record<string, unknown>): { tool_call_id: string; content: string }[] {
  return (body.messages as { role: string; tool_call_id: string; content: string }[])
    .filter((m) => m.role === "tool");
}

const denoEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  const dir = Deno.env.get("DENO_DIR");
  if (dir) env.DENO_DIR = dir;
  return env;
};

Deno.test("mcp use: the model calls server-everything's echo; the result reaches the next request", async () => {
  const marker = `mcp-marker-${crypto.randomUUID()}`;
  const { home, profile } = await setup({
    everything: {
      command: Deno.execPath(),
      args: ["run", "-A", EVERYTHING, "stdio"],
      env: { MCP_TEST_MARKER: marker },
      startup_timeout_sec: 120,
    },
  });
  const fake = startFakeOpenAI({
    script: [callTurn("everything__echo", { message: "hello-from-the-model" }), {
      text: "It echoed.",
    }],
  });
  try {
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "-y", "--json", "echo something"],
      { home, env: denoEnv(), timeoutMs: 180_000 },
    );
    assertEquals(run.code, 0, run.stderr);
    // Offered beside execute.
    const tools = (fake.requests[0].tools as { function: { name: string } }[]).map((t) =>
      t.function.name
    );
    assert(tools.includes("execute") && tools.includes("everything__echo"), tools.join(","));
    // Its schema as the server gives it, less the $schema tag some providers refuse.
    const echo = (fake.requests[0].tools as {
      function: { name: string; parameters: Record<string, unknown> };
    }[]).find((t) => t.function.name === "everything__echo")!;
    assertEquals(echo.function.parameters.type, "object");
    assertEquals(echo.function.parameters.required, ["message"]);
    assert(!("$schema" in echo.function.parameters), JSON.stringify(echo.function.parameters));
    // The result went back to the model as the call's tool message.
    const results = toolMessages(fake.requests[1]);
    assertEquals(results.length, 1);
    assertEquals(results[0].tool_call_id, "call_mcp_test_1");
    assertStringIncludes(results[0].content, "hello-from-the-model");
    // The call and its result are visible LMC chunks.
    const chunks = chunksOf(run.stdout);
    const call = chunks.find((c) => c.type === "tool_call" && !c.start && !c.end);
    assertEquals(call?.role, "assistant");
    assertEquals(call?.format, "mcp");
    assertEquals(call?.content, {
      server: "everything",
      tool: "echo",
      arguments: { message: "hello-from-the-model" },
    });
    const result = chunks.find((c) => c.type === "tool_result" && !c.start && !c.end);
    assertEquals(result?.role, "computer");
    const content = result?.content as { text: string; isError: boolean };
    assertStringIncludes(content.text, "hello-from-the-model");
    assertEquals(content.isError, false);
    assert(chunks.some((c) => c.type === "tool_call" && c.start));
    // The server stopped with the program.
    assert(
      await waitUntil(() => processesWithEnv(marker).length === 0, 10_000),
      "the MCP server outlived the program",
    );
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp use: server-filesystem reads a file for the model", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcp-fs-" });
  await Deno.writeTextFile(`${dir}/notes.txt`, "the notes say 7421");
  const { home, profile } = await setup({
    files: {
      command: Deno.execPath(),
      args: ["run", "-A", FILESYSTEM, dir],
      startup_timeout_sec: 120,
    },
  });
  const fake = startFakeOpenAI({
    script: [callTurn("files__read_text_file", { path: `${dir}/notes.txt` }), { text: "7421." }],
  });
  try {
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "-y", "what do the notes say?"],
      { home, env: denoEnv(), timeoutMs: 180_000 },
    );
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(toolMessages(fake.requests[1])[0].content, "the notes say 7421");
    // Shown in the chat like code: the call, then its result.
    assertStringIncludes(run.stdout, "files.read_text_file");
    assertStringIncludes(run.stdout, "the notes say 7421");
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mcp use: API keys reach a server only when the profile names them", async () => {
  const { home, profile } = await setup({
    everything: {
      command: Deno.execPath(),
      args: ["run", "-A", EVERYTHING, "stdio"],
      env: { NAMED_FOR_SERVER: "given-on-purpose-5521" },
      startup_timeout_sec: 120,
    },
  });
  const fake = startFakeOpenAI({
    script: [callTurn("everything__get-env", {}), { text: "ok" }],
  });
  try {
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "-y", "show the env"],
      {
        home,
        env: {
          ...denoEnv(),
          OPENAI_API_KEY: "sk-openai-must-not-leak-99",
          ANTHROPIC_API_KEY: "sk-ant-must-not-leak-98",
          SOME_OTHER_VARIABLE: "not-for-the-server-97",
        },
        timeoutMs: 180_000,
      },
    );
    assertEquals(run.code, 0, run.stderr);
    const env = toolMessages(fake.requests[1])[0].content;
    // The control: the variable the profile names is there (so the tool shows the environment).
    assertStringIncludes(env, "given-on-purpose-5521");
    for (const name of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SOME_OTHER_VARIABLE"]) {
      assert(!env.includes(name), `${name} reached the server: ${env.slice(0, 400)}`);
    }
    assert(!env.includes("must-not-leak"));
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp use: without -y and no terminal a tool call is not run (approval as for code)", async () => {
  const { home, profile } = await setup({
    everything: {
      command: Deno.execPath(),
      args: ["run", "-A", EVERYTHING, "stdio"],
      startup_timeout_sec: 120,
    },
  });
  const fake = startFakeOpenAI({
    script: [
      callTurn("everything__echo", { message: "should-not-run" }),
      { text: "Understood." },
    ],
  });
  try {
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "--json", "echo"],
      { home, env: denoEnv(), timeoutMs: 180_000 },
    );
    assertEquals(run.code, 3, run.stderr);
    const chunks = chunksOf(run.stdout);
    const confirmation = chunks.find((c) => c.type === "confirmation");
    assertEquals((confirmation?.content as { type: string }).type, "tool_call");
    assert(!chunks.some((c) => c.type === "tool_result"), "the tool ran without approval");
    // The model is told it was not run.
    const told = toolMessages(fake.requests[1])[0].content;
    assert(!told.includes("should-not-run"), told);
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp use: a server that exits at start and one that never answers: one line each, within the bound", async () => {
  const marker = `${2000 + Math.floor(Math.random() * 7000)}.${Date.now() % 100000}`;
  const { home, profile } = await setup({
    dies: {
      command: Deno.execPath(),
      args: ["eval", "console.error('cannot open the database'); Deno.exit(3)"],
      startup_timeout_sec: 20,
    },
    hangs: { command: "sleep", args: [marker], startup_timeout_sec: 2 },
    missing: { command: "no-such-mcp-server-xyz", startup_timeout_sec: 20 },
  });
  const fake = startFakeOpenAI({ script: [{ text: "Fine without them." }] });
  try {
    const started = Date.now();
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "-y", "hello"],
      { home, env: denoEnv(), timeoutMs: 120_000 },
    );
    const seconds = (Date.now() - started) / 1000;
    assertEquals(run.code, 0, run.stderr + run.stdout);
    const all = run.stdout + run.stderr;
    // One message each (the terminal may wrap it at its width).
    const flat = all.replace(/\n\s*/g, " ");
    assertEquals(flat.split('MCP server "dies"').length, 2, all);
    assertStringIncludes(
      flat,
      'MCP server "dies" exited at start (its last words: cannot open the database).',
    );
    assertEquals(flat.split('MCP server "hangs"').length, 2, all);
    assertStringIncludes(
      flat,
      'MCP server "hangs" did not answer within 2 s (startup_timeout_sec).',
    );
    assertStringIncludes(
      flat,
      'MCP server "missing": cannot run `no-such-mcp-server-xyz` (No such file or directory): check its command.',
    );
    assertStringIncludes(all, "Fine without them.");
    assert(seconds < 60, `took ${seconds} s`);
    // The model was still asked, with execute alone.
    const tools = (fake.requests[0].tools as { function: { name: string } }[]).map((t) =>
      t.function.name
    );
    assertEquals(tools, ["execute"]);
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 10_000),
      "the hung server was left running",
    );
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp use: a tool call that never answers ends within tool_timeout_sec", async () => {
  const { home, profile } = await setup({
    everything: {
      command: Deno.execPath(),
      args: ["run", "-A", EVERYTHING, "stdio"],
      startup_timeout_sec: 120,
      tool_timeout_sec: 2,
    },
  });
  const fake = startFakeOpenAI({
    script: [
      callTurn("everything__trigger-long-running-operation", { duration: 60, steps: 2 }),
      { text: "It timed out." },
    ],
  });
  try {
    const run = await runCli(
      ["--profile", profile, ...modelArgs(fake.url), "-y", "run the long operation"],
      { home, env: denoEnv(), timeoutMs: 180_000 },
    );
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(
      toolMessages(fake.requests[1])[0].content,
      'MCP server "everything" did not answer trigger-long-running-operation within 2 s (tool_timeout_sec).',
    );
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp use: a bad mcp_servers entry is one line and exit status 2", async () => {
  const { home, profile } = await setup({ broken: { command: "x", url: "http://a" } });
  try {
    const run = await runCli(["--profile", profile, "hello"], { home });
    assertEquals(run.code, 2);
    assertStringIncludes(run.stderr, "mcp_servers.broken");
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp use: a server dies with the program even when the program is killed (kill -9)", async () => {
  const marker = `${2000 + Math.floor(Math.random() * 7000)}.${Date.now() % 100000}`;
  const { home, profile } = await setup({
    slow: { command: "sleep", args: [marker], startup_timeout_sec: 120 },
  });
  const fake = startFakeOpenAI({ script: [{ text: "never reached" }] });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "--profile",
      profile,
      ...modelArgs(fake.url),
      "-y",
      "hello",
    ],
    env: { INTERPRETER_HOME: home, ...denoEnv() },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 1, 30_000),
      "the server never started",
    );
    child.kill("SIGKILL");
    await child.status;
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 10_000),
      `the server outlived the killed program: ${processesWith(`sleep ${marker}`)}`,
    );
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    for (const pid of processesWith(`sleep ${marker}`)) Deno.kill(pid, "SIGKILL");
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
});
