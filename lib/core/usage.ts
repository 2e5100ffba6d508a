/**
 * Token usage of model calls: measured from the provider's stream, else
 * counted with the tokenizer over the prompt really sent; priced where the
 * model's price is known; added to the engine's running total.
 *
 * @module
 */

import type { AssembledTurn } from "../llm/assembler.ts";
import { priceOf } from "../llm/models.ts";
import type { ChatMessage } from "../wire/chat.ts";
import type { UsageTotals } from "../wire/usage.ts";
import { countMessageTokens, countTextTokens } from "./trim.ts";

/** No usage yet. */
export function emptyUsage(): UsageTotals {
  return { promptTokens: 0, completionTokens: 0, cost: undefined, calls: 0 };
}

/** One call's usage (`estimated`: counted here because the provider sent none). */
export async function measureTurn(
  done: AssembledTurn,
  sent: ChatMessage[],
  model: string,
): Promise<{ turn: UsageTotals; estimated: boolean }> {
  let estimated = false;
  let usage = done.usage;
  if (!usage) {
    estimated = true;
    const completion = done.text + done.reasoning +
      done.toolCalls.map((c) => c.name + c.arguments).join("");
    usage = {
      promptTokens: await countMessageTokens(sent),
      completionTokens: await countTextTokens(completion),
    };
  }
  const cost = usage.cost ?? priceOf(model, usage);
  return {
    turn: {
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cost,
      calls: 1,
    },
    estimated,
  };
}

/** `total` with `turn` added (the cost stays unknown until some call's price is known). */
export function addUsage(total: UsageTotals, turn: UsageTotals): UsageTotals {
  return {
    promptTokens: total.promptTokens + turn.promptTokens,
    completionTokens: total.completionTokens + turn.completionTokens,
    cost: turn.cost === undefined ? total.cost : (total.cost ?? 0) + turn.cost,
    calls: total.calls + turn.calls,
  };
}
