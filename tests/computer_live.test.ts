/**
 * Long output stays live for the person and bounded for the model: past the
 * model's head the computer keeps streaming output with `recipient: "user"`
 * (throttled, with a visible marker where some is skipped) and gives the model
 * the rest of its text at the end with `recipient: "assistant"`.
 *
 * @module
 */

import type { LmcChunk } from "../lib/wire/lmc.ts";
import { OutputCollector, type OutputPiece } from "../lib/computer/output.ts";
import { RunFeed } from "../lib/computer/feed.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf, withComputer } from "./helpers/computer_helpers.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** An OutputCollector writing under `dir` with a model head of `maxOutput` (100 unless given). */
function collector(
  dir: string,
  { maxOutput = 100, clock }: { maxOutput?: number; clock?: () => number } = {},
): OutputCollector {
  return new OutputCollector({ maxOutput, dir, label: "t", storeBudget: 1e9, clock });
}

/** The person's view and the model's text of some pieces or chunks. */
function views(pieces: readonly { recipient?: string; text?: string; content?: unknown }[]): {
  person: string;
  model: string;
} {
  let person = "";
  let model = "";
  for (const p of pieces) {
    const text = String(p.text ?? p.content ?? "");
    if (p.recipient !== "assistant") person += text;
    if (p.recipient !== "user") model += text;
  }
  return { person, model };
}

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "computer-live-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("OutputCollector: past the head the person keeps seeing output, the model gets its rest at the end", async () => {
  await withDir((dir) => {
    const c = collector(dir);
    const pieces: OutputPiece[] = [];
    for (let i = 0; i < 200; i++) pieces.push(...c.push(bytes(`line ${i}\n`)));
    // while the program runs, the person already has line 199; the model has only the head
    assertStringIncludes(views(pieces).person, "line 199\n");
    assert(!pieces.some((p) => p.recipient === "assistant"));
    assertEquals(views(pieces).model.length, 50);
    const end = c.end();
    assertEquals(end.map((p) => p.recipient), ["assistant"]);
    const { model } = views([...pieces, ...end]);
    assert(model.startsWith("line 0\nline 1\n"), model);
    assert(model.endsWith("line 198\nline 199\n"), model);
    assertStringIncludes(model, "bytes of output in all");
    assert(model.length < 100 + 400, `bounded: ${model.length}`);
  });
});

Deno.test("OutputCollector: output that fits is held for the model and given whole at the end", async () => {
  await withDir((dir) => {
    const c = collector(dir);
    const pieces = [...c.push(bytes("a".repeat(70))), ...c.push(bytes("b".repeat(20)))];
    assertEquals(pieces, [
      { text: "a".repeat(50) },
      { text: "a".repeat(20), recipient: "user" },
      { text: "b".repeat(20), recipient: "user" },
    ]);
    assertEquals(c.end(), [{ text: "a".repeat(20) + "b".repeat(20), recipient: "assistant" }]);
    assertEquals(c.path, undefined);
  });
});

Deno.test("OutputCollector: a flood is throttled for the person with a skip marker naming the file, and the end is shown", async () => {
  await withDir(async (dir) => {
    // one throttle window for the whole flood, however slowly this test runs
    const clock = () => 0;
    const c = collector(dir, { clock });
    const line = "0123456789".repeat(10) + "\n";
    const block = bytes(line.repeat(600)); // 60.6 KB in one read
    const pieces: OutputPiece[] = [];
    for (let i = 0; i < 20; i++) pieces.push(...c.push(block));
    pieces.push(...c.push(bytes("THE END\n")));
    pieces.push(...c.end());
    const { person, model } = views(pieces);
    // the person got far less than the 1.2 MB printed, with a marker naming the full output
    assert(person.length < 200 * 1024, `person view is throttled: ${person.length}`);
    assertStringIncludes(person, `… (skipping, full output in ${c.path})`);
    assert(person.endsWith("THE END\n"), person.slice(-200));
    // a resumed view starts at a line start
    for (const resumed of person.split("… (skipping").slice(1)) {
      const next = resumed.slice(resumed.indexOf(")\n") + 2);
      assert(
        next === "" || next.startsWith("0123") || next.startsWith("THE END"),
        next.slice(0, 40),
      );
    }
    assert(model.length < 600 && model.endsWith("THE END\n"), model.slice(-100));
    assertEquals((await Deno.stat(c.path!)).size, block.length * 20 + 8);
  });
});

