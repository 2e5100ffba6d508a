/**
 * A scripted stand-in for the engine, for the server's transport tests
 * (routing, auth, limits, protocols) where the model and the computer do not
 * matter. It follows the engine's chunk format: a `code`
 * step streams a code block, yields a confirmation and asks the approver when
 * `autoRun` is off, then "runs" (waits `runMs`, interruptible by
 * `computer.stop()`) and streams the step's output. End-to-end tests use the real engine instead.
 *
 * @module
 */

import type { LmcChunk, LmcMessage } from "../../lib/wire/lmc.ts";
import { startServer } from "../../lib/server/mod.ts";
import type {
  InterpreterLike,
  ServerChatOptions,
  ServerHandle,
  ServerOptions,
} from "../../lib/server/types.ts";

/** One step of a scripted answer. */
export type ScriptStep =
  | { text: string }
  | { code: string; language?: string; output?: string; runMs?: number }
  | { error: string }
  | { throws: string };

/** Chooses the answer's steps from the user's message. */
export type Script = (message: string, interpreter: ScriptedInterpreter) => ScriptStep[];

/** A scripted interpreter with the surface the server uses. */
export class ScriptedInterpreter implements InterpreterLike {
  messages: LmcMessage[] = [];
  autoRun = false;
  systemMessage = "You are a test.";
  customInstructions = "";
  maxOutput = 2800;
  maxBudget: number | null = null;
  llm = {
    model: "fake-model",
    apiKey: "sk-secret-key",
    apiBase: "http://127.0.0.1:9/v1",
    temperature: 0,
  };
  /** Code "run" so far, in order. */
  ran: string[] = [];
  /** What the last turn's custom instructions were. */
  seenInstructions: string[] = [];
  /** Calls of `computer.stop()` and `computer.terminate()`. */
  calls = { stop: 0, terminate: 0 };
  readonly #script: Script;
  #wake: (() => void) | null = null;

  /** The computer: stop interrupts a "run"; terminate is counted. */
  computer: { stop(): Promise<void>; terminate(): Promise<void> } = {
    stop: () => {
      this.calls.stop++;
      this.#wake?.();
      return Promise.resolve();
    },
    terminate: () => {
      this.calls.terminate++;
      this.#wake?.();
      return Promise.resolve();
    },
  };

  /** Makes an interpreter that answers with `script`. */
  constructor(script: Script) {
    this.#script = script;
  }

  #sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const finish = (interrupted: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wake = null;
        resolve(interrupted);
      };
      const onAbort = () => finish(true);
      this.#wake = () => finish(true);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Streams the scripted answer. */
  async *chat(
    message: string | LmcMessage | LmcMessage[],
    options: ServerChatOptions,
  ): AsyncGenerator<LmcChunk> {
    const text = typeof message === "string"
      ? message
      : Array.isArray(message)
      ? String(message[message.length - 1]?.content ?? "")
      : String(message.content ?? "");
    if (typeof message === "string") {
      this.messages.push({ role: "user", type: "message", content: message });
    } else if (Array.isArray(message)) this.messages = [...message];
    else this.messages.push(message);
    this.seenInstructions.push(this.customInstructions);
    for (const step of this.#script(text, this)) {
      if ("throws" in step) throw new Error(step.throws);
      if ("error" in step) {
        yield { role: "assistant", type: "error", content: step.error };
        continue;
      }
      if ("text" in step) {
        yield { role: "assistant", type: "message", start: true };
        for (const piece of step.text.match(/.{1,4}/gs) ?? []) {
          yield { role: "assistant", type: "message", content: piece };
        }
        yield { role: "assistant", type: "message", end: true };
        this.messages.push({ role: "assistant", type: "message", content: step.text });
        continue;
      }
      const language = step.language ?? "python";
      yield { role: "assistant", type: "code", format: language, start: true };
      yield { role: "assistant", type: "code", format: language, content: step.code };
      yield { role: "assistant", type: "code", format: language, end: true };
      this.messages.push({ role: "assistant", type: "code", format: language, content: step.code });
      let code = step.code;
      if (!this.autoRun) {
        yield {
          role: "computer",
          type: "confirmation",
          format: "execution",
          content: { type: "code", format: language, content: step.code },
        };
        // As the engine does: the approver decides; a decline is recorded and ends the turn.
        const decision = await options.approve(
          { id: `code-${this.messages.length - 1}`, language, code },
          { signal: options.signal ?? new AbortController().signal },
        );
        if (decision.action === "decline") {
          const reason = decision.reason ?? "The user declined to run this code.";
          yield { role: "computer", type: "console", start: true };
          yield { role: "computer", type: "console", format: "output", content: reason };
          yield { role: "computer", type: "console", end: true };
          this.messages.push({
            role: "computer",
            type: "console",
            format: "output",
            content: reason,
          });
          return;
        }
        if (decision.action === "edit") code = decision.code;
      }
      this.ran.push(code);
      yield { role: "computer", type: "console", start: true };
      yield { role: "computer", type: "console", format: "active_line", content: 1 };
      const interrupted = await this.#sleep(step.runMs ?? 0, options.signal);
      const output = interrupted ? "KeyboardInterrupt\n" : step.output ?? "";
      if (output) yield { role: "computer", type: "console", format: "output", content: output };
      yield { role: "computer", type: "console", format: "active_line", content: null };
      yield { role: "computer", type: "console", end: true };
      this.messages.push({ role: "computer", type: "console", format: "output", content: output });
      if (interrupted) return;
    }
  }
}

/** A running server whose sessions are scripted interpreters. */
export interface ScriptedServer {
  /** The server. */
  server: ServerHandle;
  /** The interpreters it made, one per session, in order. */
  created: ScriptedInterpreter[];
}

/**
 * Starts a quiet server on 127.0.0.1 and a random port, reading an empty
 * environment (no INTERPRETER_* setting of the machine leaks in), all
 * overridable in `options`, whose sessions run `script`, with `autoRun`
 * (default false).
 */
export async function startScriptedServer(
  script: Script,
  options: ServerOptions & { autoRun?: boolean } = {},
): Promise<ScriptedServer> {
  const { autoRun = false, ...serverOptions } = options;
  const created: ScriptedInterpreter[] = [];
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    log: () => {},
    env: () => undefined,
    ...serverOptions,
    createInterpreter: () => {
      const interpreter = new ScriptedInterpreter(script);
      interpreter.autoRun = autoRun;
      created.push(interpreter);
      return interpreter;
    },
  });
  return { server, created };
}
