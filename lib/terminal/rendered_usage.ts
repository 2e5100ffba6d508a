/**
 * The token usage the chat shows after an answer: counts read from `usage`
 * chunks (the engine's report, or plain provider counts), summed, and the one
 * gray line that states them.
 *
 * @module
 */

import { formatUsd } from "../wire/usage.ts";

/** Token usage of one model answer, as carried by `usage` chunks. */
export interface RenderedUsage {
  /** Tokens sent. */
  inputTokens: number;
  /** Tokens received. */
  outputTokens: number;
  /** Estimated cost in USD, when known. */
  cost?: number;
}

/**
 * The counts in a `usage` chunk's content: the engine's report carries this
 * call under `turn`; plain counts (`prompt_tokens`, `input_tokens`...) are
 * accepted too. Undefined when the content is not an object.
 */
export function usageCounts(content: unknown): RenderedUsage | undefined {
  if (!content || typeof content !== "object") return undefined;
  const report: Record<string, unknown> = { ...content };
  const turn = report.turn;
  const c: Record<string, unknown> = turn && typeof turn === "object" ? { ...turn } : report;
  const num = (...keys: string[]): number => {
    for (const k of keys) {
      const value = c[k];
      if (typeof value === "number") return value;
    }
    return 0;
  };
  const counts: RenderedUsage = {
    inputTokens: num("input_tokens", "prompt_tokens", "inputTokens", "promptTokens"),
    outputTokens: num("output_tokens", "completion_tokens", "outputTokens", "completionTokens"),
  };
  const cost = c.cost ?? c.cost_usd ?? c.costUsd;
  if (typeof cost === "number") counts.cost = cost;
  return counts;
}

/** `total` plus `counts` (a cost only when either has one). */
export function addUsage(total: RenderedUsage, counts: RenderedUsage): RenderedUsage {
  const sum: RenderedUsage = {
    inputTokens: total.inputTokens + counts.inputTokens,
    outputTokens: total.outputTokens + counts.outputTokens,
  };
  if (total.cost !== undefined || counts.cost !== undefined) {
    sum.cost = (total.cost ?? 0) + (counts.cost ?? 0);
  }
  return sum;
}

/** The line stating a usage: `1,200 tokens in, 5 out, $0.001`. */
export function usageLine(usage: RenderedUsage): string {
  let text = `${usage.inputTokens.toLocaleString("en-US")} tokens in, ` +
    `${usage.outputTokens.toLocaleString("en-US")} out`;
  if (usage.cost !== undefined) text += `, ${formatUsd(usage.cost)}`;
  return text;
}
