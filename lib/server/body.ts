/**
 * Reads request bodies with a size bound, so a client cannot make the server
 * buffer more than `maxBodyBytes`.
 *
 * @module
 */

import { HttpError } from "./errors.ts";

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    `Request body is larger than the limit of ${limit} bytes: send less (the server's maxBodyBytes sets the limit).`,
    { code: "body_too_large" },
  );
}

/** Reads the body as text, failing with 413 past `limit` bytes. */
async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      parts.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "Request body is not valid UTF-8: send UTF-8 JSON.", {
      code: "invalid_encoding",
    });
  }
}

/** Reads the body as a JSON object, failing with 400 when it is not one and 413 when too large. */
export async function readJsonObject(
  request: Request,
  limit: number,
): Promise<Record<string, unknown>> {
  const text = await readBodyText(request, limit);
  if (text.trim() === "") {
    throw new HttpError(400, "Request body is empty: send a JSON object.", { code: "empty_body" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, `Request body is not valid JSON (${reason}).`, {
      code: "malformed_json",
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "Request body must be a JSON object.", { code: "not_an_object" });
  }
  return value as Record<string, unknown>;
}
