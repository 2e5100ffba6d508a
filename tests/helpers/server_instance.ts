/**
 * A real `interpreter --server` process for the deployment tests: auto-run on, the fake model
 * server, code in containers on a given engine (or on this machine), optionally a store and an
 * instance id, its own home folder. Its standard error is read as text (the listening line, notes, warnings).
 *
 * @module
 */

import { StreamText } from "./stream_text.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** How to start one instance. */
export interface ServerInstanceOptions {
  /** The fake model server's URL. */
  modelUrl: string;
  /** `podman` or `docker`, or `local` (bubblewrap on this machine). */
  computer: "podman" | "docker" | "local";
  /** The engine's address (`unix:///…`; not for `local`). */
  engine?: string;
  /** The working directory (bound into the boxes). */
  cwd: string;
  /** The server's token (INTERPRETER_API_KEY). */
  token: string;
  /** Its home folder (INTERPRETER_HOME; made by the caller, removed by the caller). */
  home: string;
  /** More flags (`--store`, `--instance_id`, `--lease_seconds`, `--container_pool` …). */
  flags?: string[];
}

/** A running instance. */
export interface ServerInstance {
  /** The process. */
  child: Deno.ChildProcess;
  /** Its standard error. */
  stderr: StreamText;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Resolves once it listens (bounded: 60 s). */
  listening(): Promise<void>;
}

/** A port free now on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts an instance on a free port (`port` to choose it). */
export function startServerInstance(
  options: ServerInstanceOptions,
  port: number = freePort(),
): ServerInstance {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "--server",
      "--port",
      String(port),
      "-y",
      "--api_base",
      options.modelUrl,
      "--api_key",
      "sk-test",
      "--model",
      "gpt-4o",
      ...(options.computer === "local"
        ? []
        : ["--computer", options.computer, "--container_engine", options.engine ?? ""]),
      ...(options.flags ?? []),
    ],
    cwd: options.cwd,
    env: {
      INTERPRETER_HOME: options.home,
      INTERPRETER_API_KEY: options.token,
      INTERPRETER_HOST: "",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new StreamText(child.stderr);
  return {
    child,
    stderr,
    port,
    listening: async () => {
      await stderr.until((t) => /listening on http:\/\//.test(t), 60_000);
    },
  };
}

/** The code output a turn's server-sent chunks carry, joined (chunks may split a line). */
export function outputOf(sse: string): string {
  return sse.split("\n").filter((line) => line.startsWith("data: ")).map((line) => {
    try {
      const chunk = JSON.parse(line.slice(6));
      return chunk.format === "output" && typeof chunk.content === "string" ? chunk.content : "";
    } catch {
      return "";
    }
  }).join("");
}

/** Sends one chat turn to `base` (`http://host:port`) for `session`; resolves to its code output. */
export async function chatOutput(
  base: string,
  turn: { session: string; message: string; token: string },
): Promise<string> {
  const response = await fetch(`${base}/chat?session=${turn.session}`, {
    method: "POST",
    headers: { authorization: `Bearer ${turn.token}`, "content-type": "application/json" },
    body: JSON.stringify({ message: turn.message }),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${body}`);
  return outputOf(body);
}
