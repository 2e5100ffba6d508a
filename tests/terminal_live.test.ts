/**
 * Live output on screen: output for the person only (`recipient: "user"`) is
 * drawn, output for the model only (`recipient: "assistant"`) is not, `\r`
 * progress bars update one row in place; and in a real terminal (tmux) a
 * long-running program's late output appears before it finishes.
 *
 * @module
 */

import type { LmcChunk } from "../lib/wire/lmc.ts";
import { Renderer } from "../lib/terminal/renderer.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { outputChunk as output } from "./helpers/lmc_chunks.ts";
import { cliCommand, modelArgs } from "./helpers/terminal_cli.ts";
import { hasTmux, TmuxSession } from "./helpers/terminal_tmux.ts";

const TMUX = hasTmux();
if (!TMUX) console.log("terminal live-output test skipped: tmux is not installed");

function render(chunks: LmcChunk[], live: boolean): string {
  let out = "";
  const r = new Renderer({ write: (s) => void (out += s), columns: () => 80 }, {
    color: false,
    live,
  });
  for (const c of chunks) r.chunk(c);
  r.finish();
  return out;
}

const BLOCK: LmcChunk[] = [
  { role: "computer", type: "console", start: true },
  output("head\n"),
  output("\r 10%", "user"),
  output("\r 50%", "user"),
  output("\r", "user"),
  output("100%\n"),
  output("live only\n", "user"),
  output("[... left out; full output at /x.log ...]\ntail\n", "assistant"),
  output("[exit status 1]\n"),
  { role: "computer", type: "console", end: true },
];

Deno.test("render: person-only output is drawn, model-only output is not, \\r lines settle to their last state", () => {
  const settled = render(BLOCK, false);
  assertEquals(
    settled.split("\n").map((l) => l.trim()).filter(Boolean),
    ["head", "100%", "live only", "[exit status 1]"],
  );
  assert(!settled.includes("left out"));
  assert(!settled.includes("\r"));
});

Deno.test("render: a \\r progress bar redraws the live row in place and never grows it", () => {
  const chunks: LmcChunk[] = [{ role: "computer", type: "console", start: true }];
  for (let i = 0; i <= 2000; i++) chunks.push(output(`\rstep ${i}`, "user"));
  let out = "";
  const r = new Renderer({ write: (s) => void (out += s), columns: () => 80 }, {
    color: false,
    live: true,
  });
  for (const c of chunks) r.chunk(c);
  // the live row shows only the latest state
  const lastDraw = out.slice(out.lastIndexOf("\x1b[2K"));
  assertStringIncludes(lastDraw, "step 2000");
  assert(!lastDraw.includes("step 1999"));
  r.chunk(output("\n", "user"));
  r.finish();
  const settled = render([...chunks, output("\n", "user")], false);
  assertEquals(settled.trim(), "step 2000");
});

Deno.test("render: after the terminal narrows, clearing the live row erases the rows it wrapped onto", () => {
  let out = "";
  let columns = 100;
  const r = new Renderer({ write: (s) => void (out += s), columns: () => columns }, {
    color: false,
    live: true,
  });
  const text = (content: string): LmcChunk => ({ role: "assistant", type: "message", content });
  r.chunk({ role: "assistant", type: "message", start: true });
  r.chunk(text("x".repeat(65))); // the live row: 65 columns, one row at 100
  out = "";
  columns = 30; // a reflowing terminal now shows it on 3 rows, the cursor on the last
  r.chunk(text("y"));
  assert(out.startsWith("\r\x1b[2A\x1b[J"), JSON.stringify(out));
  out = "";
  r.chunk(text("\n")); // committed: the live row (29 columns now) fits, a plain clear suffices
  assert(out.startsWith("\r\x1b[2K"), JSON.stringify(out));
  assert(!out.includes("\x1b[2A"));
  r.finish();
});

Deno.test({
  name:
    "tmux: a long-running program's late output is on screen before it finishes; \\r updates in place",
  ignore: !TMUX,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "interpreter-tmux-live-" });
    const signals = await Deno.makeTempDir({ prefix: "interpreter-live-marker-" });
    const marker = `${signals}/go`;
    // (Words the test looks for are built at run time, so the code on screen does not match.)
    // 100 lines (4 KB: past the 1,400-character head the model sees live, and truncated), a late line,
    // then a progress counter until the test creates the marker file (bounded: 30 s).
    const code = [
      "import os, sys, time",
      "for i in range(100): print(f'early line {i:02d} ' + '.' * 24)",
      "print('LATE-OUTPUT' + '-LINE', flush=True)",
      "n = 0",
      `while not os.path.exists(${JSON.stringify(marker)}) and n < 300:`,
      "    n += 1",
      "    sys.stdout.write(f'\\rwaiting {n}'); sys.stdout.flush()",
      "    time.sleep(0.1)",
      "print()",
      `print('FINI' + 'SHED' if os.path.exists(${JSON.stringify(marker)}) else 'GAVE' + ' UP')`,
    ].join("\n");
    const fake = startFakeOpenAI({
      script: [{ toolCalls: [{ language: "python", code }] }, { text: "All done here." }],
    });
    const term = await TmuxSession.start({
      command: cliCommand([...modelArgs(fake.url, "sk-tmux-live-key-0123456789"), "-y"]),
      env: { INTERPRETER_HOME: home, TERM: "xterm-256color" },
      cwd: home,
      width: 100,
      height: 30,
    });
    try {
      await term.waitFor(/^>\s*$/m);
      await term.line("print a lot");
      // The program is still running (it waits for the marker), yet its late output shows.
      const during = await term.waitFor("LATE-OUTPUT-LINE");
      assert(!during.includes("FINISHED") && !during.includes("GAVE UP"), during);
      await term.waitFor(/waiting \d+/);
      await Deno.writeTextFile(marker, "");
      const done = await term.waitFor("All done here.");
      assertStringIncludes(done, "FINISHED");
      // the counter drew one row in place: one "waiting" line in the scrollback
      assertEquals(done.match(/waiting \d+/g)?.length, 1, done);
      assert(!done.includes("left out"), "the model's note is not shown to the person");
      // the model got the bounded text, with the end of the output
      const sent = JSON.stringify(fake.requests[1].messages);
      assertStringIncludes(sent, "FINISHED");
      assertStringIncludes(sent, "left out");
    } finally {
      await term.keys("C-d").then(() => term.waitForExit(10_000)).catch(() => {});
      await term.close();
      await fake.close();
      await Deno.remove(signals, { recursive: true });
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
