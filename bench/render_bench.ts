/**
 * Rendering cost of a streamed Markdown answer. Replays the recorded OpenAI
 * stream (5.2 KB in ~300 chunks) three times over through the terminal
 * renderer, then ten times that text, and reports the time and the ratio.
 * Targets: the 3x replay costs <= 50 ms in total (Open Interpreter's rich Live
 * re-render takes about 2.6 s), and 10x the text costs at most 12x the time
 * (linear growth). It also re-renders the whole message per chunk, the way
 * Open Interpreter does, as a side-by-side baseline.
 *
 * Usage: `deno run -A bench/render_bench.ts`
 *
 * @module
 */

import { Renderer } from "../lib/terminal/renderer.ts";
import { MarkdownStream } from "../lib/terminal/render_markdown.ts";
import { makeStyle } from "../lib/terminal/ansi.ts";

const FIXTURE = new URL(
  "../tests/fixtures/providers/openai__gpt-4.1-nano__markdown-text.chunks.txt",
  import.meta.url,
);

/** Text deltas of the recorded stream, in order. */
export async function loadDeltas(): Promise<string[]> {
  const text = await Deno.readTextFile(FIXTURE);
  const deltas: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const content = JSON.parse(line).choices?.[0]?.delta?.content;
    if (typeof content === "string" && content !== "") deltas.push(content);
  }
  return deltas;
}

function renderOnce(deltas: string[], repeat: number): number {
  let bytes = 0;
  const renderer = new Renderer({ write: (s) => void (bytes += s.length), columns: () => 100 }, {
    color: true,
    live: true,
  });
  const t0 = performance.now();
  renderer.chunk({ role: "assistant", type: "message", start: true });
  for (let r = 0; r < repeat; r++) {
    for (const d of deltas) renderer.chunk({ role: "assistant", type: "message", content: d });
    renderer.chunk({ role: "assistant", type: "message", content: "\n\n" });
  }
  renderer.chunk({ role: "assistant", type: "message", end: true });
  renderer.finish();
  return performance.now() - t0;
}

/** The Open Interpreter way: re-render the whole message on every chunk. */
function renderWholePerChunk(deltas: string[], repeat: number): number {
  const style = makeStyle(true);
  const t0 = performance.now();
  let text = "";
  let sink = 0;
  for (let r = 0; r < repeat; r++) {
    for (const d of deltas) {
      text += d;
      const md = new MarkdownStream(style, () => 100);
      sink += md.push(text).length + md.end().length;
    }
  }
  if (sink < 0) console.log(sink);
  return performance.now() - t0;
}

function best(fn: () => number, runs: number): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, fn());
  return min;
}

if (import.meta.main) {
  const deltas = await loadDeltas();
  const size = deltas.join("").length;
  // Warm up the JIT the same way for both measurements.
  for (let i = 0; i < 5; i++) renderOnce(deltas, 3);
  const three = best(() => renderOnce(deltas, 3), 7);
  const thirty = best(() => renderOnce(deltas, 30), 5);
  const whole = best(() => renderWholePerChunk(deltas, 3), 2);
  console.log(`fixture: ${size} chars in ${deltas.length} text chunks`);
  console.log(
    `3x replay (${(size * 3 / 1024).toFixed(1)} KB, ${deltas.length * 3} chunks): ${
      three.toFixed(2)
    } ms  (target <= 50 ms)`,
  );
  console.log(`30x replay (10x the text): ${thirty.toFixed(2)} ms`);
  console.log(`growth for 10x text: ${(thirty / three).toFixed(2)}x  (target <= 12x)`);
  console.log(
    `baseline, whole message re-rendered per chunk (3x): ${whole.toFixed(1)} ms  (${
      (whole / three).toFixed(0)
    }x slower)`,
  );
}
