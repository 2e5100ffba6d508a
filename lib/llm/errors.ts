/**
 * The one error type the model layer throws. Its message is a single line
 * that names the cause and the fix; `kind` lets callers react by category.
 *
 * @module
 */

/** Why a model call failed. */
export type LlmErrorKind =
  | "missing_key"
  | "auth"
  | "not_found"
  | "rate_limit"
  | "server"
  | "timeout"
  | "connection"
  | "stream_cut"
  | "provider"
  | "bad_request"
  | "content_filter"
  | "cancelled";

/** A failed model call, with a one-line message naming the cause and the fix. */
export class LlmError extends Error {
  /** The category of the failure. */
  readonly kind: LlmErrorKind;
  /** The HTTP status, when there was one. */
  readonly status?: number;

  /** Creates an error of `kind` with a one-line `message`. */
  constructor(
    kind: LlmErrorKind,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "LlmError";
    this.kind = kind;
    this.status = options.status;
  }
}
