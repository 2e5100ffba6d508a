/**
 * The engine (lib/core's Interpreter) against the fake model server, with an
 * in-memory computer that records what it is asked to run.
 *
 * @module
 */

import { Interpreter } from "../../lib/core/interpreter.ts";
import type { InterpreterOptions } from "../../lib/core/settings.ts";
import { FakeComputer } from "./fake_computer.ts";
import { type FakeOpenAI, type FakeTurn, startFakeOpenAI } from "./fake_openai_server.ts";

/**
 * Runs `body` with an Interpreter whose model is a fake server answering with
 * `script`. Defaults (each overridden by `options`): auto-run on, model
 * `gpt-4o`, a test API key, a new FakeComputer. The server is closed after.
 */
export async function withFakeModel(
  script: FakeTurn[],
  options: Partial<InterpreterOptions> & { computer?: FakeComputer },
  body: (it: Interpreter, fake: FakeOpenAI, computer: FakeComputer) => Promise<void>,
): Promise<void> {
  const fake = startFakeOpenAI({ script });
  const computer = options.computer ?? new FakeComputer();
  const interpreter = new Interpreter({
    autoRun: true,
    ...options,
    computer,
    llm: { model: "gpt-4o", apiBase: fake.url, apiKey: "sk-engine-test-key", ...options.llm },
  });
  try {
    await body(interpreter, fake, computer);
  } finally {
    await fake.close();
  }
}
