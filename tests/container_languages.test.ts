/**
 * Every language in podman container sessions (lib/container): JavaScript and TypeScript in a
 * live deno inside the box (state across runs, types, errors, active lines, input waits,
 * interrupts and the run timeout with the session surviving), one-shot languages run inside
 * the box when its image has the program (perl) and one clear line when it has not (ruby),
 * HTML saved host-side, and a denied write from JavaScript failing inside the box with its
 * control (the same write with the grant).
 */
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import type { LmcChunk } from "../lib/wire/lmc.ts";
import { containerWorkspace } from "./helpers/podman.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { testComputer, withPodman } from "./helpers/container_computer.ts";

async function chunksOf(stream: AsyncIterable<LmcChunk>): Promise<LmcChunk[]> {
  const chunks: LmcChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

Deno.test("container languages: JavaScript and TypeScript keep state in the box's deno", async () => {
  await withPodman(async (engine, work, data) => {
    const c = testComputer(engine, work, data);
    try {
      // Nothing of deno runs until the first JavaScript run: an idle session stays small.
      assertEquals(textOf(await c.run("python", "x = 1\nprint('py')")), "py\n");
      const idle = await engine.podman("top", c.containerId!, "args");
      assert(!idle.includes("deno run"), `deno runs before any JavaScript:\n${idle}`);
      // State across runs, a trailing expression's value, and the box's own user.
      assertEquals(textOf(await c.run("javascript", "let count = 40;\ncount += 1;")), "41\n");
      assertEquals(textOf(await c.run("js", "count + 1")), "42\n");
      assertEquals(textOf(await c.run("javascript", "Deno.uid()")), "1000\n");
      const running = await engine.podman("top", c.containerId!, "args");
      assertStringIncludes(running, "/usr/local/bin/deno run");
      // TypeScript shares the session; its types are stripped, the value is kept.
      const ts = "interface P { n: number }\nconst p: P = { n: count as number };\np.n * 2";
      assertEquals(textOf(await c.run("typescript", ts)), "82\n");
      // A thrown error's message; the session keeps its state after it.
      const thrown = textOf(await c.run("javascript", 'throw new Error("boom in the box")'));
      assertStringIncludes(thrown, "boom in the box");
      assertEquals(textOf(await c.run("javascript", "count")), "41\n");
      // Active lines of the running code (consecutive ones are merged), then null at the end.
      const chunks = await chunksOf(
        c.stream("javascript", "const a = 1;\nconsole.log(a);\nconsole.log(a + 2);"),
      );
      const lines = chunks.filter((ch) => ch.format === "active_line").map((ch) => ch.content);
      assert(lines.includes(2) && lines.includes(3), `active lines: ${JSON.stringify(lines)}`);
      assert(lines.every((n) => n === null || [1, 2, 3].includes(n as number)), String(lines));
      assertEquals(lines[lines.length - 1], null);
      assertEquals(textOf(chunks.filter((ch) => ch.format === "output")), "1\n3\n");
      // Code asking for input gets end of file and the note, at once.
      const asked = textOf(
        await c.run("javascript", 'const answer = prompt("name?");\nconsole.log("got", answer);'),
      );
      assertStringIncludes(asked, "name?");
      assertStringIncludes(asked, "no keyboard");
      assertStringIncludes(asked, "got null");
      const read = textOf(
        await c.run("javascript", "await Deno.stdin.read(new Uint8Array(8))"),
      );
      assertStringIncludes(read, "no keyboard");
      assertStringIncludes(read, "null");
      // Code that ends its deno: said so, and the next run starts a new one.
      const exited = textOf(await c.run("javascript", 'Deno.kill(Deno.pid, "SIGKILL")'));
      assertStringIncludes(exited, "The JavaScript session ended (signal 9)");
      assertEquals(textOf(await c.run("javascript", "typeof count")), '"undefined"\n');
      // Python's state in the same box was never touched.
      assertEquals(textOf(await c.run("python", "print(x)")), "1\n");
    } finally {
      await c.terminate();
    }
  });
});

Deno.test("container languages: a busy JavaScript loop is stopped by stop() and the run timeout; the session survives", async () => {
  await withPodman(async (engine, work, data) => {
    const c = testComputer(engine, work, data);
    try {
      await c.run("python", "kept = 'yes'");
      const chunks: LmcChunk[] = [];
      let sawLine!: () => void;
      const looping = new Promise<void>((resolve) => (sawLine = resolve));
      const run = (async () => {
        for await (const chunk of c.stream("javascript", "let i = 0;\nwhile (true) { i++; }")) {
          chunks.push(chunk);
          if (chunk.format === "active_line" && chunk.content === 2) sawLine();
        }
      })();
      await looping;
      await c.stop();
      await run;
      const stopped = textOf(chunks.filter((ch) => ch.format === "output"));
      assertStringIncludes(stopped, "KeyboardInterrupt");
      assertStringIncludes(stopped, "next JavaScript run starts a new one");
      const after = await engine.podman("top", c.containerId!, "args");
      assert(!after.includes("deno run"), `the busy deno survived:\n${after}`);
      // The container session lives on: Python kept its state, JavaScript starts afresh.
      assertEquals(textOf(await c.run("python", "print(kept)")), "yes\n");
      assertEquals(textOf(await c.run("javascript", "typeof i")), '"undefined"\n');
      // The run timeout stops a busy loop the same way.
      const started = Date.now();
      const timedOut = textOf(await c.run("javascript", "while (true) {}", { timeout: 2 }));
      assertStringIncludes(timedOut, "stopped: the run took longer than 2 s");
      assert(Date.now() - started < 20_000);
      assertEquals(textOf(await c.run("js", "6 * 7")), "42\n");
      // Interrupting a Python run leaves the JavaScript session and its state alone.
      await c.run("javascript", "let keep = 9;");
      const py = textOf(await c.run("python", "while True: pass", { timeout: 1 }));
      assertStringIncludes(py, "KeyboardInterrupt");
      assertEquals(textOf(await c.run("javascript", "keep")), "9\n");
    } finally {
      await c.terminate();
    }
  });
});

Deno.test("container languages: perl runs inside the box, ruby gives one clear line, HTML is saved host-side", async () => {
  await withPodman(async (engine, work, data) => {
    const c = testComputer(engine, work, data);
    try {
      // Before the box answered: the bundled image's languages.
      assertEquals(c.languages, ["python", "shell", "javascript", "typescript", "html", "perl"]);
      const perl = textOf(
        await c.run(
          "perl",
          [
            'open(my $h, "<", "/proc/sys/kernel/hostname") or die; my $n = <$h>; chomp $n;',
            'print "host=$n uid=$< fifo=", (-p "/run/oi/in" ? 1 : 0), "\\n";',
          ].join("\n"),
        ),
      );
      // The box's hostname (its id), the box's user, the driver's pipe: not the host's.
      assertEquals(perl, `host=${c.containerId!.slice(0, 12)} uid=1000 fifo=1\n`);
      assert(Deno.hostname() !== c.containerId!.slice(0, 12));
      // What the box's driver found: deno and perl, not ruby.
      assertEquals(c.languages, ["python", "shell", "javascript", "typescript", "html", "perl"]);
      assertEquals(textOf(await c.run("perl", "exit 4")), "[exit status 4]\n");
      // The run timeout and stop() end a one-shot program (its process too); the box lives on.
      const spin = "$| = 1; print qq(spin\\n); 1 while 1;";
      const spun = textOf(await c.run("perl", spin, { timeout: 1 }));
      assertStringIncludes(spun, "spin\n");
      assertStringIncludes(spun, "stopped: the run took longer than 1 s");
      let spinning!: () => void;
      const seen = new Promise<void>((resolve) => (spinning = resolve));
      const run = (async () => {
        for await (const chunk of c.stream("perl", spin, { timeout: 0 })) {
          if (chunk.format === "output" && String(chunk.content).includes("spin")) spinning();
        }
      })();
      await seen;
      const during = await engine.podman("top", c.containerId!, "args");
      assertStringIncludes(during, "perl /run/oi/cell-", "the control: the run's process is seen");
      await c.stop();
      await run;
      const left = await engine.podman("top", c.containerId!, "args");
      assert(!left.includes("perl /run/oi/cell-"), `the perl run survived:\n${left}`);
      assertEquals(textOf(await c.run("perl", "print 6 * 7")), "42");
      const ruby = textOf(await c.run("ruby", "puts 1"));
      assertEquals(ruby.trim().split("\n").length, 1, ruby);
      assertStringIncludes(ruby, "has no ruby");
      assertStringIncludes(ruby, "lib/container/image.sh");
      const unknown = textOf(await c.run("cobol", "DISPLAY 1"));
      assertStringIncludes(
        unknown,
        "Use one of: python, shell, javascript, typescript, html, perl",
      );
      // HTML is data: saved in the data folder on the host, as the local computer does.
      const html = textOf(await c.run("html", "<h1>hi</h1>"));
      const path = /HTML saved to (\S+\.html)/.exec(html)?.[1];
      assert(path?.startsWith(`${data}/html/`), html);
      assertEquals(await Deno.readTextFile(path!), "<h1>hi</h1>");
    } finally {
      await c.terminate();
    }
  });
});

Deno.test("container languages: a denied write from JavaScript fails inside the box; the grant is the control", async () => {
  await withPodman(async (engine, work, data) => {
    const other = await containerWorkspace();
    const target = `${other}/made.txt`;
    const code = `Deno.writeTextFileSync(${JSON.stringify(target)}, "x");\nconsole.log("wrote");`;
    try {
      const denied = testComputer(engine, work, data);
      try {
        const out = textOf(await denied.run("javascript", code));
        assertMatch(out, /NotFound|Read-only file system|PermissionDenied/);
        assert(!out.includes("wrote"), out);
        assert(!(await Deno.stat(target).then(() => true, () => false)));
      } finally {
        await denied.terminate();
      }
      const permissions = defaultPermissions({ cwd: work });
      const granted = testComputer(engine, work, data, {
        ...permissions,
        write: [work, other],
      });
      try {
        assertEquals(textOf(await granted.run("javascript", code)), "wrote\n");
        assertEquals(await Deno.readTextFile(target), "x");
      } finally {
        await granted.terminate();
      }
    } finally {
      await Deno.remove(other, { recursive: true }).catch(() => {});
    }
  });
});
