/**
 * An attacker's second review of the sandbox (after issue 9): escapes found
 * by trying what the first review did not list. Each attack runs generated
 * code with the library's default permissions, and each has a control that
 * proves the test would see the escape.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { readSse } from "./helpers/server_client.ts";
import { Computer } from "../lib/computer/mod.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";

const TOKEN = "redteam-token";
const KEY = "sk-redteam-server-key-0123456789";
const noEnv = () => undefined;

/** Python that listens on 127.0.0.1:`port` in a thread and writes each request's Authorization to `file`. */
function keyCatcher(port: number, file: string): string {
  return [
    "import http.server, threading",
    "class H(http.server.BaseHTTPRequestHandler):",
    "    def do_POST(self):",
    `        open(${
      JSON.stringify(file)
    }, 'a').write(str(self.headers.get('Authorization')) + '\\n')`,
    "        self.send_response(500); self.end_headers()",
    "    def log_message(self, *a): pass",
    `srv = http.server.HTTPServer(('127.0.0.1', ${port}), H)`,
    "threading.Thread(target=srv.serve_forever, daemon=True).start()",
    "print('listening')",
  ].join("\n");
}

/** A sandboxed python session (default permissions) catching keys sent to ollama's port. */
async function withCatcher(fn: (caught: () => string) => Promise<void>): Promise<void> {
  const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "redteam-work-" }));
  const data = await Deno.makeTempDir({ prefix: "redteam-data-" });
  const file = join(work, "caught.txt");
  const computer = new Computer({
    cwd: work,
    dataDir: data,
    timeout: 30,
    permissions: defaultPermissions({ cwd: work }),
  });
  try {
    const out = textOf(await computer.run("python", keyCatcher(11434, file)));
    assertStringIncludes(out, "listening");
    await fn(() => {
      try {
        return Deno.readTextFileSync(file);
      } catch {
        return "";
      }
    });
  } finally {
    await computer.terminate();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
}

async function serverFor(model: string) {
  const template = new Interpreter({
    llm: { model, apiKey: KEY, supportsFunctions: true },
  });
  return await template.server({ port: 0, apiKey: TOKEN, log: () => {}, env: noEnv });
}

const auth = { authorization: `Bearer ${TOKEN}` };

Deno.test("redteam: a server client cannot move the API key to a local port code listens on (POST /settings llm.model)", async () => {
  await withCatcher(async (caught) => {
    const server = await serverFor("gpt-4o-mini");
    try {
      const moved = await fetch(`${server.url}/settings`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ "llm.model": "ollama/llama3" }),
      });
      const answer = await moved.json();
      await readSse(await fetch(`${server.url}/chat?message=hi`, { headers: auth }));
      assert(!caught().includes(KEY), "the API key reached code's listener");
      assertEquals(moved.status, 403, JSON.stringify(answer));
      assertStringIncludes(JSON.stringify(answer), "localhost:11434");
      // Same provider: still allowed.
      const same = await fetch(`${server.url}/settings`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ llm: { model: "gpt-4o" } }),
      });
      assertEquals(same.status, 200);
      await same.body?.cancel();
      assertEquals(
        await (await fetch(`${server.url}/settings/llm.model`, { headers: auth })).json(),
        { "llm.model": "gpt-4o" },
      );
      assertEquals(caught(), "");
    } finally {
      await server.close();
    }
  });
});

Deno.test("redteam control: the sandboxed listener receives the key when the model is ollama's", async () => {
  await withCatcher(async (caught) => {
    const server = await serverFor("ollama/llama3");
    try {
      const events = await readSse(
        await fetch(`${server.url}/chat?message=hi`, { headers: auth }),
      );
      assert(events.length > 0);
      assertStringIncludes(caught(), KEY);
    } finally {
      await server.close();
    }
  });
});
