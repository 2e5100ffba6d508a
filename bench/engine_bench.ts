/**
 * The engine's overhead, side by side with baselines doing the least possible
 * work on the same input (runs alternate; medians reported; never fails):
 *
 * - assembling a recorded stream (the largest fixture, 285 kB, ~2,900
 *   chunks) against only `JSON.parse` of the same events;
 * - a whole model turn through `Interpreter.chat()` (system message,
 *   conversion, trimming, HTTP/SSE from the fake server, framing, storing)
 *   against a bare `fetch` that reads the same response;
 * - the first token count (lazy tokenizer load), reported alone.
 *
 * Usage: `deno run -A bench/engine_bench.ts [runs]`
 *
 * @module
 */

import { ChatStreamAssembler } from "../lib/llm/assembler.ts";
import { SseParser } from "../lib/llm/sse.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { countTextTokens } from "../lib/core/trim.ts";
import { FakeComputer } from "../tests/helpers/fake_computer.ts";
import { FIXTURES_DIR, startFakeOpenAI } from "../tests/helpers/fake_openai_server.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 15);
  const fixture = "together__deepseek-r1__think-tags-in-content.sse";
  const text = await Deno.readTextFile(new URL(fixture, FIXTURES_DIR));
  const events = new SseParser().push(text).filter((e) => e.data !== "[DONE]");

  const t0 = performance.now();
  await countTextTokens("warm up the tokenizer");
  console.log(`first token count (lazy tokenizer load): ${(performance.now() - t0).toFixed(1)} ms`);

  const parseOnly: number[] = [];
  const assemble: number[] = [];
  for (let i = 0; i < runs; i++) {
    parseOnly.push(time(() => {
      for (const e of events) JSON.parse(e.data);
    }));
    assemble.push(time(() => {
      const a = new ChatStreamAssembler();
      for (const e of events) a.push(JSON.parse(e.data));
      a.flush();
    }));
  }
  const p = median(parseOnly);
  const a = median(assemble);
  console.log(
    `assemble ${events.length} chunks: ${a.toFixed(2)} ms vs JSON.parse only ${p.toFixed(2)} ms` +
      ` (ratio ${(a / p).toFixed(2)}x)`,
  );

  const fake = startFakeOpenAI({
    script: Array.from({ length: runs * 2 + 2 }, () => ({ fixture })),
  });
  try {
    const bare: number[] = [];
    const engine: number[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push(
        await timeAsync(async () => {
          const res = await fetch(`${fake.url}/chat/completions`, {
            method: "POST",
            body: JSON.stringify({ model: "x", messages: [] }),
          });
          await res.text();
        }),
      );
      engine.push(
        await timeAsync(async () => {
          const it = new Interpreter({
            computer: new FakeComputer(),
            llm: { model: "together/deepseek-ai/DeepSeek-R1", apiBase: fake.url, apiKey: "k" },
          });
          await it.chat("How do I cross the street?");
        }),
      );
    }
    const b = median(bare);
    const e = median(engine);
    console.log(
      `one model turn through chat(): ${e.toFixed(1)} ms vs bare fetch of the same stream ${
        b.toFixed(1)
      } ms (ratio ${(e / b).toFixed(2)}x)`,
    );
  } finally {
    await fake.close();
  }
}