Deno.test("OutputCollector: after skipping, output read in a new throttle window is shown from its first line", async () => {
  await withDir((dir) => {
    let now = 0;
    const c = collector(dir, { clock: () => now });
    const pieces: OutputPiece[] = [...c.push(bytes(("p".repeat(99) + "\n").repeat(400)))];
    assertStringIncludes(views(pieces).person, "… (skipping");
    // the next read starts a new window and begins exactly at a line start: nothing of it is cut
    now += 1000;
    const resumed = c.push(bytes("LAST-LINE\n"));
    assertEquals(resumed, [{ text: "LAST-LINE\n", recipient: "user" }]);
    pieces.push(...resumed, ...c.end());
    const { person, model } = views(pieces);
    assert(person.endsWith("… (skipping, full output in " + c.path + ")\nLAST-LINE\n"), person);
    assert(model.endsWith("LAST-LINE\n") && model.length < 600, model.slice(-100));
  });
});

Deno.test("OutputCollector: a run ending just after skipping shows the person its last output", async () => {
  await withDir((dir) => {
    let now = 0;
    const c = collector(dir, { clock: () => now });
    const pieces: OutputPiece[] = [...c.push(bytes(("p".repeat(99) + "\n").repeat(400) + "pp"))];
    // in a new window only the end of the skipped line arrives: nothing to resume from yet
    now += 1000;
    pieces.push(...c.push(bytes("ppp\n")), ...c.end());
    // ... so the end shows the person the last lines, from a line start
    const end = views(pieces).person.split(")\n").at(-1)!;
    assert(
      end.startsWith("p".repeat(99) + "\n") && end.endsWith("\n" + "ppppp" + "\n"),
      end,
    );
    // a run ending while skipping, with the last 2 KB starting exactly at a line start
    const d = collector(dir);
    const more = [...d.push(bytes(("q".repeat(1023) + "\n").repeat(40))), ...d.end()];
    const last = views(more).person.split(")\n").at(-1)!;
    assertEquals(last, ("q".repeat(1023) + "\n").repeat(2));
  });
});

Deno.test("RunFeed: when the display falls behind, live output is dropped with a marker, but the end still reaches the person", async () => {
  const feed = new RunFeed();
  const line = "x".repeat(99) + "\n";
  // nobody reads while 400 KB of person-only output arrive, then the program's last line
  for (let i = 0; i < 4000; i++) feed.output(line, "user");
  feed.output("LAST-LINE\n", "user");
  feed.output("the rest of the model's text", "assistant");
  feed.output("[exit status 1]\n");
  feed.end();
  const chunks: LmcChunk[] = [];
  for await (const chunk of feed.chunks()) chunks.push(chunk);
  const { person, model } = views(chunks);
  assert(person.length < 300 * 1024, `bounded: ${person.length}`);
  const dropped = "the display fell behind)\n";
  assert(
    person.endsWith(dropped + line.repeat(20) + "LAST-LINE\n[exit status 1]\n"),
    person.slice(-300),
  );
  assertEquals(model, "the rest of the model's text[exit status 1]\n");

  // the same when the run ends right after the dropped output
  const short = new RunFeed();
  for (let i = 0; i < 4000; i++) short.output(line, "user");
  short.output("END\n", "user");
  short.end();
  let seen = "";
  for await (const chunk of short.chunks()) seen += chunk.content;
  // the end of the dropped output, from a line start (2 KB: 20 whole lines and the last)
  assert(
    seen.endsWith("the display fell behind)\n" + line.repeat(20) + "END\n"),
    seen.slice(-300),
  );
});

Deno.test("OutputCollector: a \\r progress bar in the head is shown in place to the person, collapsed for the model", async () => {
  await withDir((dir) => {
    const c = collector(dir, { maxOutput: 2800 });
    const first = c.push(bytes("\r 10%"));
    assertEquals(first, [{ text: "\r 10%", recipient: "user" }]);
    const second = c.push(bytes("\r 50%"));
    assertEquals(second, [{ text: "\r 50%", recipient: "user" }]);
    const done = c.push(bytes("\r100%\ndone\n"));
    assertEquals(done, [{ text: "\r", recipient: "user" }, { text: "100%\ndone\n" }]);
    assertEquals(c.end(), []);
  });
});

