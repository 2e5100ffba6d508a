/**
 * The computer's own secret filter: the engine ADDS its provider's key names and
 * API key values to the computer's default patterns, per instance (no registry
 * shared between computers). Runs real shells under allowAll(), where the
 * computer's filter is what stands between code and the environment.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { Computer } from "../lib/computer/mod.ts";
import { isSecretName, sessionEnv } from "../lib/computer/env.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";

const KEY_A = "sk-instance-a-0123456789";
const KEY_B = "sk-instance-b-9876543210";

/** The names of the variables a shell run by `computer` sees. */
async function namesSeen(computer: Computer): Promise<string[]> {
  const messages = await computer.run("shell", "env | cut -d= -f1");
  const text = messages.map((m) => String(m.content ?? "")).join("");
  return text.split("\n").map((l) => l.trim()).filter(Boolean);
}

Deno.test("the engine adds its provider's key names to the computer's patterns (GITHUB_TOKEN, AWS keys stay out under allowAll)", async () => {
  const names = {
    GITHUB_TOKEN: "ghp_not_a_real_token_123456",
    AWS_SECRET_ACCESS_KEY: "aws-not-real-secret-123456",
    OPENAI_API_KEY: "sk-not-real-openai-123456",
    STRUCTURE_VISIBLE_MARK: "visible",
  };
  const interpreter = new Interpreter({
    permissions: allowAll(),
    llm: { model: "gpt-4o-mini", apiKey: KEY_A },
  });
  const computer = interpreter.computer as Computer;
  // The variables go in through the computer's base environment, never through Deno.env
  // (tests run side by side in one process).
  computer.env = { ...Deno.env.toObject(), ...names };
  try {
    // The computer's own filter, before any sandbox filter: the default patterns are kept.
    for (const name of ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY"]) {
      assert(isSecretName(name, computer.secretEnv), `${name} passes ${computer.secretEnv}`);
    }
    const filtered = sessionEnv(computer.secretEnv, { base: names });
    assertEquals(Object.keys(filtered), ["STRUCTURE_VISIBLE_MARK"]);
    // And end to end: code run unconfined sees none of them; the plain variable is the control.
    const seen = await namesSeen(computer);
    assert(seen.includes("STRUCTURE_VISIBLE_MARK"), `control variable missing: ${seen}`);
    for (const name of ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY"]) {
      assert(!seen.includes(name), `${name} reached code`);
    }
  } finally {
    await interpreter.reset();
  }
});

Deno.test("API key values are held per computer: a variable holding this engine's key never reaches its code; another engine's computer is not told", async () => {
  const env = {
    ...Deno.env.toObject(),
    STRUCTURE_HOLDS_A: `prefix-${KEY_A}`,
    STRUCTURE_HOLDS_B: `prefix-${KEY_B}`,
  };
  const given = new Computer({
    permissions: allowAll(),
    secretValues: ["own-value-0123456789"],
    env,
  });
  const a = new Interpreter({
    permissions: allowAll(),
    llm: { model: "gpt-4o-mini", apiKey: KEY_A },
  });
  a.computer = given;
  const b = new Interpreter({
    permissions: allowAll(),
    llm: { model: "gpt-4o-mini", apiKey: KEY_B },
  });
  const bComputer = b.computer as Computer;
  bComputer.env = env;
  try {
    // The engine's secrets are added to a computer it was given, not put in place of its own.
    const aSeen = await namesSeen(given);
    const bSeen = await namesSeen(bComputer);
    assert(given.secretValues.includes("own-value-0123456789"), `${given.secretValues}`);
    assert(given.secretValues.includes(KEY_A), `${given.secretValues}`);
    assert(!given.secretValues.includes(KEY_B), "engine B's key reached engine A's computer");
    assert(!bComputer.secretValues.includes(KEY_A), "engine A's key reached engine B's computer");
    // Each computer drops the variable holding its own engine's key and keeps the other's
    // (the other key is nothing to this engine): proof that nothing is shared between them.
    assert(!aSeen.includes("STRUCTURE_HOLDS_A") && aSeen.includes("STRUCTURE_HOLDS_B"), `${aSeen}`);
    assert(!bSeen.includes("STRUCTURE_HOLDS_B") && bSeen.includes("STRUCTURE_HOLDS_A"), `${bSeen}`);
  } finally {
    await given.terminate();
    await b.reset();
  }
});
