/**
 * Small LMC chunk helpers shared by the engine, server, terminal and computer
 * tests: building an output chunk and collecting a stream.
 *
 * @module
 */

import type { LmcChunk } from "../../lib/wire/lmc.ts";

/** A computer console output chunk, optionally for only the person or only the model. */
export function outputChunk(content: string, recipient?: "user" | "assistant"): LmcChunk {
  return {
    role: "computer",
    type: "console",
    format: "output",
    content,
    ...(recipient ? { recipient } : {}),
  };
}

/** Collects every chunk of a stream. */
export async function collect(stream: AsyncIterable<LmcChunk>): Promise<LmcChunk[]> {
  const chunks: LmcChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
