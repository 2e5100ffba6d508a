/**
 * Drives `interpreter --mcp` with the official MCP SDK client, over stdio or
 * Streamable HTTP, for the mcp_* tests.
 *
 * @module
 */

import { Client } from "npm:@modelcontextprotocol/sdk@1.32.2/client/index.js";
import { StdioClientTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js";
import { StreamableHTTPClientTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js";
import { ElicitRequestSchema } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";
import { StreamText } from "./stream_text.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export { Client };

/** A text or image piece of a tool result. */
export type Piece = { type: string; text?: string; data?: string; mimeType?: string };

/** Options for a client. */
export interface McpClientOptions {
  /** Extra CLI flags after `--mcp`. */
  args?: string[];
  /** Extra environment for the program. */
  env?: Record<string, string>;
  /** Working directory of the program. */
  cwd?: string;
  /** Answer elicitation requests with this action (the client then declares the capability). */
  elicit?: "accept" | "decline";
}

/** A connected client and the folders to clean up. */
export interface McpTestClient {
  /** The SDK client. */
  client: Client;
  /** The program's stderr so far (stdio only). */
  stderr(): string;
  /** Closes the client, ends the program, removes the home folder. */
  close(): Promise<void>;
}

function newClient(elicit?: "accept" | "decline"): Client {
  const client = new Client(
    { name: "mcp-test", version: "1.0.0" },
    { capabilities: elicit ? { elicitation: {} } : {} },
  );
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: elicit, content: {} }));
  }
  return client;
}

/** The environment every spawned program gets: its own home, the test's extras. */
function programEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? home,
    INTERPRETER_HOME: home,
    NO_COLOR: "1",
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return { ...env, ...extra };
}

/** Starts `interpreter --mcp` on stdio and connects the SDK client to it. */
export async function stdioClient(options: McpClientOptions = {}): Promise<McpTestClient> {
  const home = await Deno.makeTempDir({ prefix: "mcp-home-" });
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", MAIN, "--mcp", ...(options.args ?? [])],
    env: programEnv(home, options.env),
    cwd: options.cwd,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Uint8Array) => stderr += new TextDecoder().decode(d));
  const client = newClient(options.elicit);
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    close: async () => {
      await client.close().catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** A running `interpreter --mcp --port 0` and its endpoint. */
export interface McpHttpProgram {
  /** The endpoint URL. */
  url: string;
  /** The token the program was started with. */
  token: string;
  /** What the program printed on standard error up to its listening line. */
  startup: string;
  /** Connects an SDK client with `token` (default: the right one). */
  connect(token?: string, elicit?: "accept" | "decline"): Promise<Client>;
  /** Stops the program (SIGTERM, then bounded wait) and removes its home; clients first unless `keepClients`. */
  close(keepClients?: boolean): Promise<number>;
}

/** Starts `interpreter --mcp --port 0` with a known token and waits for its address. */
export async function httpProgram(options: McpClientOptions = {}): Promise<McpHttpProgram> {
  const home = await Deno.makeTempDir({ prefix: "mcp-home-" });
  const token = "test-token-" + crypto.randomUUID();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--mcp", "--port", "0", ...(options.args ?? [])],
    env: programEnv(home, { INTERPRETER_API_KEY: token, ...options.env }),
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const err = new StreamText(child.stderr);
  const out = new StreamText(child.stdout);
  const text = await err.until(/listening on (http:\/\/\S+\/mcp)/, 60_000);
  const url = /listening on (http:\/\/\S+\/mcp)/.exec(text)![1];
  const clients: Client[] = [];
  return {
    url,
    token,
    startup: text,
    connect: async (given = token, elicit) => {
      const client = newClient(elicit);
      const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${given}` } },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    close: async (keepClients = false) => {
      if (!keepClients) { for (const c of clients) await c.close().catch(() => {}); }
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      const status = await child.status;
      clearTimeout(timer);
      for (const c of clients) await c.close().catch(() => {});
      await err.cancel();
      await out.cancel();
      await Deno.remove(home, { recursive: true }).catch(() => {});
      return status.code;
    },
  };
}

/** Calls `execute` and returns the result's pieces. */
export async function execute(
  client: Client,
  language: string,
  code: string,
  options: { signal?: AbortSignal; onprogress?: (p: { message?: string }) => void } = {},
): Promise<{ pieces: Piece[]; isError: boolean; text: string }> {
  const result = await client.callTool(
    { name: "execute", arguments: { language, code } },
    undefined,
    {
      signal: options.signal,
      onprogress: options.onprogress,
      timeout: 120_000,
      resetTimeoutOnProgress: true,
    },
  );
  const pieces = (result.content ?? []) as Piece[];
  return {
    pieces,
    isError: result.isError === true,
    text: pieces.filter((p) => p.type === "text").map((p) => p.text).join(""),
  };
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (cmd.includes(marker) && state !== "Z") pids.push(Number(entry.name));
    } catch { /* gone */ }
  }
  return pids;
}

/** Pids of processes whose environment holds `marker` (zombies included). */
export function processesWithEnv(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/environ`).includes(marker)) {
        pids.push(Number(entry.name));
      }
    } catch { /* gone */ }
  }
  return pids;
}

/** A model turn that calls `name` with `args` (an OpenAI stream body). */
export function callTurn(name: string, args: unknown, id = "call_mcp_test_1"): { sse: string } {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-fake",
        object: "chat.completion.chunk",
        created: 0,
        model: "fake-model",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  const json = JSON.stringify(args);
  const half = Math.floor(json.length / 2);
  return {
    sse: chunk({ role: "assistant", content: null }) +
      chunk({
        tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: "" } }],
      }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: json.slice(0, half) } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: json.slice(half) } }] }) +
      chunk({}, "tool_calls") + "data: [DONE]\n\n",
  };
}
