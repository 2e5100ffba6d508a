/**
 * A store file in the working directory (`--store sqlite:./sessions.db`) holds every session's
 * history and the leases: code run by the server can neither read nor change it (nor its -wal
 * file), though it may write the folder. The control: the same code under -A reads it.
 */
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { outputOf, startServerInstance } from "./helpers/server_instance.ts";
import { missingPrograms } from "./helpers/requirements.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const PROBE = `import os
for name in ("sessions.db", "sessions.db-wal"):
    try:
        data = open(name, "rb").read()
        print(name, "READ", b"SECRET-HISTORY" in data)
    except OSError as e:
        print(name, "DENIED", type(e).__name__)
try:
    open("sessions.db", "ab").write(b"x")
    print("WROTE")
except OSError as e:
    print("WRITE DENIED")
open("mine.txt", "w").write("ok")
print("FOLDER WRITABLE")`;

async function probe(work: string, flags: string[]): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "oi-store-file-home-" });
  const fake = startFakeOpenAI({
    script: [{ text: "noted." }, { toolCalls: [{ language: "python", code: PROBE }] }, {
      text: "done.",
    }],
  });
  const server = startServerInstance({
    modelUrl: fake.url,
    computer: "local",
    cwd: work,
    token: "store-file-token",
    home,
    flags: ["--store", "sqlite:./sessions.db", ...flags],
  });
  try {
    await server.listening();
    const chat = async (message: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}/chat?session=s1`, {
        method: "POST",
        headers: { authorization: "Bearer store-file-token", "content-type": "application/json" },
        body: JSON.stringify({ message }),
      });
      const body = await response.text();
      assertEquals(response.status, 200, body);
      return outputOf(body);
    };
    await chat("remember SECRET-HISTORY");
    return await chat("probe");
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
    await server.stderr.rest().catch(() => "");
    await fake.close();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

const missing = missingPrograms("store file", { bwrap: ["--version"], python3: ["--version"] });

Deno.test({
  name:
    "server: code cannot read or change a store file in its working directory; -A is the control",
  ignore: missing !== "",
  async fn() {
    const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "oi-store-file-" }));
    try {
      const out = await probe(work, []);
      assertStringIncludes(out, "sessions.db DENIED");
      assert(!out.includes("READ True"), out);
      assertStringIncludes(out, "WRITE DENIED");
      assertStringIncludes(out, "FOLDER WRITABLE");
      const control = await probe(work, ["-A"]);
      assertStringIncludes(control, "sessions.db READ");
      assertStringIncludes(control, "WROTE");
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
