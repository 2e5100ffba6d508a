/**
 * An MCP tool call in the real terminal (tmux): shown like code, asked about
 * with "Would you like to run this tool? (y/n/a)"; y runs it and the result
 * shows and reaches the model; n runs nothing.
 */

import { assert, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand, modelArgs } from "./helpers/terminal_cli.ts";
import { removeDir, TmuxSession } from "./helpers/terminal_tmux.ts";
import { missingPrograms } from "./helpers/requirements.ts";
import { callTurn } from "./helpers/mcp_client.ts";

const ignore = !!missingPrograms("terminal tests", { tmux: ["-V"] });
const EVERYTHING = "npm:@modelcontextprotocol/server-everything@2026.8.31";

async function withChat(
  answer: "y" | "n",
  check: (screen: string, requests: Record<string, unknown>[]) => void,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "mcp-tmux-" });
  const profile = `${home}/mcp.json`;
  await Deno.writeTextFile(
    profile,
    JSON.stringify({
      mcp_servers: {
        everything: {
          command: Deno.execPath(),
          args: ["run", "-A", EVERYTHING, "stdio"],
          startup_timeout_sec: 120,
        },
      },
    }),
  );
  const fake = startFakeOpenAI({
    script: [callTurn("everything__echo", { message: "hello-tmux" }), { text: "All finished." }],
  });
  const env: Record<string, string> = { INTERPRETER_HOME: home, TERM: "xterm-256color" };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  const term = await TmuxSession.start({
    command: cliCommand(["--profile", profile, ...modelArgs(fake.url)]),
    env,
    cwd: home,
    width: 100,
    height: 30,
  });
  try {
    await term.waitFor(/^>\s*$/m);
    await term.line("echo hello");
    const asked = await term.waitFor("Would you like to run this tool? (y/n/a)", {
      timeoutMs: 120_000,
    });
    assertStringIncludes(asked, "everything.echo");
    assertStringIncludes(asked, "hello-tmux");
    await term.line(answer);
    check(await term.waitFor("All finished.", { timeoutMs: 60_000 }), fake.requests);
  } finally {
    await term.keys("C-d").then(() => term.waitForExit(10_000)).catch(() => {});
    await term.close();
    await fake.close();
    await removeDir(home);
  }
}

Deno.test({
  name: "mcp tmux: y runs the tool; its result is shown and reaches the model",
  ignore,
  fn: () =>
    withChat("y", (screen, requests) => {
      assertStringIncludes(screen, "Echo: hello-tmux");
      assertStringIncludes(JSON.stringify(requests[1].messages), "Echo: hello-tmux");
    }),
});

Deno.test({
  name: "mcp tmux: n runs nothing; the model is told it was declined",
  ignore,
  fn: () =>
    withChat("n", (screen, requests) => {
      assert(!screen.includes("Echo: hello-tmux"), screen);
      const sent = JSON.stringify(requests[1].messages);
      assert(!sent.includes("Echo: hello-tmux"), sent);
      assertStringIncludes(sent, "declined");
    }),
});
