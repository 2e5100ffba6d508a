/**
 * The MCP servers of a profile, used as tools by the model: each server is
 * started when first needed (the first model call of a conversation), its
 * tools listed once, every start and call bounded (`startup_timeout_sec`,
 * `tool_timeout_sec`), and all of them stopped by `close()`. A server that
 * cannot start, exits or hangs becomes one line naming it and the cause.
 *
 * @module
 */

import {
  DEFAULT_STARTUP_TIMEOUT_SEC,
  DEFAULT_TOOL_TIMEOUT_SEC,
  type McpCallResult,
  type McpServerConfig,
  type McpToolInfo,
  mcpToolName,
  type McpToolSource,
} from "./config.ts";
import { loadClient } from "./sdk.ts";
import { onPath, pathWithout } from "../sandbox/trusted.ts";

type SdkClient = InstanceType<Awaited<ReturnType<typeof loadClient>>["client"]["Client"]>;

interface Started {
  client: SdkClient;
  /** Keeps the program alive while a call is in flight (see {@linkcode holdOpen}). */
  hold(on: boolean): void;
  /** Calls in flight. */
  busy: number;
  tools: McpToolInfo[];
  /** Set once the connection closed: the server exited, or `close()` stopped it. */
  closed?: "exited" | "stopped";
}

interface Entry {
  config: McpServerConfig;
  state?: Promise<Started>;
  stderr: string;
  /** Resolves when the server's stderr ended (so its last words are all in). */
  stderrDone: Promise<void>;
  /** The connection, from the moment it is made (so `close()` can end a start in progress). */
  client?: SdkClient;
}

/** How long to wait for a dead server's last stderr bytes before reporting it. */
const LAST_WORDS_MS = 1000;

class Bound extends Error {}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Bound(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = lines.at(-1) ?? "";
  return line.length > 200 ? line.slice(0, 200) + "…" : line;
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].replace(/^MCP error -?\d+: /, "");
}

/** The servers of one engine. */
export class McpClients implements McpToolSource {
  #entries = new Map<string, Entry>();
  #closing = false;

  /** Keeps the configuration; starts nothing. */
  constructor(servers: Record<string, McpServerConfig>) {
    for (const [name, config] of Object.entries(servers)) {
      this.#entries.set(name, { config, stderr: "", stderrDone: Promise.resolve() });
    }
  }

