import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import {
  collect,
  numbersAfter,
  processAlive,
  pythonWithMatplotlib,
  textOf,
  waitGone,
  withComputer,
} from "./helpers/computer_helpers.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { hostPids, PYTHON_TOKEN, SANDBOX_MODES, tokenIn } from "./helpers/session_pids.ts";
import type { LmcMessage } from "../lib/wire/lmc.ts";
import { repoModule, runDenoChild } from "./helpers/deno_child.ts";

Deno.test("python: state survives between runs; a last bare expression is shown like a REPL", async () => {
  await withComputer({}, async (computer) => {
    assertEquals(
      textOf(await computer.run("python", "import math\nx = 21\ndef double(v):\n    return v * 2")),
      "",
    );
    assertEquals(textOf(await computer.run("py", "print('hi')\ndouble(x)")), "hi\n42\n");
    assertEquals(textOf(await computer.run("python3", "math.sqrt(16)")), "4.0\n");
    // None is not displayed, like a REPL
    assertEquals(textOf(await computer.run("python", "None")), "");
  });
});

Deno.test("python: tracebacks come back as output and show the code as written", async () => {
  await withComputer({}, async (computer) => {
    const text = textOf(
      await computer.run("python", "def f():\n    return 1/0  # the  'odd'   comment\n\nf()"),
    );
    assertStringIncludes(text, "Traceback (most recent call last)");
    assertStringIncludes(text, "return 1/0  # the  'odd'   comment");
    assertStringIncludes(text, "ZeroDivisionError: division by zero");
    assert(!text.includes("driver.py"), "the driver's own frames are hidden");
    const syntax = textOf(await computer.run("python", "def (:"));
    assertStringIncludes(syntax, "SyntaxError");
    // the session is still usable
    assertEquals(textOf(await computer.run("python", "1 + 1")), "2\n");
    // sys.exit() ends the run, not the session
    await computer.run("python", "y = 5");
    await computer.run("python", "import sys\nsys.exit(0)");
    assertEquals(textOf(await computer.run("python", "y")), "5\n");
  });
});

Deno.test("python: active lines are streamed, then null", async () => {
  await withComputer({}, async (computer) => {
    const chunks = await collect(
      computer.stream("python", "a = 1\nfor i in range(2):\n    print(i)\nb = 2"),
    );
    const lines = chunks.filter((c) => c.format === "active_line").map((c) => c.content);
    // Consecutive active lines are merged (only the latest is kept), so the line
    // reported just before the first output is the print on line 3.
    const firstOutput = chunks.findIndex((c) => c.format === "output");
    assertEquals(chunks[firstOutput - 1].content, 3);
    assert(lines.length > 0, "the list checked below is not empty");
    assert(
      lines.every((l) => l === null || (typeof l === "number" && l >= 1 && l <= 4)),
      JSON.stringify(lines),
    );
    assertEquals(chunks[chunks.length - 1].format, "active_line");
    assertEquals(chunks[chunks.length - 1].content, null);
    const output = chunks.filter((c) => c.format === "output").map((c) => c.content).join("");
    assertEquals(output, "0\n1\n");
  });
});

Deno.test("python: input() is stopped with a reason and the variables are kept", async () => {
  await withComputer({ inputIdleTimeout: 0.3 }, async (computer) => {
    await computer.run("python", "kept = 'yes'");
    const text = textOf(await computer.run("python", "name = input('Your name? ')\nprint(name)"));
    assertStringIncludes(text, "Your name?");
    assertStringIncludes(text, "stopped: the program was waiting for input");
    assertEquals(textOf(await computer.run("python", "kept")), "'yes'\n");
    // reading sys.stdin directly is detected through /proc
    const raw = textOf(await computer.run("python", "import sys\nsys.stdin.readline()"));
    assertStringIncludes(raw, "stopped: the program was waiting for input");
  });
});

Deno.test("python: the wall-clock timeout stops a run and keeps the session's state", async () => {
  await withComputer({ timeout: 1 }, async (computer) => {
    await computer.run("python", "counter = 41");
    const text = textOf(
      await computer.run(
        "python",
        "import time\nprint('start')\nwhile True:\n    time.sleep(0.01)",
      ),
    );
    assertStringIncludes(text, "start\n");
    assertStringIncludes(text, "KeyboardInterrupt");
    assertStringIncludes(text, "stopped after 1 s");
    assertEquals(textOf(await computer.run("python", "counter + 1")), "42\n");
    // a per-run timeout overrides the default; a busy loop without I/O is stopped too
    const busy = textOf(await computer.run("python", "while True: pass", { timeout: 0.5 }));
    assertStringIncludes(busy, "stopped after 0.5 s");
  });
});

