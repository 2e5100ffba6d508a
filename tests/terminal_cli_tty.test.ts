/**
 * `cat log | interpreter "why?"` typed in a real terminal (tmux): standard
 * input is the pipe, yet approval is asked on the terminal (/dev/tty), as git
 * and sudo do. With no terminal at all, code is declined (see
 * terminal_cli_noninteractive.test.ts, which runs the program under setsid).
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand } from "./helpers/terminal_cli.ts";
import { hasTmux, TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("cli tty tests skipped: tmux is not installed");

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `printf log | interpreter ... "why?"` in tmux, answers `answer` (a line,
 * or tmux keys such as `C-c`), returns the exit status.
 */
async function pipeline(answer: string, options: { stdoutToFile?: boolean } = {}): Promise<
  {
    status: number;
    screen: string;
    requests: Record<string, unknown>[];
    marker: boolean;
    stdout?: string;
  }
> {
  const home = await Deno.makeTempDir({ prefix: "interpreter-cli-tty-" });
  const marker = `${home}/approved`;
  const fake = startFakeOpenAI({
    script: [
      { toolCalls: [{ language: "shell", code: `touch ${marker}; echo ran-$((6*7))` }] },
      { text: "The disk is full." },
    ],
  });
  const program = cliCommand([
    "--api_base",
    fake.url,
    "--model",
    "gpt-4o-mini",
    "--api_key",
    "sk-tty-test-key-0123456789",
    "why did it fail?",
  ]);
  const term = await TmuxSession.start({
    command: [
      "sh",
      "-c",
      `printf 'error: no space left on device\\n' | ${program.map(quote).join(" ")}${
        options.stdoutToFile ? ` > ${quote(`${home}/out.txt`)}` : ""
      }`,
    ],
    env: { INTERPRETER_HOME: home, TERM: "xterm-256color" },
    cwd: home,
  });
  try {
    await term.waitFor("Would you like to run this code? (y/n/e/a)", { timeoutMs: 60_000 });
    if (answer === "C-c") await term.keys("C-c");
    else await term.line(answer);
    const status = await term.waitForExit(60_000);
    return {
      status,
      screen: await term.capture(),
      requests: fake.requests,
      marker: await Deno.stat(marker).then(() => true, () => false),
      stdout: options.stdoutToFile ? await Deno.readTextFile(`${home}/out.txt`) : undefined,
    };
  } finally {
    await term.close();
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test({
  name: "cli tty: piped stdin in a terminal asks for approval there; y runs the code",
  ignore: !TMUX,
  fn: async () => {
    const r = await pipeline("y");
    assertEquals(r.status, 0, r.screen);
    assert(r.marker, "the approved code ran");
    assertStringIncludes(JSON.stringify(r.requests[0]), "no space left on device");
    assertStringIncludes(JSON.stringify(r.requests[1]), "ran-42");
    assertStringIncludes(r.screen, "The disk is full.");
  },
});

Deno.test({
  name: "cli tty: piped stdin in a terminal, n declines the code (exit 3)",
  ignore: !TMUX,
  fn: async () => {
    const r = await pipeline("n");
    assertEquals(r.status, 3, r.screen);
    assert(!r.marker, "declined code did not run");
    assertStringIncludes(JSON.stringify(r.requests[1]), "declined");
  },
});

Deno.test({
  name: "cli tty: Ctrl-C at the approval question on the terminal stops (exit 130), nothing runs",
  ignore: !TMUX,
  fn: async () => {
    const r = await pipeline("C-c");
    assertEquals(r.status, 130, r.screen);
    assert(!r.marker, "interrupted code did not run");
    assertStringIncludes(r.screen, "(interrupted)");
  },
});

Deno.test({
  name: "cli tty: with stdout redirected, the code is shown on the terminal before the question",
  ignore: !TMUX,
  fn: async () => {
    const r = await pipeline("y", { stdoutToFile: true });
    assertEquals(r.status, 0, r.screen);
    const question = r.screen.indexOf("Would you like to run this code?");
    const code = r.screen.indexOf("touch ");
    assert(code >= 0 && code < question, `the code is on the terminal first:\n${r.screen}`);
    assertStringIncludes(r.stdout ?? "", "The disk is full.");
  },
});