  /** Starts servers not started yet (in parallel, each bounded) and lists every tool. */
  async listTools(): Promise<{ tools: McpToolInfo[]; problems: string[] }> {
    const tools: McpToolInfo[] = [];
    const problems: string[] = [];
    const names = [...this.#entries.keys()];
    const results = await Promise.allSettled(names.map((name) => this.#start(name)));
    results.forEach((result) => {
      if (result.status === "fulfilled") {
        if (!result.value.closed) tools.push(...result.value.tools);
      } else problems.push(String((result.reason as Error)?.message ?? result.reason));
    });
    return { tools, problems };
  }

  /** Calls a tool; failures come back as `isError` with one line. */
  async call(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<McpCallResult> {
    const entry = this.#entries.get(server);
    const fail = (text: string): McpCallResult => ({ text, images: [], isError: true });
    if (!entry?.state) return fail(`MCP server "${server}" is not running.`);
    let started: Started;
    try {
      started = await entry.state;
    } catch (e) {
      return fail(oneLine(e));
    }
    if (started.closed) return fail(await closedLine(server, entry, started));
    const seconds = entry.config.tool_timeout_sec ?? DEFAULT_TOOL_TIMEOUT_SEC;
    if (started.busy++ === 0) started.hold(true);
    try {
      const result = await within(
        started.client.callTool({ name: tool, arguments: args }, undefined, {
          timeout: seconds * 1000,
          ...(signal ? { signal } : {}),
        }),
        seconds * 1000 + 1000,
        "",
      );
      return convert(result as { content?: unknown[]; isError?: boolean });
    } catch (e) {
      if (signal?.aborted) return fail(`The call to ${server}.${tool} was cancelled.`);
      if (started.closed) return fail(await closedLine(server, entry, started));
      if (e instanceof Bound || /timed out|timeout/i.test(oneLine(e))) {
        return fail(
          `MCP server "${server}" did not answer ${tool} within ${seconds} s (tool_timeout_sec).`,
        );
      }
      return fail(`MCP server "${server}" failed on ${tool}: ${oneLine(e)}`);
    } finally {
      if (--started.busy === 0) started.hold(false);
    }
  }

  /** Stops every server started (their processes end). */
  async close(): Promise<void> {
    this.#closing = true;
    // Closing a connection ends its server, also one still starting (its start then fails fast).
    await Promise.all([...this.#entries.values()].map(async (entry) => {
      if (!entry.client) return;
      await within(entry.client.close(), 5000, "").catch(() => {});
      await entry.state?.catch(() => {});
    }));
  }

  #start(name: string): Promise<Started> {
    const entry = this.#entries.get(name)!;
    entry.state ??= this.#connect(name, entry);
    return entry.state;
  }

  async #connect(name: string, entry: Entry): Promise<Started> {
    const sdk = await loadClient();
    const config = entry.config;
    const seconds = config.startup_timeout_sec ?? DEFAULT_STARTUP_TIMEOUT_SEC;
    const client = new sdk.client.Client({ name: "interpreter", version: "1" });
    entry.client = client;
    let transport;
    if ("command" in config) {
      // The server dies with this program however it ends (kill -9 too), where setpriv exists.
      const setpriv = deathSignalLauncher();
      // Found on PATH without the working directory's folders: a `npx` or `uvx` code planted in
      // an activated `.venv/bin` would otherwise start here, outside the sandbox.
      const path = pathWithout([Deno.cwd()], Deno.env.get("PATH") ?? "");
      const command = config.command.includes("/")
        ? config.command
        : onPath(config.command, path) ?? config.command;
      transport = new sdk.stdio.StdioClientTransport({
        command: setpriv ?? command,
        args: setpriv
          ? ["--pdeathsig", "KILL", "--", command, ...(config.args ?? [])]
          : config.args ?? [],
        // On top of the SDK's minimal environment (PATH, HOME, USER...): only what the profile names.
        env: { ...sdk.stdio.getDefaultEnvironment(), PATH: path, ...(config.env ?? {}) },
        ...(config.cwd ? { cwd: config.cwd } : {}),
        stderr: "pipe",
      });
      const stderr = transport.stderr;
      stderr?.on("data", (data: Uint8Array | string) => {
        entry.stderr =
          (entry.stderr + (typeof data === "string" ? data : new TextDecoder().decode(data)))
            .slice(-4096);
      });
      if (stderr) {
        entry.stderrDone = new Promise((resolve) => {
          stderr.once("end", () => resolve());
          stderr.once("close", () => resolve());
        });
      }
    } else {
      transport = new sdk.http.StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers ?? {} },
      });
    }
    const started: Started = {
      client,
      tools: [],
      busy: 0,
      hold: (on) => holdOpen(transport, on),
    };
    const why = () => lastWords(entry);
    client.onclose = () => {
      started.closed ??= this.#closing ? "stopped" : "exited";
    };
    try {
      await within(
        (async () => {
          await client.connect(transport, { timeout: seconds * 1000 });
          const listed = await client.listTools(undefined, { timeout: seconds * 1000 });
          started.tools = (listed.tools as {
            name: string;
            description?: string;
            inputSchema?: Record<string, unknown>;
          }[]).map((t) => ({
            server: name,
            tool: t.name,
            name: mcpToolName(name, t.name),
            description: t.description ?? "",
            inputSchema: modelSchema(t.inputSchema),
          }));
          started.hold(false);
        })(),
        seconds * 1000,
        "",
      );
    } catch (e) {
      await within(client.close(), 3000, "").catch(() => {});
      await within(entry.stderrDone, LAST_WORDS_MS, "").catch(() => {});
      const what = "command" in config ? `\`${config.command}\`` : config.url;
      if (e instanceof Bound || /timed out|timeout/i.test(oneLine(e))) {
        throw new Error(
          `MCP server "${name}" did not answer within ${seconds} s (startup_timeout_sec)${why()}.`,
        );
      }
      if (/connection closed/i.test(oneLine(e))) {
        // The launcher could not run the command itself (not found, not executable).
        const missing = /^setpriv: failed to execute (.+?): (.+)$/.exec(lastLine(entry.stderr));
        if (missing) {
          throw new Error(
            `MCP server "${name}": cannot run \`${missing[1]}\` (${
              missing[2]
            }): check its command.`,
          );
        }
        throw new Error(`MCP server "${name}" exited at start${why()}.`);
      }
      throw new Error(`MCP server "${name}" (${what}) did not start: ${oneLine(e)}${why()}`);
    }
    return started;
  }
}

