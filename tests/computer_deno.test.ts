import { denoFlags } from "../lib/sandbox/deno_flags.ts";
import { prepareScript } from "../lib/computer/js_transform.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { collect, textOf, withComputer } from "./helpers/computer_helpers.ts";

Deno.test("javascript: variables survive, top-level await works, the last value is shown", async () => {
  await withComputer({}, async (computer) => {
    assertEquals(
      textOf(await computer.run("js", "let x = 20;\nconst y = await Promise.resolve(1);")),
      "",
    );
    assertEquals(textOf(await computer.run("javascript", "x + y + 21")), "42\n");
    assertEquals(
      textOf(await computer.run("node", "console.log('hi'); ({ a: [1, 2] })")),
      "hi\n{ a: [ 1, 2 ] }\n",
    );
    // redeclaring a top-level let in a later run is allowed, like a REPL
    assertEquals(textOf(await computer.run("js", "let x = 'again'; x")), '"again"\n');
    // static imports become dynamic imports
    assertEquals(
      textOf(
        await computer.run("js", "import { basename } from 'node:path';\nbasename('/a/b.txt')"),
      ),
      '"b.txt"\n',
    );
  });
});

Deno.test("typescript: types are stripped and state is shared with javascript", async () => {
  await withComputer({}, async (computer) => {
    await computer.run("js", "var shared = 2;");
    const text = textOf(
      await computer.run(
        "ts",
        "interface P { n: number }\nconst p: P = { n: 21 };\nfunction twice<T extends number>(v: T): number {\n  return v * shared;\n}\ntwice(p.n)",
      ),
    );
    assertEquals(text, "42\n");
    assertStringIncludes(textOf(await computer.run("typescript", "const bad: = 1")), "SyntaxError");
  });
});

Deno.test("javascript: errors come back as output with the line of the code as written", async () => {
  await withComputer({}, async (computer) => {
    const text = textOf(await computer.run("js", "const a = 1;\n\nthrow new Error('boom');"));
    assertStringIncludes(text, "Error: boom");
    assertStringIncludes(text, "<anonymous>:3:");
    assert(!text.includes("driver.js"), text);
    assertStringIncludes(textOf(await computer.run("js", "let = ;")), "SyntaxError");
    // an unhandled rejection does not end the session
    await computer.run("js", "var kept = 'yes'; Promise.reject(new Error('later'));");
    assertStringIncludes(
      textOf(await computer.run("js", "await new Promise((r) => setTimeout(r, 50)); kept")),
      "yes",
    );
  });
});

Deno.test("javascript: active lines are streamed, then null", async () => {
  await withComputer({}, async (computer) => {
    const chunks = await collect(
      computer.stream("js", "console.log(1);\nif (true) {\n  console.log(2);\n}"),
    );
    const seen: [unknown, unknown][] = [];
    let line: unknown;
    for (const c of chunks) {
      if (c.format === "active_line") line = c.content;
      if (c.format === "output") seen.push([line, c.content]);
    }
    assertEquals(seen, [[1, "1\n"], [3, "2\n"]]);
    assertEquals(chunks[chunks.length - 1].content, null);
  });
});

Deno.test("javascript: a timeout restarts the session and says its state is gone", async () => {
  await withComputer({ timeout: 1 }, async (computer) => {
    await computer.run("js", "var before = 1;");
    const text = textOf(await computer.run("js", "console.log('spinning');\nwhile (true) {}"));
    assertStringIncludes(text, "spinning\n");
    assertStringIncludes(text, "stopped after 1 s");
    assertStringIncludes(text, "variables and state are gone");
    assertEquals(textOf(await computer.run("js", "typeof before")), '"undefined"\n');
  });
});

Deno.test("javascript: reading stdin is detected and stopped", async () => {
  await withComputer({ inputIdleTimeout: 0.3 }, async (computer) => {
    const text = textOf(await computer.run("js", "await Deno.stdin.read(new Uint8Array(10));"));
    assertStringIncludes(text, "stopped: the program was waiting for input");
    assertEquals(textOf(await computer.run("js", "1 + 1")), "2\n");
  });
});

Deno.test("javascript: runs with the session's Deno permissions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/secret.txt`, "s3cret");
    const permissions = {
      ...allowAll(),
      read: false,
      write: false,
      net: false,
      env: false,
      run: false,
    };
    await withComputer({ permissions }, async (computer) => {
      const text = textOf(
        await computer.run("js", `await Deno.readTextFile(${JSON.stringify(`${dir}/secret.txt`)})`),
      );
      assertStringIncludes(text, "NotCapable");
      assert(!text.includes("s3cret"));
    });
    await withComputer({}, async (computer) => {
      const text = textOf(
        await computer.run("js", `await Deno.readTextFile(${JSON.stringify(`${dir}/secret.txt`)})`),
      );
      assertEquals(text, '"s3cret"\n');
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoFlags maps permissions to deno run flags", () => {
  assertEquals(denoFlags(allowAll()), ["--allow-all", "--no-prompt"]);
  assertEquals(
    denoFlags({
      ...allowAll(),
      read: ["/data", "/tmp"],
      write: false,
      net: ["example.com"],
      denyRead: ["/root/.ssh"],
    }),
    [
      "--allow-read=/data,/tmp",
      "--allow-net=example.com",
      "--allow-env",
      "--allow-run",
      "--deny-read=/root/.ssh",
      "--no-prompt",
    ],
  );
});

Deno.test("prepareScript keeps line numbers and rewrites imports", () => {
  const result = prepareScript(
    "import a, { b as c } from './m.js';\nexport const d = 1;\nfoo(\n  a, c,\n);\n",
    { typescript: false },
  );
  assert("code" in result);
  const lines = result.code.split("\n");
  assertStringIncludes(lines[0], "const { default: a, b: c } = await import('./m.js');");
  assertStringIncludes(lines[1], "const d = 1;");
  assert(!lines[1].includes("export"));
  assertStringIncludes(lines[2], "__interpreter_line(3);foo(");
  assertEquals(lines.length, 6);
  const ts = prepareScript("const n: number = 1;\n\nn as number", { typescript: true });
  assert("code" in ts);
  assertEquals(ts.code.split("\n")[2], "__interpreter_line(3);n ");
});
