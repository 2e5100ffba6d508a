/**
 * Open Interpreter's Python profiles (`.py` files that set
 * `interpreter.llm.model = "..."` and so on) cannot run here. This reads their
 * simple assignments and writes the YAML profile with the same settings, so
 * the person can switch in one step.
 *
 * @module
 */

import { PROFILE_SCHEMA, type Schema } from "./schema.ts";

/** One `interpreter.a.b = value` line, converted or not. */
interface Assignment {
  /** The key path below `interpreter` (`["llm", "model"]`). */
  path: string[];
  /** The value as a YAML scalar, when it is a literal this program knows. */
  yaml?: string;
  /** The line as written (for lines that are not converted). */
  line: string;
}

/** A Python literal (string, number, True/False/None) as a YAML scalar; undefined otherwise. */
function literalToYaml(raw: string): string | undefined {
  const v = raw.trim().replace(/\s+#.*$/, "");
  if (v === "True") return "true";
  if (v === "False") return "false";
  if (v === "None") return "null";
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return v;
  const triple = /^[rRbBuU]?("""|''')([\s\S]*)\1$/.exec(v);
  if (triple) return JSON.stringify(triple[2].replace(/^\n/, ""));
  const single = /^[rRuU]?(["'])((?:\\.|(?!\1).)*)\1$/.exec(v);
  if (single) {
    const body = single[2].replace(/\\(["'\\])/g, "$1").replace(/\\n/g, "\n").replace(/\\t/g, "\t");
    return JSON.stringify(body);
  }
  return undefined;
}

/** The assignments to `interpreter.…` in a Python profile (multi-line triple-quoted strings too). */
function readAssignments(text: string): Assignment[] {
  const out: Assignment[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^interpreter\.([\w.]+)\s*=\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    let value = m[2];
    let line = lines[i];
    const opener = /^[rRuU]?("""|''')/.exec(value.trim());
    if (opener && value.trim().split(opener[1]).length - 1 < 2) {
      // A triple-quoted string over several lines: read up to its closing quotes.
      while (++i < lines.length) {
        value += "\n" + lines[i];
        line += "\n" + lines[i];
        if (lines[i].includes(opener[1])) break;
      }
    }
    out.push({ path: m[1].split("."), yaml: literalToYaml(value), line });
  }
  return out;
}

function known(path: string[]): boolean {
  let schema: Schema | undefined = PROFILE_SCHEMA;
  for (const [i, part] of path.entries()) {
    const entry: unknown = schema?.[part];
    if (entry === undefined) return false;
    if (i === path.length - 1) return true;
    schema = typeof entry === "object" && !("choices" in (entry as object))
      ? entry as Schema
      : undefined;
  }
  return false;
}

/**
 * The YAML profile equivalent to a Python profile's `interpreter.x = y` lines;
 * lines that cannot be converted (computed values, keys this program does not
 * have, function calls) are listed as comments.
 */
export function yamlFromPythonProfile(text: string): string {
  const tree: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const a of readAssignments(text)) {
    if (a.yaml === undefined || !known(a.path)) {
      skipped.push(a.line.split("\n")[0]);
      continue;
    }
    let node = tree;
    for (const part of a.path.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[a.path[a.path.length - 1]] = a.yaml;
  }
  const lines: string[] = ["version: 1"];
  const emit = (node: Record<string, unknown>, indent: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === "string") lines.push(`${indent}${key}: ${value}`);
      else {
        lines.push(`${indent}${key}:`);
        emit(value as Record<string, unknown>, indent + "  ");
      }
    }
  };
  emit(tree, "");
  for (const line of skipped) lines.push(`# not converted: ${line}`);
  return lines.join("\n") + "\n";
}