/** A tool's argument schema as models take it: an object schema, without the `$schema` tag. */
function modelSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!schema || typeof schema !== "object") return { type: "object", properties: {} };
  const { $schema: _tag, ...rest } = schema;
  return { type: "object", properties: {}, ...rest };
}

function lastWords(entry: Entry): string {
  const tail = lastLine(entry.stderr);
  return tail ? ` (its last words: ${tail})` : "";
}

/** The line for a call to a server whose connection closed (after its last words are in). */
async function closedLine(name: string, entry: Entry, started: Started): Promise<string> {
  if (started.closed === "stopped") return `MCP server "${name}" was stopped.`;
  await within(entry.stderrDone, LAST_WORDS_MS, "").catch(() => {});
  return `MCP server "${name}" exited${lastWords(entry)}.`;
}

/**
 * An idle stdio server must not keep this program alive (a library script that
 * never calls `stopMcpServers()` still ends): its process and pipes are unref'd
 * between calls and ref'd while one is in flight.
 */
function holdOpen(transport: unknown, on: boolean): void {
  type Handle = { ref?(): void; unref?(): void } | null | undefined;
  const child = (transport as {
    _process?: Handle & { stdin?: Handle; stdout?: Handle; stderr?: Handle };
  })._process;
  if (!child) return;
  for (const handle of [child, child.stdin, child.stdout, child.stderr]) {
    try {
      if (on) handle?.ref?.();
      else handle?.unref?.();
    } catch { /* not a handle that can be unref'd */ }
  }
}

let launcher: string | null | undefined;

/** `setpriv` (util-linux) on Linux, which gives a child a parent-death signal; null elsewhere. */
function deathSignalLauncher(): string | null {
  if (launcher !== undefined) return launcher;
  launcher = null;
  if (Deno.build.os !== "linux") return launcher;
  for (const path of ["/usr/bin/setpriv", "/bin/setpriv"]) {
    try {
      if (Deno.statSync(path).isFile) return launcher = path;
    } catch { /* not here */ }
  }
  return launcher;
}

function convert(result: { content?: unknown[]; isError?: boolean }): McpCallResult {
  const texts: string[] = [];
  const images: { data: string; mimeType: string }[] = [];
  for (const raw of result.content ?? []) {
    const part = raw as Record<string, unknown>;
    if (part.type === "text") texts.push(String(part.text ?? ""));
    else if (part.type === "image" && typeof part.data === "string") {
      images.push({ data: part.data, mimeType: String(part.mimeType ?? "image/png") });
    } else if (part.type === "resource") {
      const resource = (part.resource ?? {}) as Record<string, unknown>;
      texts.push(
        typeof resource.text === "string"
          ? resource.text
          : `[resource ${resource.uri ?? ""} (${resource.mimeType ?? "binary"})]`,
      );
    } else if (part.type === "resource_link") texts.push(`[resource link ${part.uri ?? ""}]`);
    else texts.push(`[${String(part.type ?? "unknown")} content]`);
  }
  return { text: texts.join("\n"), images, isError: result.isError === true };
}
