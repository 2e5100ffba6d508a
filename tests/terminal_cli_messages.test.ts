/**
 * One clear line for mistakes a new user makes, found by trying the program:
 * a profile that is not valid YAML names the place without a dangling colon
 * or the parser's snippet, and `--conversations` without a terminal
 * says it needs one (not "no message"). Each runs the real program.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { runCli } from "./helpers/terminal_cli.ts";
import { withTempDir } from "./helpers/terminal_tmux.ts";

Deno.test("messages: a profile that is not valid YAML is one line naming the place", async () => {
  await withTempDir("cli-messages-", async (home) => {
    const profile = join(home, "broken.yaml");
    await Deno.writeTextFile(profile, "llm:\n  model: [oops\nauto_run: true\n");
    const run = await runCli(["-p", profile, "hello"], { home });
    assertEquals(run.code, 2, run.stderr);
    const lines = run.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, run.stderr);
    assertStringIncludes(lines[0], `${profile}: not valid YAML:`);
    assert(/3:1|line 3, column 1/.test(lines[0]), `names the place: ${lines[0]}`);
    assert(!lines[0].endsWith(":"), `no dangling colon: ${lines[0]}`);
  });
});

Deno.test("messages: --conversations with no terminal says it needs one", async () => {
  await withTempDir("cli-messages-", async (home) => {
    const run = await runCli(["--conversations"], { home });
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr.trim(),
      "interpreter: --conversations asks which conversation to resume: run it in a terminal",
    );
    // Control: without --conversations the same run is the plain "no message" usage error.
    const plain = await runCli([], { home });
    assertEquals(plain.code, 2);
    assertStringIncludes(plain.stderr, "no message");
  });
});

Deno.test("messages: a reached turn or budget limit names the flag that raises it", async () => {
  const { startFakeOpenAI } = await import("./helpers/fake_openai_server.ts");
  const { modelArgs } = await import("./helpers/terminal_cli.ts");
  await withTempDir("cli-messages-", async (home) => {
    const turn = { toolCalls: [{ language: "python", code: "print(1)" }] };
    const fake = startFakeOpenAI({ script: [turn, turn, turn] });
    try {
      const one = await runCli([...modelArgs(fake.url), "-y", "--max_turns", "1", "go"], { home });
      assertEquals(one.code, 4, one.stderr);
      assertStringIncludes(one.stderr, "Stopped after 1 model call in one turn");
      assertStringIncludes(one.stderr, "--max_turns");
      // gpt-4o-mini has a price: any spend reaches a budget this small.
      const budget = await runCli(
        [...modelArgs(fake.url), "-y", "--max_budget", "0.000001", "go"],
        { home },
      );
      assertEquals(budget.code, 4, budget.stderr);
      assertStringIncludes(budget.stderr, "--max_budget");
      // A tiny budget is shown as itself, never as $0.0000.
      assertStringIncludes(budget.stderr, "the budget of $0.000001 ");
      assert(!budget.stderr.includes("$0.0000 "), budget.stderr);
    } finally {
      await fake.close();
    }
  });
});