Deno.test("OutputCollector: after the head, \\r is kept for the person", async () => {
  await withDir((dir) => {
    const c = collector(dir, { maxOutput: 40 });
    c.push(bytes("x".repeat(30) + "\n"));
    const pieces = c.push(bytes("\rstep 1\rstep 2"));
    assertEquals(views(pieces).person, "\rstep 1\rstep 2");
    const end = c.end();
    assertStringIncludes(views(end).model, "step 2");
  });
});

Deno.test({
  name:
    "computer: a program printing 200 KB slowly is seen live past the head while it runs; the model text is bounded",
  async fn() {
    // (the marker is not in the data folder: the sandbox hides that from code)
    const markerDir = await Deno.makeTempDir({ prefix: "computer-live-" });
    await withComputer({ maxOutput: 1000 }, async (computer) => {
      const marker = `${markerDir}/seen-live`;
      // 10 KB, a late line, then it waits (bounded) until the person has seen that line,
      // then 190 KB in pieces and a last line.
      const code = [
        "import os, sys, time",
        "for i in range(100): print(f'early {i:03d} ' + 'e' * 88)",
        "print('LATE-LINE', flush=True)",
        "deadline = time.time() + 20",
        `while not os.path.exists(${JSON.stringify(marker)}) and time.time() < deadline:`,
        "    time.sleep(0.02)",
        `print('marker seen' if os.path.exists(${JSON.stringify(marker)}) else 'NOT SEEN')`,
        "for i in range(19):",
        "    sys.stdout.write(('p' * 99 + '\\n') * 100)",
        "    sys.stdout.flush()",
        "    time.sleep(0.01)",
        "print('LAST-LINE')",
      ].join("\n");
      const chunks: LmcChunk[] = [];
      let sawLateLive = false;
      for await (const chunk of computer.stream("python", code)) {
        chunks.push(chunk);
        if (chunk.format !== "output") continue;
        if (!sawLateLive && String(chunk.content).includes("LATE-LINE")) {
          // The line is far past the model's 500-character head: it reached the person live.
          assertEquals(chunk.recipient, "user");
          sawLateLive = true;
          await Deno.writeTextFile(marker, "");
        }
      }
      assert(sawLateLive, "the late line reached the person while the program ran");
      const output = chunks.filter((c) => c.format === "output");
      const { person, model } = views(output);
      assertStringIncludes(person, "marker seen");
      assert(!person.includes("NOT SEEN"));
      assert(person.endsWith("LAST-LINE\n"), person.slice(-100));
      // the model's part: head, then (for the assistant only) the note and the tail
      assert(model.startsWith("early 000 "), model.slice(0, 50));
      assert(model.endsWith("LAST-LINE\n"), model.slice(-50));
      assert(model.length < 1000 + 600, `model text is bounded: ${model.length}`);
      const last = output.filter((c) => c.recipient !== "user").at(-1)!;
      assertEquals(last.recipient, "assistant");
      assertStringIncludes(String(last.content), "left out");
      const path = model.match(/Full output: (\S+\.log)/)?.[1];
      assert(path, model);
      const full = await Deno.readTextFile(path);
      assertStringIncludes(full, "LATE-LINE\nmarker seen\n");
      assert(full.endsWith("LAST-LINE\n"));

      // run() (and so the stored message) is exactly the model's text
      const again = await computer.run(
        "python",
        "for i in range(100): print(f'early {i:03d} ' + 'e' * 88)\nprint('LAST-LINE')",
      );
      assertEquals(again.length, 1);
      assertEquals(again[0].recipient, undefined);
      const text = textOf(again);
      assert(
        text.startsWith("early 000 ") &&
          text.endsWith("early 099 " + "e".repeat(88) + "\nLAST-LINE\n"),
      );
      assert(text.length < 1000 + 600, `bounded: ${text.length}`);
    }).finally(() => Deno.remove(markerDir, { recursive: true }));
  },
});

Deno.test("computer: short output has no recipient (both see it), as before", async () => {
  await withComputer({}, async (computer) => {
    const chunks: LmcChunk[] = [];
    for await (const chunk of computer.stream("shell", "echo hi; echo there")) chunks.push(chunk);
    const output = chunks.filter((c) => c.format === "output");
    assert(output.length > 0, "the list checked below is not empty");
    assert(output.every((c) => c.recipient === undefined));
    assertEquals(output.map((c) => c.content).join(""), "hi\nthere\n");
  });
});
