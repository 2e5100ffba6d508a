/**
 * The approval protocol: before code runs that needs approval (auto-run off,
 * or safe mode flagged it), the engine sends an {@linkcode ApprovalRequest} to
 * the caller's {@linkcode Approver} and acts on the {@linkcode ApprovalDecision}
 * it returns. The terminal asks the person, the server asks its client (or
 * declines when it cannot), a library caller decides in code. Without an
 * approver such code is declined: it never runs because a stream was drained.
 *
 * @module
 */

/** Safe mode's finding about a block of code, as shown to whoever approves. */
export interface ApprovalSafety {
  /** How dangerous the scanner thinks the code is. */
  level: "safe" | "warning" | "unsafe";
  /** One sentence per finding. */
  reasons: string[];
}

/** Code waiting for a decision. */
export interface ApprovalRequest {
  /** Unique within the conversation (the tool call id when the model gave one). */
  id: string;
  /** The language as the model named it (`python`, `shell`, ...). */
  language: string;
  /** The code exactly as it would run. */
  code: string;
  /** Present when safe mode scanned the code. */
  safety?: ApprovalSafety;
  /**
   * Present when this is a call of an MCP server's tool (lib/core/mcp_tools.ts), not code:
   * `language` is then "json" and `code` the call as JSON; an edit replaces the arguments.
   */
  tool?: { server: string; tool: string; arguments: Record<string, unknown> };
}

/** What to do with the code of an {@linkcode ApprovalRequest}. */
export type ApprovalDecision =
  /** Run it as it is. */
  | { action: "run" }
  /** Run it, and run later code of this interpreter without asking (safe-mode findings still ask). */
  | { action: "always" }
  /** Run this code instead (the stored code message is replaced, so the model sees what ran). */
  | { action: "edit"; code: string }
  /**
   * Do not run it. `reason` becomes the code's output, so the model reads why;
   * the turn then ends without another model call.
   */
  | { action: "decline"; reason?: string };

/** Decides about one request. Aborting `signal` means the turn was stopped: nothing runs. */
export type Approver = (
  request: ApprovalRequest,
  options: { signal: AbortSignal },
) => ApprovalDecision | Promise<ApprovalDecision>;

/** The output recorded for code the person declined without giving a reason. */
export const DECLINED_OUTPUT = "The user declined to run this code.";

/** The output recorded for code that needed approval when nobody could give it. */
export const UNAPPROVED_OUTPUT =
  "The code was not run: it needs the user's approval (auto_run is off, or safe mode flagged it), and nobody was asked.";

/** Checks a decision from outside (an approver may be user code); throws one clear line. */
export function checkDecision(value: unknown): ApprovalDecision {
  const d = value as Partial<Record<string, unknown>> | null;
  const action = d && typeof d === "object" ? d.action : undefined;
  if (action === "run" || action === "always") return { action };
  if (action === "edit" && typeof d?.code === "string") return { action, code: d.code };
  if (action === "decline") {
    return typeof d?.reason === "string" && d.reason.trim()
      ? { action, reason: d.reason }
      : { action };
  }
  throw new TypeError(
    `An approver must return {action: "run" | "always" | "decline"} or {action: "edit", code}; got ${
      JSON.stringify(value) ?? String(value)
    }.`,
  );
}
