/**
 * Reads the arguments of an `execute` tool call: while they stream (to show
 * the code as it is written) and once complete, repairing the mistakes models
 * make when the intent is unambiguous ("hallucination repairs"):
 * raw newlines inside JSON strings, a `functions.execute({...})` wrapper,
 * trailing `executeexecute`, unquoted keys, a call repeated twice, a tool
 * named after its language with bare code as arguments, or (when the answer
 * ended normally, not at the token limit) an object missing its closing
 * quote and brackets.
 *
 * @module
 */

/** The language and code of a call, or an error to send back to the model. */
export type ExecuteArgs =
  | { ok: true; language: string; code: string }
  | { ok: false; error: string };

/** Decodes as much of a JSON string body as is complete (stops at an unfinished escape). */
function decodeJsonStringPrefix(text: string, start: number): { value: string; closed: boolean } {
  let value = "";
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') return { value, closed: true };
    if (ch !== "\\") {
      value += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      b: "\b",
      f: "\f",
      '"': '"',
      "\\": "\\",
      "/": "/",
    };
    if (next in simple) {
      value += simple[next];
      i++;
    } else if (next === "u") {
      const hex = text.slice(i + 2, i + 6);
      if (hex.length < 4) break;
      value += String.fromCharCode(parseInt(hex, 16));
      i += 5;
    } else {
      value += next;
      i++;
    }
  }
  return { value, closed: false };
}

function stringField(text: string, key: string): { value: string; closed: boolean } | undefined {
  const match = new RegExp(`"?${key}"?\\s*:\\s*"`).exec(text);
  if (!match) return undefined;
  return decodeJsonStringPrefix(text, match.index + match[0].length);
}

/** The language and code so far of arguments still streaming (JSON objects only). */
export function partialExecuteArgs(text: string): { language?: string; code?: string } {
  if (!text.trimStart().startsWith("{")) return {};
  const language = stringField(text, "language");
  const code = stringField(text, "code");
  return {
    language: language?.closed ? language.value : undefined,
    code: code?.value,
  };
}

/** Escapes raw control characters inside JSON strings (models often send raw newlines). */
function escapeControlCharsInStrings(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") {
        out += ch + (text[i + 1] ?? "");
        i++;
        continue;
      }
      if (ch === '"') inString = false;
      else if (ch === "\n") {
        out += "\\n";
        continue;
      } else if (ch === "\r") {
        out += "\\r";
        continue;
      } else if (ch === "\t") {
        out += "\\t";
        continue;
      }
      out += ch;
    } else {
      if (ch === '"') inString = true;
      out += ch;
    }
  }
  return out;
}

/** The first complete top-level JSON object in the text, if any. */
function firstObject(text: string): string | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

/**
 * Closes an object that stops before its end, as a partial-JSON parser would:
 * an open string gets its quote (an unfinished escape is dropped), a trailing
 * comma goes, open brackets are closed. Undefined when nothing is open or the
 * end is ambiguous (a key waiting for its value).
 */
function closeTruncated(text: string): string | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  let body = text.slice(start);
  const open: string[] = [];
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (inString) {
      if (ch === "\\") {
        if (i + 1 >= body.length) body = body.slice(0, i);
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") open.push("}");
    else if (ch === "[") open.push("]");
    else if (ch === "}" || ch === "]") {
      if (open.pop() !== ch) return undefined;
      if (open.length === 0) return undefined; // complete: not a truncation
    }
  }
  if (open.length === 0) return undefined;
  if (inString) body += '"';
  else {
    body = body.replace(/,?\s*$/, "");
    if (/:\s*$/.test(body)) return undefined;
  }
  return body + open.reverse().join("");
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseLoose(raw: string, closeOpen: boolean): Record<string, unknown> | undefined {
  let text = raw.trim();
  text = text.replace(/^`\n/, "").replace(/(execute)+$/, "").trim();
  const wrapped = /^(?:functions\.)?execute\s*\(([\s\S]*)\)\s*$/.exec(text);
  if (wrapped) text = wrapped[1].trim();
  const candidates = [text, escapeControlCharsInStrings(text)];
  const first = firstObject(escapeControlCharsInStrings(text));
  if (first) candidates.push(first);
  // Unquoted keys: {language: "python", code: "..."}
  candidates.push(
    escapeControlCharsInStrings(text).replace(/([{,]\s*)([A-Za-z_]\w*)\s*:/g, '$1"$2":'),
  );
  // Last: the closing `}` (or quote) missing, e.g. {"language": "python", "code": "print(1)"
  const closed = closeOpen ? closeTruncated(escapeControlCharsInStrings(text)) : undefined;
  if (closed) candidates.push(closed);
  for (const candidate of candidates) {
    const value = tryParse(candidate);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  }
  return undefined;
}

/** Options of {@linkcode parseExecuteArgs}. */
export interface ParseExecuteOptions {
  /** The languages this machine runs (a tool named after one, given bare code, is repaired). */
  languages?: readonly string[];
  /**
   * The answer ended normally, so arguments that stop before their closing
   * quote or brackets were complete as the model meant them and are closed
   * (default false). Never set it for a call cut off by the token limit: its
   * code is incomplete and must not run.
   */
  closeTruncated?: boolean;
}

/** Reads complete `execute` arguments; `toolName` is the function the model called. */
export function parseExecuteArgs(
  toolName: string,
  raw: string,
  options: ParseExecuteOptions = {},
): ExecuteArgs {
  const languages = options.languages ?? [];
  const name = toolName.trim().toLowerCase();
  const namedLanguage = name === "functions" || name === "python"
    ? "python"
    : languages.includes(name)
    ? name
    : undefined;
  if (name !== "execute" && !namedLanguage) {
    return {
      ok: false,
      error:
        `There is no tool named "${toolName}". Call the \`execute\` tool with \`language\` and \`code\` arguments.`,
    };
  }
  const parsed = parseLoose(raw, options.closeTruncated === true);
  if (parsed) {
    const code = parsed.code ?? parsed.source ?? parsed.script;
    const language = parsed.language ?? parsed.lang ?? namedLanguage;
    if (typeof code === "string" && typeof language === "string" && language.trim()) {
      return { ok: true, language: language.trim(), code };
    }
    if (typeof code === "string") {
      return {
        ok: false,
        error:
          "The `execute` call has no `language`. Call it again with both `language` and `code`.",
      };
    }
  }
  if (namedLanguage) {
    // Bare code sent as arguments of a tool named after its language.
    const asString = tryParse(raw);
    const code = typeof asString === "string" ? asString : raw;
    if (code.trim()) return { ok: true, language: namedLanguage, code };
  }
  if (!parsed) {
    const asString = tryParse(raw.trim());
    if (typeof asString === "string" && asString.trim() && languages.length === 1) {
      return { ok: true, language: languages[0], code: asString };
    }
  }
  return {
    ok: false,
    error:
      'The `execute` arguments were not valid JSON. Send a JSON object like {"language": "python", "code": "print(1)"}.',
  };
}
