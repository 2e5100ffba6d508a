/**
 * The channel between a session and the host's Computer API, driven by the real Python client in
 * a python3 process: screenshots arrive as PNG bytes, a button is clicked by its label, keys and
 * the clipboard work, errors are one line; hostile requests on the raw socket get one-line
 * errors and the server keeps serving; without a channel every call says the API is off.
 */

import { ComputerApi } from "../lib/desktop/computer_api.ts";
import { x11Backend } from "../lib/desktop/x11.ts";
import { API_OFF_MESSAGE, pythonClientSource } from "../lib/desktop/python_client.ts";
import { serveComputerApi } from "../lib/desktop/serve.ts";
import { CHANNEL_ENV } from "../lib/desktop/channel.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startChoiceBox, startXvfb, waitFor } from "./helpers/desktop_xvfb.ts";

/** Runs `script` in python3 after the client source; returns stdout (throws on failure). */
async function python(
  script: string,
  { env = {}, cwd }: { env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/client.py`, pythonClientSource());
    await Deno.writeTextFile(
      `${dir}/main.py`,
      `exec(open(${JSON.stringify(`${dir}/client.py`)}).read())\n${script}`,
    );
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [`${dir}/main.py`],
      env: { PATH: "/usr/bin:/bin", ...env },
      clearEnv: true,
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    if (out.code !== 0) throw new Error(`python failed (${out.code}): ${stderr}\n${stdout}`);
    return stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("channel: the Python client views, clicks by label, types, uses the clipboard", async () => {
  const xvfb = await startXvfb();
  const api = new ComputerApi({ backend: x11Backend({ display: xvfb.display }) });
  const channel = await serveComputerApi(api);
  const box = startChoiceBox(xvfb);
  try {
    await waitFor(async () => (await api.display.get_text()).includes("choose"), "xmessage");
    const out = await python(
      `
img = computer.display.view()
print("png", img.png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", img.width, img.height)
print("size", computer.display.size())
computer.clipboard.copy("from python ✓")
print("clip", computer.clipboard.view())
try:
    computer.mouse.click("Nowhere at all on this screen")
except ComputerError as e:
    print("error", e)
try:
    computer.keyboard.press("nosuchkey")
except ComputerError as e:
    print("error", e)
computer.mouse.click("Proceed")
`,
      { env: { [CHANNEL_ENV]: channel.path } },
    );
    assertStringIncludes(out, "png True 1280 800");
    assertStringIncludes(out, "size [1280, 800]");
    assertStringIncludes(out, "clip from python ✓");
    assertStringIncludes(out, 'error could not find "Nowhere at all on this screen"');
    assertStringIncludes(out, 'error unknown key "nosuchkey"');
    assertEquals((await box.result).code, 7);
  } finally {
    await box.kill();
    await channel.close();
    await xvfb.stop();
  }
});

Deno.test("channel: without a socket every call fails with one line, files too", async () => {
  const out = await python(
    `
for f in (lambda: computer.display.view(), lambda: computer.mouse.click(1, 2),
          lambda: computer.files.search("x"), lambda: computer.skills.list()):
    try:
        f()
        print("ran")
    except ComputerError as e:
        print("off:", e)
`,
  );
  assertEquals(out.trim().split("\n"), Array(4).fill(`off: ${API_OFF_MESSAGE}`));
});

Deno.test("channel: hostile requests get one-line errors; the server keeps serving", async () => {
  const api = new ComputerApi({ backend: () => x11Backend({ display: ":999" }) });
  const channel = await serveComputerApi(api, { maxRequestBytes: 4096 });
  try {
    const ask = async (lines: string[]): Promise<Record<string, unknown>[]> => {
      const conn = await Deno.connect({ transport: "unix", path: channel.path });
      await conn.write(new TextEncoder().encode(lines.join("\n") + "\n"));
      let text = "";
      const buf = new Uint8Array(65536);
      while (text.split("\n").length <= lines.length) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      conn.close();
      return text.trim().split("\n").map((l) => JSON.parse(l));
    };
    const replies = await ask([
      "not json",
      '{"id": 1, "method": "__proto__"}',
      '{"id": 2, "method": "constructor"}',
      '{"id": 3, "method": "display.view", "args": "x"}',
      '{"id": -1, "method": "display.size"}',
      '{"id": 4, "method": "mouse.click", "args": [{"x": 1}]}',
      '{"id": 5, "method": "keyboard.write", "args": [42]}',
      '{"id": 6, "method": "skills.list"}',
      "[1,2]",
    ]);
    assertEquals(replies.map((r) => r.ok), Array(9).fill(false));
    assertEquals(replies[0].error, "a request is one line of JSON");
    assertStringIncludes(String(replies[1].error), "no method __proto__");
    assertStringIncludes(String(replies[2].error), "no method constructor");
    assertStringIncludes(String(replies[3].error), "args must be a list");
    assertStringIncludes(String(replies[4].error), "id must be");
    assertStringIncludes(String(replies[5].error), "give a text on the screen, or x and y");
    assertEquals(replies[6].error, "text must be a string");
    assertEquals(replies[7].error, "computer.skills has no data folder here");
    for (const r of replies) assert(!String(r.error).includes("\n"));
    // A line past the size bound is refused and the connection closed...
    const big = await ask([
      `{"id": 7, "method": "keyboard.write", "args": ["${"a".repeat(9000)}"]}`,
    ]);
    assertStringIncludes(String(big[0].error), "larger than 4096 bytes");
    // ...and the server still answers the next connection.
    const again = await ask(['{"id": 8, "method": "ai.summarize", "args": ["t"]}']);
    assertEquals(again[0], {
      id: 8,
      ok: false,
      error: "computer.ai has no model here (it needs the interpreter's model)",
    });
  } finally {
    await channel.close();
  }
  await Deno.lstat(channel.path).then(() => {
    throw new Error("socket left behind");
  }, () => {});
});

Deno.test("channel: ai through the injected model, skills in the data folder, files in the session", async () => {
  const data = await Deno.makeTempDir();
  const work = await Deno.makeTempDir();
  const prompts: { text: string; image?: number }[] = [];
  const api = new ComputerApi({
    backend: () => x11Backend({ display: ":999" }),
    skillsDir: `${data}/skills`,
    ask: (p) => {
      prompts.push({ text: p.text, image: p.image?.length });
      return Promise.resolve(`answer ${prompts.length}`);
    },
  });
  const channel = await serveComputerApi(api);
  try {
    await Deno.writeTextFile(`${work}/notes.txt`, "alpha\nthe quick brown fox\nomega\n");
    const out = await python(
      `
print(computer.ai.chat("hello"))
print(computer.ai.summarize("long text"))
print(computer.ai.query("the sky is blue", "what colour?"))
import struct, zlib
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\\x00\\x00\\x00\\x00")) + chunk(b"IEND", b"")
print(computer.ai.chat("what is this?", image=png))
computer.skills.save("greet_person", '"""Greets a person by name."""\\ndef greet_person(n):\\n    return "hi " + n\\n')
print(computer.skills.list())
print([s["name"] for s in computer.skills.search("greets")])
print(computer.skills.import_skills(), greet_person("bob"))
print(computer.files.search("quick"))
print(computer.files.edit("notes.txt", "quick brown", "slow red"))
try:
    computer.files.edit("notes.txt", "the slow rod fox", "x")
except ComputerError as e:
    print("edit error:", e)
try:
    computer.skills.save("../evil", "x = 1")
except ComputerError as e:
    print("save error:", e)
`,
      { env: { [CHANNEL_ENV]: channel.path }, cwd: work },
    );
    const lines = out.trim().split("\n");
    assertEquals(lines.slice(0, 4), ["answer 1", "answer 2", "answer 3", "answer 4"]);
    assertEquals(prompts[0], { text: "hello", image: undefined });
    assertStringIncludes(prompts[1].text, "Summarize");
    assertStringIncludes(prompts[2].text, "Question: what colour?");
    assert(prompts[3].image! > 8);
    assertStringIncludes(
      out,
      "[{'name': 'greet_person', 'language': 'python', 'description': 'Greets a person by name.'}]",
    );
    assertStringIncludes(out, "['greet_person']");
    assertStringIncludes(out, "['greet_person'] hi bob");
    assertStringIncludes(out, "'line': 2, 'text': 'the quick brown fox'");
    assertStringIncludes(out, "edited notes.txt");
    assertEquals(await Deno.readTextFile(`${work}/notes.txt`), "alpha\nthe slow red fox\nomega\n");
    assertStringIncludes(
      out,
      "edit error: the text to replace is not in notes.txt; close matches:",
    );
    assertStringIncludes(out, "the slow red fox");
    assertStringIncludes(out, "save error: a skill name is letters, digits and underscores");
    assertEquals(
      (await Array.fromAsync(Deno.readDir(`${data}/skills`))).map((e) => e.name),
      ["greet_person.py"],
    );
  } finally {
    await channel.close();
    await Deno.remove(data, { recursive: true });
    await Deno.remove(work, { recursive: true });
  }
});
