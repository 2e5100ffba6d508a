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

/**
 * Formats a cost in US dollars for people: small costs keep two significant digits
 * (`$0.000048`), so a cheap request or a tiny budget never shows as `$0.0000`.
 */
export function formatUsd(amount: number): string {
  if (!Number.isFinite(amount)) return `$${amount}`;
  if (amount === 0) return "$0";
  if (Math.abs(amount) >= 0.01) return `$${amount.toFixed(4).replace(/(\.\d{2}\d*?)0+$/, "$1")}`;
  // Two significant digits, written out (no exponent), without trailing zeros.
  const digits = Math.min(20, 1 - Math.floor(Math.log10(Math.abs(amount))));
  return `$${amount.toFixed(digits).replace(/0+$/, "")}`;
}
