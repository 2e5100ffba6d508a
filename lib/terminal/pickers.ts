/**
 * The chat's pickers: a model of a local server (`--local`) and a saved
 * conversation to resume (`--conversations`).
 *
 * @module
 */

import type { LmcMessage } from "../wire/lmc.ts";
import { getSetting, mergeProfiles, type Profile } from "../profiles/mod.ts";
import type { LineInput } from "./input.ts";
import { UsageProblem } from "./startup.ts";

/** With --local and no model set: finds local model servers and lets the person pick a model. */
export async function pickLocal(profile: Profile, input: LineInput | undefined): Promise<Profile> {
  if (getSetting(profile, "llm.api_base") && getSetting(profile, "llm.model")) return profile;
  const { findLocalServers } = await import("./local.ts");
  const servers = await findLocalServers();
  const choices = servers.flatMap((s) => s.models.map((m) => ({ server: s, model: m })));
  if (choices.length === 0) {
    throw new UsageProblem(
      "--local found no model server on 127.0.0.1 (Ollama 11434, LM Studio 1234, llama.cpp 8080, Jan 1337); start one, or pass --api_base URL --model NAME",
    );
  }
  let choice = choices[0];
  if (input && choices.length > 1) {
    choices.forEach((c, i) => console.log(`  ${i + 1}. ${c.model}  (${c.server.name})`));
    const answer = await input.ask(`Model [1-${choices.length}, Enter for 1]: `);
    const n = Number(answer || "1");
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) choice = choices[n - 1];
  }
  console.log(`Using ${choice.model} on ${choice.server.name} (${choice.server.apiBase})`);
  return mergeProfiles(profile, { llm: { api_base: choice.server.apiBase, model: choice.model } });
}

/**
 * Lists the saved conversations and asks which to resume (undefined: none,
 * "interrupted": Ctrl-C). An answer that is not one of the numbers is said and
 * asked again (at most 5 times).
 */
export async function pickConversation(
  input: LineInput,
): Promise<{ path: string; messages: LmcMessage[] } | "interrupted" | undefined> {
  const { listConversations, loadConversation } = await import("../storage/conversations.ts");
  const list = await listConversations();
  if (list.length === 0) {
    console.log("No saved conversations yet.");
    return undefined;
  }
  const shown = list.slice(0, 30);
  shown.forEach((c, i) => {
    const when = c.modified.toISOString().replace("T", " ").slice(0, 16);
    console.log(`  ${String(i + 1).padStart(2)}. ${c.title}  (${when})`);
  });
  for (let tries = 0; tries < 5; tries++) {
    let interrupted = false;
    const answer = await input.ask(`Resume which one? [1-${shown.length}, Enter to cancel] `, {
      onInterrupt: () => interrupted = true,
    });
    if (interrupted) return "interrupted";
    if (!answer) return undefined;
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= shown.length) {
      const path = shown[n - 1].path;
      return { path, messages: await loadConversation(path) };
    }
    console.log(`No conversation "${answer}": type a number from 1 to ${shown.length}.`);
  }
  return undefined;
}
