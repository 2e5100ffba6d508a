/**
 * Token usage and cost as the engine reports it in `usage` chunks.
 *
 * @module
 */

/** Token usage and cost. */
export interface UsageTotals {
  /** Tokens sent. */
  promptTokens: number;
  /** Tokens received. */
  completionTokens: number;
  /** Dollars, when the price is known (else undefined). */
  cost?: number;
  /** Number of model calls. */
  calls: number;
}

/** The content of a `usage` chunk: this call's usage and the running total. */
export interface UsageReport {
  /** The model that answered. */
  model: string;
  /** This call. */
  turn: UsageTotals;
  /** All calls of this interpreter since the last reset. */
  total: UsageTotals;
  /** True when token counts were estimated with the tokenizer (the provider sent none). */
  estimated: boolean;
}
