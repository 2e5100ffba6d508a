/**
 * One MCP server (the SDK's low-level `Server`) over a list of
 * {@linkcode ServeTool}s: tools/list, tools/call with progress notifications,
 * cancellation (the SDK aborts the handler's signal; the run and its process
 * tree stop) and elicitation for safe-mode confirmations.
 *
 * @module
 */

import { loadServer } from "./sdk.ts";
import { mcpSetting, numberDefault } from "../settings/registry.ts";
import type { ServeTool, ToolCallContext, ToolResult } from "./serve_tools.ts";

/** Settings of the served MCP endpoint. */
export interface McpServeSettings {
  /** The program's version, told to clients. */
  version?: string;
  /** Seconds to wait for the person's answer to a safe-mode question (default 300). */
  elicitationTimeout?: number;
}

/** Default bound, in seconds, on a safe-mode question asked through the client. */
export const DEFAULT_ELICITATION_TIMEOUT: number = numberDefault(
  mcpSetting("elicitationTimeout"),
);

/** An SDK server with our tools; connect it to a transport. */
export type SdkServer = InstanceType<
  Awaited<ReturnType<typeof loadServer>>["server"]["Server"]
>;

/** The parts of a tools/call request read here. */
interface CallRequest {
  params: {
    name: string;
    arguments?: Record<string, unknown>;
    _meta?: { progressToken?: string | number };
  };
}

/** The parts of the SDK's per-request helpers used here. */
interface CallExtra {
  signal: AbortSignal;
  sendNotification(notification: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message: string };
  }): Promise<void>;
  sendRequest<T>(
    request: { method: "elicitation/create"; params: Record<string, unknown> },
    schema: T,
    options: { timeout: number; signal: AbortSignal },
  ): Promise<{ action: string }>;
}

/** Makes an SDK server answering with `tools`. */
export async function createMcpServer(
  tools: ServeTool[],
  settings: McpServeSettings = {},
): Promise<SdkServer> {
  const { server: serverModule, types } = await loadServer();
  const server = new serverModule.Server(
    { name: "interpreter", version: settings.version ?? "0.0.0" },
    {
      capabilities: { tools: {} },
      instructions:
        "Runs code on the user's computer: call `execute` with a language and code; sessions persist between calls.",
    },
  );
  const byName = new Map(tools.map((t) => [t.name, t]));
  const elicitationMs = (settings.elicitationTimeout ?? DEFAULT_ELICITATION_TIMEOUT) * 1000;

  server.setRequestHandler(types.ListToolsRequestSchema, () => ({
    tools: tools.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
      ...(t.annotations ? { annotations: t.annotations } : {}),
    })),
  }));

  server.setRequestHandler(
    types.CallToolRequestSchema,
    async (request: CallRequest, extra: CallExtra) => {
      const tool = byName.get(request.params.name);
      if (!tool) {
        return {
          content: [{
            type: "text",
            text: `Unknown tool "${request.params.name}". Tools: ${[...byName.keys()].join(", ")}.`,
          }],
          isError: true,
        };
      }
      const token = request.params._meta?.progressToken;
      let progress = 0;
      const context: ToolCallContext = {
        signal: extra.signal,
        progress(message: string): void {
          if (token === undefined || extra.signal.aborted) return;
          progress++;
          extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress, message },
          }).catch(() => {/* the client left */});
        },
        async confirm(message: string): Promise<"accept" | "decline" | "unsupported"> {
          if (!server.getClientCapabilities()?.elicitation) return "unsupported";
          try {
            const answer = await extra.sendRequest(
              {
                method: "elicitation/create",
                params: { message, requestedSchema: { type: "object", properties: {} } },
              },
              types.ElicitResultSchema,
              { timeout: elicitationMs, signal: extra.signal },
            );
            return answer.action === "accept" ? "accept" : "decline";
          } catch {
            return "decline"; // no answer within the bound, or the call was cancelled
          }
        },
      };
      let result: ToolResult;
      try {
        result = await tool.call(request.params.arguments ?? {}, context);
      } catch (e) {
        result = {
          content: [{ type: "text", text: `${tool.name} failed: ${(e as Error)?.message ?? e}` }],
          isError: true,
        };
      }
      return { ...result };
    },
  );
  return server;
}
