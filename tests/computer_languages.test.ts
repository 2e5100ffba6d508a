import { Computer, resolveLanguage } from "../lib/computer/mod.ts";
import { isSecretName, SECRET_ENV_PATTERNS, sessionEnv } from "../lib/computer/env.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { collect, textOf, withComputer } from "./helpers/computer_helpers.ts";

Deno.test("aliases resolve to canonical languages; languages lists what this machine has", () => {
  assertEquals(resolveLanguage("py"), "python");
  assertEquals(resolveLanguage("Python3"), "python");
  assertEquals(resolveLanguage("bash"), "shell");
  assertEquals(resolveLanguage("zsh"), "shell");
  assertEquals(resolveLanguage("node"), "javascript");
  assertEquals(resolveLanguage("ts"), "typescript");
  assertEquals(resolveLanguage("Rscript"), "r");
  assertEquals(resolveLanguage("cobol"), undefined);
  const computer = new Computer();
  assertEquals(computer.resolveLanguage("sh"), "shell");
  assertEquals(computer.languageInfo("js")?.name, "javascript");
  const languages = computer.languages;
  for (const name of ["python", "shell", "javascript", "typescript", "html", "perl"]) {
    assert(languages.includes(name), `${name} in ${languages}`);
  }
  // ruby, php, R and lua are listed only when installed
  for (
    const [name, program] of [["ruby", "ruby"], ["php", "php"], ["r", "Rscript"], ["lua", "lua"]]
  ) {
    const installed = (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
      try {
        return Deno.statSync(`${dir}/${program}`).isFile;
      } catch {
        return false;
      }
    });
    assertEquals(languages.includes(name), installed, name);
  }
});

Deno.test("unknown language, empty code and a missing interpreter are answered as output", async () => {
  await withComputer({ deno: "/nonexistent/deno" }, async (computer) => {
    const unknown = await computer.run("cobol", "DISPLAY 'HI'.");
    assertEquals(unknown.length, 1);
    assertEquals(unknown[0].role, "computer");
    assertStringIncludes(textOf(unknown), "`cobol` is not a language this computer can run");
    assertStringIncludes(textOf(unknown), "python");
    assertStringIncludes(textOf(await computer.run("python", "  \n ")), "Code block was empty");
    assertStringIncludes(textOf(await computer.run("js", "1")), "deno, which was not found");
    const chunks = await collect(computer.stream("nope", "x"));
    assertEquals(chunks.length, 1);
  });
});

Deno.test("an interpreter that fails to start is reported, and the next run tries again", async () => {
  await withComputer({ python: "/bin/false" }, async (computer) => {
    const text = textOf(await computer.run("python", "print(1)"));
    assertStringIncludes(text, "could not start the python session");
    assertStringIncludes(textOf(await computer.run("python", "print(1)")), "could not start");
  });
});

Deno.test("perl runs one-shot; its exit status and stderr are reported; input waits are stopped", async () => {
  await withComputer({ inputIdleTimeout: 0.3 }, async (computer) => {
    const text = textOf(
      await computer.run("pl", '$| = 1; print "hello from perl\\n"; warn "careful\\n"; exit 3;'),
    );
    assertEquals(text, "hello from perl\ncareful\n[exit status 3]\n");
    assertEquals(textOf(await computer.run("perl", "print 1 + 1;")), "2");
    const waiting = textOf(await computer.run("perl", "my $line = <STDIN>; print 'never';"));
    assertStringIncludes(waiting, "stopped: the program was waiting for input");
    const slow = textOf(await computer.run("perl", "sleep 100;", { timeout: 0.5 }));
    assertStringIncludes(slow, "stopped after 0.5 s");
  });
});

Deno.test("html is saved to a file whose path is returned", async () => {
  await withComputer({}, async (computer, dataDir) => {
    const text = textOf(await computer.run("html", "<h1>Hello</h1>"));
    const path = text.match(/HTML saved to (\S+\.html)/)?.[1];
    assert(path?.startsWith(dataDir), text);
    assertEquals(await Deno.readTextFile(path!), "<h1>Hello</h1>");
  });
});

Deno.test("secret variables are stripped by name pattern", () => {
  for (
    const name of ["OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "INTERPRETER_API_KEY"]
  ) {
    assert(isSecretName(name, SECRET_ENV_PATTERNS), name);
  }
  for (const name of ["PATH", "HOME", "TOKENIZER_PATH", "LANG"]) {
    assert(!isSecretName(name, SECRET_ENV_PATTERNS), name);
  }
  const env = sessionEnv(SECRET_ENV_PATTERNS, {
    base: { PATH: "/bin", ANTHROPIC_API_KEY: "x", MY_SECRET_THING: "y", HOME: "/h" },
  });
  assertEquals(env, { PATH: "/bin", HOME: "/h" });
});

Deno.test("settings that are not numbers >= 0 fall back to their defaults, never to no bound", async () => {
  await withComputer({ timeout: -1, maxOutput: Number.NaN }, async (computer) => {
    const text = textOf(
      await computer.run("python", "import time\ntime.sleep(5)", { timeout: 0.5 }),
    );
    assertStringIncludes(text, "stopped after 0.5 s");
    // NaN maxOutput -> the default 2800 characters
    const long = textOf(await computer.run("python", "print('q' * 10000)"));
    assert(long.length < 3500 && long.includes("left out"), long.slice(0, 100));
    // an invalid per-run timeout falls back to the computer's (-1 -> default 120 s), so a quick run is fine
    assertEquals(textOf(await computer.run("python", "print(3)", { timeout: -4 })), "3\n");
  });
});
