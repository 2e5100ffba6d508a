/**
 * The sandbox from the command line: a bare `--deny-net` (or `--deny_net`)
 * denies all network to generated code. The real program runs against the
 * fake model, whose code tries to reach a server on the host's loopback.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { runCli } from "./helpers/terminal_cli.ts";
import { sandboxSupportSync } from "../lib/sandbox/sandbox.ts";

const support = sandboxSupportSync();
if (support.kind !== "bwrap") {
  console.log(`sandbox CLI tests skipped: no bubblewrap sandbox here (${support.reason})`);
}

/** The output the code printed, from the --json chunks. */
function outputOf(stdout: string): string {
  return stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))
    .filter((c) => c.type === "console" && c.format === "output")
    .map((c) => String(c.content)).join("");
}

Deno.test({
  name: "cli: a bare --deny-net / --deny_net takes all network away from the code",
  ignore: support.kind !== "bwrap",
  async fn() {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("hello from the host"),
    );
    const port = server.addr.port;
    const code = "import urllib.request\n" +
      "try:\n" +
      `    print('REACHED', urllib.request.urlopen('http://127.0.0.1:${port}/', timeout=5).read().decode())\n` +
      "except Exception as e:\n" +
      "    print('FAILED', e)";
    const fake = startFakeOpenAI({
      script: Array.from({ length: 3 }, () => [
        { toolCalls: [{ language: "python", code }] },
        { text: "done" },
      ]).flat(),
    });
    const home = await Deno.makeTempDir({ prefix: "sandbox-cli-" });
    try {
      const args = (...extra: string[]) => [
        "--api_base",
        fake.url,
        "--model",
        "gpt-4o-mini",
        "--api_key",
        "sk-sandbox-cli-test-0123456789",
        "--json",
        "-y",
        ...extra,
        "fetch it",
      ];
      // The default permissions keep the network: the host's server answers.
      const open = await runCli(args(), { home, cwd: home });
      assertEquals(open.code, 0, open.stderr);
      assertStringIncludes(outputOf(open.stdout), "REACHED hello from the host");

      for (const flag of ["--deny-net", "--deny_net"]) {
        const denied = await runCli(args(flag), { home, cwd: home });
        assertEquals(denied.code, 0, denied.stderr);
        const output = outputOf(denied.stdout);
        assert(!output.includes("REACHED"), output);
        assertStringIncludes(output, "FAILED");
        assertStringIncludes(output, "[sandbox] Network access is denied");
      }
    } finally {
      await fake.close();
      await server.shutdown();
      await Deno.remove(home, { recursive: true });
    }
  },
});
