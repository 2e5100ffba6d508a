/**
 * `interpreter --mcp --os`: the Computer API (`lib/desktop`: display, mouse,
 * keyboard, clipboard, os, browser, skills) served as MCP tools beside
 * `execute`, one tool per method (`display_view`, `mouse_click`, ...), built
 * from the API's own method table so new methods appear without changes here.
 * `ai.*` is left out: the client has its own model.
 *
 * @module
 */

import { ComputerApi } from "../desktop/computer_api.ts";
import { callMethod, METHODS } from "../desktop/methods.ts";
import type { Permissions } from "../sandbox/permissions.ts";
import { dataDir } from "../storage/paths.ts";
import type { ServeTool, ToolResult } from "./serve_tools.ts";

/** One parameter of a Python-style signature. */
interface Param {
  name: string;
  rest: boolean;
  optional: boolean;
}

/** The parameters of `name(a, b=None, *keys, presses=1)`. */
export function signatureParams(signature: string): Param[] {
  const inner = signature.slice(signature.indexOf("(") + 1, signature.lastIndexOf(")"));
  const params: Param[] = [];
  // Split at commas outside quotes.
  for (const raw of inner.match(/(?:[^,"']|"[^"]*"|'[^']*')+/g) ?? []) {
    const text = raw.trim();
    if (!text) continue;
    const rest = text.startsWith("*");
    const name = text.replace(/^\*+/, "").split("=")[0].trim();
    params.push({ name, rest, optional: text.includes("=") });
  }
  return params;
}

function resultOf(value: unknown): ToolResult {
  const image = value as { $image?: string; data?: string } | null;
  if (image && typeof image === "object" && image.$image && typeof image.data === "string") {
    return { content: [{ type: "image", data: image.data, mimeType: "image/png" }] };
  }
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  return { content: [{ type: "text", text }] };
}

/** The Computer API tools for one session (the browser follows the session's network permissions). */
export function osTools(permissions: Permissions): ServeTool[] {
  const api = new ComputerApi({
    browser: { net: { allow: permissions.net, deny: permissions.denyNet } },
    skillsDir: `${dataDir()}/skills`,
  });
  const tools: ServeTool[] = [];
  for (const [method, spec] of Object.entries(METHODS)) {
    if (method.startsWith("ai.")) continue;
    const params = signatureParams(spec.signature);
    const properties: Record<string, unknown> = {};
    for (const p of params) {
      properties[p.name] = p.rest
        ? { type: "array", description: `${p.name} (one or more)` }
        : { description: p.name };
    }
    tools.push({
      name: method.replace(".", "_"),
      description: `computer.${method.split(".")[0]}.${spec.signature}: ${spec.doc}`,
      inputSchema: {
        type: "object",
        properties,
        required: params.filter((p) => !p.optional).map((p) => p.name),
      },
      call: async (args) => {
        const positional: unknown[] = [];
        const kwargs: Record<string, unknown> = {};
        for (const p of params) {
          if (!(p.name in args)) continue;
          if (p.rest) {
            const value = args[p.name];
            positional.push(...(Array.isArray(value) ? value : [value]));
          } else kwargs[p.name] = args[p.name];
        }
        try {
          return resultOf(await callMethod(api, method, { args: positional, kwargs }));
        } catch (e) {
          return {
            content: [{ type: "text", text: `${method} failed: ${(e as Error)?.message ?? e}` }],
            isError: true,
          };
        }
      },
    });
  }
  return tools;
}
