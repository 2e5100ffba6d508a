/**
 * `interpreter --mcp` over stdio, driven by the official SDK client: tools are
 * listed, Python state persists between calls, a plot comes back as an
 * image, a cancelled run leaves no process behind, `reset` forgets state.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "./helpers/assert.ts";
import { pythonWithMatplotlib, waitUntil } from "./helpers/computer_helpers.ts";
import { execute, processesWith, stdioClient } from "./helpers/mcp_client.ts";

const mplPython = pythonWithMatplotlib();

type ListedTool = { name: string; description?: string; inputSchema: { required?: string[] } };

Deno.test("mcp stdio: tools, state kept, image from a plot, reset", async () => {
  const env: Record<string, string> = mplPython ? { INTERPRETER_PYTHON: mplPython } : {};
  const mcp = await stdioClient({ env });
  try {
    const tools = (await mcp.client.listTools()).tools as ListedTool[];
    assertEquals(tools.map((t) => t.name).sort(), ["execute", "languages", "reset"]);
    const exec = tools.find((t) => t.name === "execute")!;
    assertStringIncludes(exec.description ?? "", "persists between calls");
    assertEquals(exec.inputSchema.required, ["language", "code"]);

    const languages = await mcp.client.callTool({ name: "languages", arguments: {} });
    const listed = (languages.content as { text: string }[])[0].text.split("\n");
    assert(listed.includes("python") && listed.includes("shell"), listed.join(","));

    assertEquals((await execute(mcp.client, "python", "x = 41\nprint('set')")).text, "set\n");
    const second = await execute(mcp.client, "python", "x + 1");
    assertEquals(second.text, "42\n");
    assertEquals(second.isError, false);

    const shell = await execute(mcp.client, "shell", "cd /tmp && echo $PWD");
    assertEquals(shell.text, "/tmp\n");
    assertEquals((await execute(mcp.client, "shell", "pwd")).text, "/tmp\n");

    if (mplPython) {
      const plot = await execute(
        mcp.client,
        "python",
        "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()\nprint('plotted')",
      );
      const image = plot.pieces.find((p) => p.type === "image");
      assert(image, JSON.stringify(plot.pieces).slice(0, 300));
      assertEquals(image.mimeType, "image/png");
      assertMatch(image.data ?? "", /^iVBORw0KGgo/); // a PNG
      assertStringIncludes(plot.text, "plotted");
    } else {
      throw new Error("no python3 with matplotlib here: .ci/run installs python3-matplotlib");
    }

    const bad = await execute(mcp.client, "cobol", "DISPLAY 'x'");
    assertEquals(bad.isError, true);
    assertStringIncludes(bad.text, "not a language this machine can run");

    await mcp.client.callTool({ name: "reset", arguments: {} });
    const after = await execute(mcp.client, "python", "print(x)");
    assertStringIncludes(after.text, "NameError");
  } finally {
    await mcp.close();
  }
});

Deno.test("mcp stdio: progress while running; cancelling stops the run and its process tree", async () => {
  const mcp = await stdioClient();
  const marker = `${1000 + Math.floor(Math.random() * 8000)}.${Date.now() % 100000}`;
  try {
    const progress: string[] = [];
    const controller = new AbortController();
    const call = execute(
      mcp.client,
      "python",
      `import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"])\nsubprocess.Popen(["sh", "-c", "sleep ${marker}; true"])\nprint("started", flush=True)\ntime.sleep(600)`,
      { signal: controller.signal, onprogress: (p) => progress.push(p.message ?? "") },
    );
    call.catch(() => {});
    // The control: while it runs, the test sees its processes.
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length >= 2, 30_000),
      "the run's sleep processes never appeared",
    );
    assert(
      await waitUntil(() => progress.some((m) => m.includes("started")), 20_000),
      progress.join("|"),
    );
    controller.abort("test cancels");
    await assertRejects(() => call);
    assert(
      await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 15_000),
      `still alive: ${processesWith(`sleep ${marker}`).join(", ")}`,
    );
    // The session itself is kept (as after Ctrl-C): the next call runs.
    assertEquals((await execute(mcp.client, "python", "print('alive')")).text, "alive\n");
  } finally {
    await mcp.close();
  }
  assertEquals(processesWith(`sleep ${marker}`), []);
});

Deno.test("mcp stdio: the program ends its sessions when the client goes away", async () => {
  const marker = `${1000 + Math.floor(Math.random() * 8000)}.${Date.now() % 100000}`;
  const mcp = await stdioClient();
  const started = await execute(mcp.client, "shell", `(sleep ${marker} &) ; echo bg`);
  assertEquals(started.text, "bg\n");
  assert(
    await waitUntil(() => processesWith(`sleep ${marker}`).length > 0, 20_000),
    `the background process never appeared (${mcp.stderr()})`,
  );
  await mcp.close();
  assert(
    await waitUntil(() => processesWith(`sleep ${marker}`).length === 0, 15_000),
    "a background process outlived the MCP server",
  );
});
