/**
 * Builds each session's interpreter from the settings of the interpreter
 * `server()` was called on: same class, same settings, its own conversation,
 * computer and usage. Settings are read when a session starts, so changes made
 * to the template later apply to new sessions.
 *
 * @module
 */

import type { InterpreterFactory, InterpreterLike } from "./types.ts";

/** The settings passed on (the constructor options of the same names). */
const COPIED = [
  "systemMessage",
  "customInstructions",
  "autoRun",
  "maxOutput",
  "safeMode",
  "maxBudget",
  "maxTurns",
  "loop",
  "loopMessage",
  "loopBreakers",
  "timeout",
  "offline",
  "verbose",
  "permissions",
  "mcpServers",
] as const;

function copy(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    // Not cloneable (e.g. holds a function): a shallow copy still keeps sessions apart.
    if (Array.isArray(value)) return [...value];
    return value && typeof value === "object" ? { ...value } : value;
  }
}

/**
 * A factory making new interpreters of the template's class with its
 * settings. The conversation, the computer and the conversation saver
 * (`onMessage`) are not passed on: sessions must not share them.
 */
export function templateFactory(template: object): InterpreterFactory {
  const Interpreter = template.constructor as new (
    options: Record<string, unknown>,
  ) => InterpreterLike;
  const source = template as Record<string, unknown>;
  return () => {
    const options: Record<string, unknown> = {};
    for (const key of COPIED) {
      const value = source[key];
      if (value !== undefined) options[key] = copy(value);
    }
    if (source.llm && typeof source.llm === "object") options.llm = copy(source.llm);
    return new Interpreter(options);
  };
}
