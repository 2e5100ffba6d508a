/**
 * The one place the official MCP SDK (`npm:@modelcontextprotocol/sdk`, pinned)
 * is imported. Every import is dynamic, so a run that never uses MCP never
 * loads it (start-up stays cheap); the specifiers are literal so `deno
 * compile` still includes them.
 *
 * @module
 */

/** The SDK's server class module. */
export type ServerModule = typeof import("npm:@modelcontextprotocol/sdk@1.32.2/server/index.js");
/** The SDK's client class module. */
export type ClientModule = typeof import("npm:@modelcontextprotocol/sdk@1.32.2/client/index.js");
/** The SDK's schemas and protocol types. */
export type TypesModule = typeof import("npm:@modelcontextprotocol/sdk@1.32.2/types.js");

/** Loads the SDK's `Server` and its schemas. */
export async function loadServer(): Promise<{ server: ServerModule; types: TypesModule }> {
  const [server, types] = await Promise.all([
    import("npm:@modelcontextprotocol/sdk@1.32.2/server/index.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/types.js"),
  ]);
  return { server, types };
}

/** Loads the SDK's stdio server transport. */
export async function loadStdioServerTransport(): Promise<
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js")
> {
  return await import("npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js");
}

/** Loads the SDK's Streamable HTTP server transport for web-standard `Request`/`Response`. */
export async function loadHttpServerTransport(): Promise<
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js")
> {
  return await import("npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js");
}

/** Loads the SDK's `Client` and both client transports (stdio, Streamable HTTP). */
export async function loadClient(): Promise<{
  client: ClientModule;
  stdio: typeof import("npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js");
  http: typeof import("npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js");
}> {
  const [client, stdio, http] = await Promise.all([
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/index.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js"),
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js"),
  ]);
  return { client, stdio, http };
}