for (const mode of SANDBOX_MODES) {
  Deno.test(`python: stop() and an AbortSignal interrupt the run and its child processes, ${mode.name}`, async () => {
    await withComputer(mode.options, async (computer) => {
      await computer.run("python", "state = 'kept'");
      const code = "import subprocess, sys\n" +
        "p = subprocess.Popen(['sleep', '1000'])\n" +
        `${PYTHON_TOKEN}\n` +
        "print('PID', p.pid, flush=True)\n" +
        "p.wait()";
      let printed: number[] = [];
      let pids: number[] = [];
      let text = "";
      for await (const chunk of computer.stream("python", code)) {
        if (chunk.format !== "output") continue;
        text += chunk.content;
        if (!pids.length && (printed = numbersAfter(text, "PID")).length) {
          // Translated while the child runs: the pid printed is the sandbox's own.
          pids = await hostPids(printed, tokenIn(text)!);
          assert(pids.length > 0, "the list checked below is not empty");
          assert(pids.every(processAlive), "the child runs until the stop");
          await computer.stop();
        }
      }
      assertEquals(pids.length, 1, text);
      if (!mode.sandboxed) assertEquals(pids, printed, "unsandboxed pids are host pids");
      else assert(pids[0] !== printed[0], "the sandbox has its own PID namespace");
      assertStringIncludes(text, "stopped by the user");
      assertEquals(await waitGone(pids), [], "the child was killed");

      const controller = new AbortController();
      const aborted = computer.run("python", "import time\nwhile True: time.sleep(0.05)", {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 300);
      assertStringIncludes(textOf(await aborted), "stopped by the user");
      assertEquals(textOf(await computer.run("python", "state")), "'kept'\n");
    });
  });
}

Deno.test("python: breaking out of the stream stops the run", async () => {
  await withComputer({}, async (computer) => {
    for await (
      const chunk of computer.stream(
        "python",
        "import time\nprint('x', flush=True)\ntime.sleep(1000)",
      )
    ) {
      if (chunk.format === "output") break;
    }
    assertEquals(textOf(await computer.run("python", "'next'")), "'next'\n");
  });
});

Deno.test("python: the environment holds no secrets", async () => {
  // The variables are set for a child deno, never in this process: test files
  // run in parallel in one process and share its environment.
  const script = `
    import { Computer } from ${JSON.stringify(repoModule("lib/computer/mod.ts"))};
    const runs = [
      [{}, "import os; print(os.environ.get('COMPUTER_TEST_API_KEY'), os.environ.get('COMPUTER_TEST_PLAIN'))"],
      [{ secretEnv: ["COMPUTER_TEST_PLAIN"] }, "import os; print(os.environ.get('COMPUTER_TEST_PLAIN'))"],
    ] as const;
    const dataDir = await Deno.makeTempDir({ prefix: "computer-test-" });
    const seen = [];
    for (const [options, code] of runs) {
      const computer = new Computer({ dataDir, ...options });
      try {
        seen.push(await computer.run("python", code));
      } finally {
        await computer.terminate();
      }
    }
    await Deno.remove(dataDir, { recursive: true });
    console.log(JSON.stringify(seen));
  `;
  const child = await runDenoChild(script, {
    env: { COMPUTER_TEST_API_KEY: "sk-should-not-leak", COMPUTER_TEST_PLAIN: "visible" },
  });
  assertEquals(child.code, 0, child.stderr);
  const [defaults, named] = JSON.parse(child.stdout) as LmcMessage[][];
  // By default names like *_API_KEY are stripped and the rest is passed on.
  assertEquals(textOf(defaults), "None visible\n");
  // A variable named in secretEnv is stripped too.
  assertEquals(textOf(named), "None\n");
});

const mplPython = pythonWithMatplotlib();
if (!mplPython) console.log("skipping the plt.show() test: no python3 here can import matplotlib");

Deno.test({
  name: "python: plt.show() yields a PNG image chunk",
  ignore: !mplPython,
  fn: async () => {
    await withComputer({ python: mplPython }, async (computer) => {
      const messages = await computer.run(
        "python",
        "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()\nprint('after')",
      );
      const image = messages.find((m) => m.type === "image");
      assert(image, JSON.stringify(messages).slice(0, 300));
      assertEquals(image.format, "base64.png");
      assertMatch(String(image.content), /^iVBORw0KGgo/); // PNG signature
      assertEquals(textOf(messages), "after\n");
    });
  },
});

Deno.test("python: a missing interpreter is reported as output", async () => {
  await withComputer({ python: "/nonexistent/python3" }, async (computer) => {
    const text = textOf(await computer.run("python", "print(1)"));
    assertStringIncludes(text, "Python 3 was not found");
  });
});

Deno.test("python: a change of permissions restarts the session and says so", async () => {
  await withComputer({ permissions: allowAll() }, async (computer) => {
    await computer.run("python", "before = 1");
    assertEquals(textOf(await computer.run("python", "'before' in globals()")), "True\n");
    computer.permissions = { ...allowAll(), net: false };
    const text = textOf(await computer.run("python", "'before' in globals()"));
    assertStringIncludes(text, "the permissions changed");
    assertStringIncludes(text, "False\n");
    // unchanged permissions keep the session
    assertEquals(textOf(await computer.run("python", "after = 2\nafter")), "2\n");
    assertEquals(textOf(await computer.run("python", "after")), "2\n");
  });
});

for (const mode of SANDBOX_MODES) {
  Deno.test(`python: terminate() ends processes the code left running, ${mode.name}`, async () => {
    let pids: number[] = [];
    await withComputer(mode.options, async (computer) => {
      const text = textOf(
        await computer.run(
          "python",
          "import subprocess, os\n" +
            "a = subprocess.Popen(['sleep', '1000'])\n" +
            "b = subprocess.Popen(['setsid', 'sleep', '1000'])\n" +
            `${PYTHON_TOKEN}\n` +
            "print('PID', a.pid, 'PID', b.pid, 'PID', os.getpid())",
        ),
      );
      const printed = numbersAfter(text, "PID");
      assertEquals(printed.length, 3);
      pids = await hostPids(printed, tokenIn(text)!);
      assert(pids.length > 0, "the list checked below is not empty");
      assert(pids.every(processAlive), "the processes run until terminate()");
    });
    assertEquals(await waitGone(pids), []);
  });
}

Deno.test("python: maxOutput can be changed between runs", async () => {
  await withComputer({ maxOutput: 100 }, async (computer) => {
    const short = textOf(await computer.run("python", "print('a' * 1000)"));
    assertStringIncludes(short, "left out");
    computer.maxOutput = 5000;
    assertEquals(
      textOf(await computer.run("python", "print('a' * 1000)")),
      "a".repeat(1000) + "\n",
    );
  });
});
