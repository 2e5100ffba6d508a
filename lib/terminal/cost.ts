/**
 * Dollar amounts for people: small costs keep two significant digits
 * (`$0.000048`), so a cheap request never shows as `$0.0000`.
 *
 * @module
 */

/** Formats a cost in US dollars. */
export function formatUsd(amount: number): string {
  if (!Number.isFinite(amount)) return `$${amount}`;
  if (amount === 0) return "$0";
  if (Math.abs(amount) >= 0.01) return `$${amount.toFixed(4).replace(/(\.\d{2}\d*?)0+$/, "$1")}`;
  // Two significant digits, written out (no exponent), without trailing zeros.
  const digits = Math.min(20, 1 - Math.floor(Math.log10(Math.abs(amount))));
  return `$${amount.toFixed(digits).replace(/0+$/, "")}`;
}
