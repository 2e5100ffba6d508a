/**
 * The API key given to the program (by flag or profile) never reaches the
 * environment of generated code, its output, or the saved conversation.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { runCli } from "./helpers/terminal_cli.ts";

const KEY = "sk-flag-only-secret-5f3a9c27e1";

/**
 * Python that writes its whole environment, as JSON, to env.json in the working
 * directory, and every process command line it can see (/proc) to cmdlines.txt.
 */
const DUMP_ENV = [
  "import os, json, glob",
  "open('env.json', 'w').write(json.dumps(dict(os.environ)))",
  "seen = []",
  "for p in glob.glob('/proc/[0-9]*/cmdline'):",
  "    try: seen.append(open(p, 'rb').read().decode(errors='replace'))",
  "    except OSError: pass",
  "open('cmdlines.txt', 'w').write('\\n'.join(seen))",
  "print('dumped', len(os.environ), len(seen))",
].join("\n");

async function withHome(fn: (home: string, work: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "interpreter-cli-secrets-" });
  const work = `${home}/work`;
  await Deno.mkdir(work);
  try {
    await fn(home, work);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function savedConversations(home: string): Promise<string> {
  const dir = `${home}/data/conversations`;
  let all = "";
  for (const entry of Deno.readDirSync(dir)) all += await Deno.readTextFile(`${dir}/${entry.name}`);
  return all;
}

/** Runs one request whose code dumps its environment; checks the key is nowhere. */
async function checkNoLeak(
  home: string,
  work: string,
  args: string[],
): Promise<void> {
  const fake = startFakeOpenAI({
    apiKey: KEY,
    script: [{ toolCalls: [{ language: "python", code: DUMP_ENV }] }, { text: "Done." }],
  });
  try {
    const r = await runCli(["--api_base", fake.url, "--model", "gpt-4o-mini", ...args], {
      home,
      cwd: work,
      // A variable with an innocent name holding the key: only the value registration catches it.
      env: { SOME_SETTING: KEY, OTHER: `prefix-${KEY}-suffix` },
    });
    assertEquals(r.code, 0, r.stderr + r.stdout);
    assertEquals(fake.requests.length, 2, "the key reached the model server");
    const env = await Deno.readTextFile(`${work}/env.json`);
    assert(JSON.parse(env).PATH, "the code ran and wrote its environment");
    assert(!env.includes(KEY), "the key is not in generated code's environment");
    assert(!("SOME_SETTING" in JSON.parse(env)), "a variable holding the key is dropped");
    if (Deno.build.os === "linux") {
      // Sandboxed code sees only its own processes: not the interpreter's `--api_key` argument.
      const cmdlines = await Deno.readTextFile(`${work}/cmdlines.txt`);
      assert(cmdlines.length > 0, "the code listed processes");
      assert(!cmdlines.includes(KEY), "the key is not in any process command line code can see");
    }
    assert(!r.stdout.includes(KEY) && !r.stderr.includes(KEY), "the key is never printed");
    assert(!JSON.stringify(fake.requests[1]).includes(KEY), "the model never sees the key");
    assert(!(await savedConversations(home)).includes(KEY), "the conversation file has no key");
  } finally {
    await fake.close();
  }
}

Deno.test("cli secrets: a key given only by --api_key stays out of code, output and files", async () => {
  await withHome(async (home, work) => {
    await checkNoLeak(home, work, ["--api_key", KEY, "-y", "show the environment"]);
  });
});

Deno.test("cli secrets: a key given only by a profile stays out of code, output and files", async () => {
  await withHome(async (home, work) => {
    const profile = `${home}/keyed.yaml`;
    await Deno.writeTextFile(profile, `version: 1\nllm:\n  api_key: "${KEY}"\n`);
    await checkNoLeak(home, work, ["--profile", profile, "-y", "show the environment"]);
  });
});
