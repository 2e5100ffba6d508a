import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import {
  collect,
  numbersAfter,
  processAlive,
  textOf,
  waitGone,
  withComputer,
} from "./helpers/computer_helpers.ts";
import { Session } from "../lib/computer/session.ts";
import { shellSpec } from "../lib/computer/specs.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { hostPids, SANDBOX_MODES, SHELL_TOKEN, tokenIn } from "./helpers/session_pids.ts";

Deno.test("shell: cwd, exported variables and functions survive between runs", async () => {
  await withComputer({}, async (computer) => {
    const dir = await Deno.makeTempDir();
    try {
      await computer.run(
        "bash",
        `cd ${dir}\nexport GREETING=hello\nplain=kept\ngreet() { echo "$GREETING $1"; }`,
      );
      assertEquals(textOf(await computer.run("sh", "pwd")), `${dir}\n`);
      assertEquals(
        textOf(await computer.run("shell", 'greet world; echo "$plain"')),
        "hello world\nkept\n",
      );
      // exported variables reach child processes
      assertEquals(textOf(await computer.run("zsh", "bash -c 'echo $GREETING'")), "hello\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("shell: a shorter run after a longer one runs only its own code", async () => {
  await withComputer({}, async (computer) => {
    assertEquals(
      textOf(await computer.run("shell", "echo first\necho second\necho third")),
      "first\nsecond\nthird\n",
    );
    assertEquals(textOf(await computer.run("shell", "echo x")), "x\n");
    assertEquals(textOf(await computer.run("shell", "echo a\necho b")), "a\nb\n");
  });
});

Deno.test("shell: a failing command's exit status is reported; stderr is kept in order", async () => {
  await withComputer({}, async (computer) => {
    const text = textOf(
      await computer.run("shell", "echo out\nls /no/such/path\necho after >&2\n(exit 3)"),
    );
    assertEquals(
      text,
      "out\nls: cannot access '/no/such/path': No such file or directory\nafter\n[exit status 3]\n",
    );
    assertEquals(textOf(await computer.run("shell", "true")), "");
    // `exit` ends the shell; the next run gets a new one and says so
    const exited = textOf(await computer.run("shell", "exit 4"));
    assertStringIncludes(exited, "session ended (exit code 4)");
    assertEquals(textOf(await computer.run("shell", "echo back")), "echo back".slice(5) + "\n");
  });
});

Deno.test("shell: active lines follow the code, multi-line constructs included", async () => {
  await withComputer({}, async (computer) => {
    const chunks = await collect(
      computer.stream("shell", "echo one\nfor i in 1 2; do\n  echo $i\ndone\necho end"),
    );
    const seen: [unknown, unknown][] = [];
    let line: unknown;
    for (const c of chunks) {
      if (c.format === "active_line") line = c.content;
      if (c.format === "output") seen.push([line, c.content]);
    }
    assertEquals(seen[0], [1, "one\n"]);
    assert(seen.some(([l, t]) => l === 3 && String(t).startsWith("1")), JSON.stringify(seen));
    assertEquals(seen[seen.length - 1], [5, "end\n"]);
    assertEquals(chunks[chunks.length - 1].content, null);
  });
});

Deno.test("shell: `read` and `cat` waiting for input are stopped; the session keeps its state", async () => {
  await withComputer({ inputIdleTimeout: 0.3 }, async (computer) => {
    await computer.run("shell", "cd /tmp; KEEP=1");
    const text = textOf(
      await computer.run("shell", "echo before\nread answer\necho after $answer"),
    );
    assertStringIncludes(text, "before\n");
    assertStringIncludes(text, "stopped: the program was waiting for input");
    assert(!text.includes("after"), "the rest of the code did not run");
    assertStringIncludes(textOf(await computer.run("shell", "cat")), "waiting for input");
    assertEquals(textOf(await computer.run("shell", 'echo "$KEEP $(pwd)"')), "1 /tmp\n");
  });
});

Deno.test("shell: programs that read /dev/tty (sudo/ssh-style prompts) fail fast", async () => {
  await withComputer({ timeout: 10 }, async (computer) => {
    // sessions have no controlling terminal, so a password prompt cannot wait
    const text = textOf(
      await computer.run(
        "shell",
        "python3 -c \"import getpass; getpass.getpass('Password: ')\" < /dev/null; echo status $?\n" +
          "bash -c 'read -p \"Continue (yes/no)? \" a < /dev/tty'; echo status $?",
      ),
    );
    assertStringIncludes(text, "status 1\n");
    assertStringIncludes(text, "/dev/tty");
    assert(!text.includes("stopped after"), text);
  });
});

for (const mode of SANDBOX_MODES) {
  Deno.test(`shell: timeout and stop kill the whole process tree, background jobs included, ${mode.name}`, async () => {
    await withComputer({ ...mode.options, timeout: 1 }, async (computer) => {
      let text = "";
      let printed: number[] = [];
      const pids: number[] = [];
      const code = `${SHELL_TOKEN}\n` +
        "sleep 1000 & echo PID $!\nbash -c 'sleep 1000 & echo PID $!; wait' &\nsleep 0.2\n" +
        "sleep 1000 | cat & echo PID $!\nsleep 1000";
      for await (const chunk of computer.stream("shell", code)) {
        if (chunk.format !== "output") continue;
        text += chunk.content;
        // Translated as they appear, while they run (inside the sandbox pids are its own).
        printed = numbersAfter(text, "PID");
        if (printed.length > pids.length) {
          pids.push(...(await hostPids(printed.slice(pids.length), tokenIn(text)!)));
        }
      }
      assertStringIncludes(text, "stopped after 1 s");
      assertEquals(printed.length, 3);
      assertEquals(pids.length, 3);
      if (!mode.sandboxed) assertEquals(pids, printed, "unsandboxed pids are host pids");
      assertEquals(await waitGone(pids), [], "no process of the run survives");
      assertEquals(textOf(await computer.run("shell", "echo alive")), "alive\n");

      // stop() from outside while a builtin loop runs in the shell itself
      const running = computer.stream(
        "shell",
        `${SHELL_TOKEN}\necho PID $BASHPID\nwhile :; do :; done`,
        {
          timeout: 0,
        },
      );
      let stopped = "";
      let shellPid: number | undefined;
      for await (const chunk of running) {
        if (chunk.format !== "output") continue;
        stopped += chunk.content;
        const [pid] = numbersAfter(stopped, "PID");
        if (pid !== undefined && shellPid === undefined) {
          [shellPid] = await hostPids([pid], tokenIn(stopped)!);
          setTimeout(() => computer.stop(), 300);
        }
      }
      assertStringIncludes(stopped, "stopped by the user");
      assert(shellPid !== undefined, stopped);
      assert(processAlive(shellPid), "the shell itself survives a stop");
      assertEquals(await hostPids(numbersAfter(stopped, "PID"), tokenIn(stopped)!), [shellPid]);
    });
  });

  Deno.test(`shell: terminate() leaves no process behind, ${mode.name}`, async () => {
    let pids: number[] = [];
    await withComputer(mode.options, async (computer) => {
      const text = textOf(
        await computer.run(
          "shell",
          `${SHELL_TOKEN}\n` +
            "sleep 1000 & echo PID $!\nsetsid sleep 1000 & echo PID $!\nnohup sleep 1000 >/dev/null 2>&1 & echo PID $!\necho PID $$",
        ),
      );
      const printed = numbersAfter(text, "PID");
      assertEquals(printed.length, 4);
      pids = await hostPids(printed, tokenIn(text)!);
      if (!mode.sandboxed) assertEquals(pids, printed, "unsandboxed pids are host pids");
      assert(pids.length > 0, "the list checked below is not empty");
      assert(pids.every(processAlive), "background jobs run between runs");
    });
    // withComputer terminated the computer
    assertEquals(await waitGone(pids), []);
  });
}

Deno.test("shell: the plain sh driver (machines without bash) keeps state and stops input waits", async () => {
  const dir = await Deno.makeTempDir();
  const session = new Session(shellSpec("/bin/sh", false), () => ({
    timeout: 5,
    inputIdleTimeout: 0.3,
    maxOutput: 2800,
    permissions: allowAll(),
    env: Deno.env.toObject(),
    outputDir: dir,
    storeBudget: 1e9,
  }));
  const run = async (code: string) => {
    let out = "";
    for await (const c of session.stream(code)) if (c.format === "output") out += c.content;
    return out;
  };
  try {
    assertEquals(await run("cd /tmp; X=5"), "");
    assertEquals(await run("pwd; echo $X; false"), "/tmp\n5\n[exit status 1]\n");
    assertStringIncludes(await run("read y"), "stopped: the program was waiting for input");
    assertEquals(await run("echo $X"), "5\n");
  } finally {
    await session.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
