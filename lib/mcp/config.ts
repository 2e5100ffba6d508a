/**
 * MCP servers the model may use, as profiles give them (`mcp_servers:`), the
 * common shape of Claude Desktop / Codex / VS Code configs: a name with
 * `command`, `args`, `env` (a program on stdio) or `url`, `headers` (a
 * Streamable HTTP endpoint), plus the bounds `startup_timeout_sec` and
 * `tool_timeout_sec`. Pure data and checks: no SDK here.
 *
 * @module
 */

/** One MCP server from a profile. */
export type McpServerConfig = McpStdioConfig | McpHttpConfig;

/** Bounds shared by both kinds. */
export interface McpBounds {
  /** Seconds for the server to start and list its tools (default 30). */
  startup_timeout_sec?: number;
  /** Seconds for one tool call (default 120). */
  tool_timeout_sec?: number;
}

/** A server started as a program, spoken to on its stdin/stdout. */
export interface McpStdioConfig extends McpBounds {
  /** The program. */
  command: string;
  /** Its arguments. */
  args?: string[];
  /**
   * Its environment, on top of a minimal one (PATH, HOME, USER, SHELL, TERM,
   * LOGNAME): nothing else of this program's environment, so no API key
   * reaches the server unless named here.
   */
  env?: Record<string, string>;
  /** Its working directory (default: this program's). */
  cwd?: string;
}

/** A server reached over Streamable HTTP. */
export interface McpHttpConfig extends McpBounds {
  /** The endpoint URL. */
  url: string;
  /** Headers sent with every request (e.g. Authorization). */
  headers?: Record<string, string>;
}

/** Default seconds for a server to start and list its tools. */
export const DEFAULT_STARTUP_TIMEOUT_SEC = 30;
/** Default seconds for one tool call. */
export const DEFAULT_TOOL_TIMEOUT_SEC = 120;

const STDIO_KEYS = ["command", "args", "env", "cwd", "startup_timeout_sec", "tool_timeout_sec"];
const HTTP_KEYS = ["url", "headers", "startup_timeout_sec", "tool_timeout_sec"];

function isStringMap(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    Object.values(v as Record<string, unknown>).every((x) => typeof x === "string");
}

/**
 * Checks a profile's `mcp_servers` value; returns one line naming the key and
 * what was expected, or undefined when it is valid.
 */
export function mcpServersProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    return `"mcp_servers" should be a mapping of server names to {command, args, env} or {url, headers}`;
  }
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const at = `mcp_servers.${name}`;
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) {
      return `"${at}": a server name uses letters, digits, _ and - (at most 40)`;
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      return `"${at}" should be a mapping with command (and args, env) or url (and headers)`;
    }
    const server = raw as Record<string, unknown>;
    const stdio = "command" in server;
    if (stdio === ("url" in server)) {
      return `"${at}" needs exactly one of command (a program) or url (an HTTP endpoint)`;
    }
    const allowed = stdio ? STDIO_KEYS : HTTP_KEYS;
    for (const key of Object.keys(server)) {
      if (!allowed.includes(key)) {
        return `unknown key "${at}.${key}"; expected one of: ${allowed.join(", ")}`;
      }
    }
    if (stdio && (typeof server.command !== "string" || !server.command)) {
      return `"${at}.command" should be text (the program to start)`;
    }
    if (
      server.args !== undefined &&
      !(Array.isArray(server.args) && server.args.every((a) => typeof a === "string"))
    ) return `"${at}.args" should be a list of text`;
    if (server.env !== undefined && !isStringMap(server.env)) {
      return `"${at}.env" should be a mapping of names to text`;
    }
    if (server.headers !== undefined && !isStringMap(server.headers)) {
      return `"${at}.headers" should be a mapping of names to text`;
    }
    if (server.cwd !== undefined && typeof server.cwd !== "string") {
      return `"${at}.cwd" should be text`;
    }
    if (!stdio) {
      try {
        const url = new URL(String(server.url));
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
      } catch {
        return `"${at}.url" should be an http(s) URL`;
      }
    }
    for (const key of ["startup_timeout_sec", "tool_timeout_sec"]) {
      const v = server[key];
      if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0)) {
        return `"${at}.${key}" should be a number of seconds above 0`;
      }
    }
  }
  return undefined;
}

/**
 * The name the model calls a server's tool by: `<server>__<tool>`, limited to
 * the characters and the 64-character length every provider accepts.
 */
export function mcpToolName(server: string, tool: string): string {
  return `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

/** A tool of a configured server, as offered to the model. */
export interface McpToolInfo {
  /** The server's name in the profile. */
  server: string;
  /** The tool's own name. */
  tool: string;
  /** The name the model calls it by ({@linkcode mcpToolName}). */
  name: string;
  /** The tool's description. */
  description: string;
  /** JSON schema of its arguments. */
  inputSchema: Record<string, unknown>;
}

/** What a tool call gave back. */
export interface McpCallResult {
  /** The text parts, joined (other kinds of content summarised in a line each). */
  text: string;
  /** Images, base64. */
  images: { data: string; mimeType: string }[];
  /** True when the tool (or the call) failed; `text` then says why in one line. */
  isError: boolean;
}

/** The MCP servers a conversation can use (implemented by lib/mcp/client.ts). */
export interface McpToolSource {
  /** Starts servers not started yet and lists every tool; `problems` holds one line per failed server. */
  listTools(signal?: AbortSignal): Promise<{ tools: McpToolInfo[]; problems: string[] }>;
  /** Calls one tool, bounded by the server's `tool_timeout_sec`. */
  call(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<McpCallResult>;
  /** Stops every server started. */
  close(): Promise<void>;
}
