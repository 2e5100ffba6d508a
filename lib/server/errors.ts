/**
 * JSON responses and HTTP errors. Errors use OpenAI's shape
 * (`{"error": {"message", "type", "code"}}`) on every route, so OpenAI clients
 * show the message and other clients find it in one place.
 *
 * @module
 */

/** An error that becomes a JSON response with its status code. */
export class HttpError extends Error {
  /** The HTTP status code. */
  readonly status: number;
  /** A short machine-readable code, e.g. `body_too_large`. */
  readonly code: string;
  /** Extra response headers (e.g. `Retry-After`, `Allow`). */
  readonly headers: Record<string, string>;

  /** Makes an error with a status, a one-line message that says what to do, and a stable code. */
  constructor(
    status: number,
    message: string,
    options: { code: string; headers?: Record<string, string> },
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = options.code;
    this.headers = options.headers ?? {};
  }
}

function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** A JSON response with the given status and headers. */
export function jsonResponse(
  body: unknown,
  options: { status?: number; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: options.status ?? 200,
    headers: { "content-type": "application/json; charset=utf-8", ...options.headers },
  });
}

/** The JSON error body for a status and message (OpenAI's shape). */
export function errorBody(status: number, options: { code: string; message: string }): unknown {
  return { error: { message: options.message, type: errorType(status), code: options.code } };
}

/** Turns any thrown value into a JSON error response (500 for unexpected errors). */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    return jsonResponse(errorBody(error.status, { code: error.code, message: error.message }), {
      status: error.status,
      headers: error.headers,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return jsonResponse(
    errorBody(500, { code: "internal_error", message: `Internal server error: ${message}` }),
    {
      status: 500,
    },
  );
}
