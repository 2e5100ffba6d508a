/**
 * Prepares JavaScript / TypeScript for the Deno session: TypeScript types are
 * stripped (sucrase keeps line numbers), static imports become dynamic ones
 * (a REPL evaluates scripts, not modules), `export` keywords are dropped, and
 * a call reporting the active line is put in front of each statement, on the
 * same line, so line numbers in errors stay those of the code as written.
 *
 * @module
 */

import { transform } from "npm:sucrase@3.35.1";
import { parse } from "npm:acorn@8.15.0";

/** The global function the driver defines to receive active lines. */
const LINE_FUNCTION = "__interpreter_line";

// deno-lint-ignore no-explicit-any
type Node = any;

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Result of preparing code: runnable JavaScript, or an error to show. */
export type Prepared = { code: string } | { error: string };

/** Turns the code a model wrote into JavaScript the session can evaluate. */
export function prepareScript(code: string, options: { typescript: boolean }): Prepared {
  let js = code;
  if (options.typescript) {
    try {
      js = transform(code, { transforms: ["typescript"], disableESTransforms: true }).code;
    } catch (error) {
      return { error: `SyntaxError: ${(error as Error).message}` };
    }
  }
  let program: Node;
  try {
    program = parse(js, {
      ecmaVersion: "latest",
      sourceType: "module",
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
      allowHashBang: true,
      locations: true,
    });
  } catch {
    // Let V8 report the syntax error with its own message and position.
    return { code: js };
  }
  const edits: Edit[] = [];
  const mark = (node: Node) => `${LINE_FUNCTION}(${node.loc.start.line});`;
  const sameLines = (node: Node, text: string) =>
    text + "\n".repeat((js.slice(node.start, node.end).match(/\n/g) ?? []).length);

  function walkList(list: Node[], topLevel: boolean): void {
    for (const node of list) {
      if (topLevel && node.type === "ImportDeclaration") {
        edits.push({
          start: node.start,
          end: node.end,
          text: sameLines(node, mark(node) + importToDynamic(node, js)),
        });
        continue;
      }
      if (
        topLevel &&
        (node.type === "ExportNamedDeclaration" || node.type === "ExportDefaultDeclaration")
      ) {
        if (node.declaration && node.declaration.type !== "Identifier") {
          edits.push({ start: node.start, end: node.declaration.start, text: mark(node) });
          walkInto(node.declaration);
        } else {
          edits.push({ start: node.start, end: node.end, text: sameLines(node, mark(node)) });
        }
        continue;
      }
      edits.push({ start: node.start, end: node.start, text: mark(node) });
      walkInto(node);
    }
  }

  function walkBody(node: Node): void {
    if (node.type === "BlockStatement") walkList(node.body, false);
    else walkInto(node);
  }

  function walkInto(node: Node): void {
    switch (node.type) {
      case "BlockStatement":
        walkList(node.body, false);
        break;
      case "IfStatement":
        walkBody(node.consequent);
        if (node.alternate) walkBody(node.alternate);
        break;
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
        walkBody(node.body);
        break;
      case "TryStatement":
        walkList(node.block.body, false);
        if (node.handler) walkList(node.handler.body.body, false);
        if (node.finalizer) walkList(node.finalizer.body, false);
        break;
      case "SwitchStatement":
        for (const c of node.cases) walkList(c.consequent, false);
        break;
    }
  }

  walkList(program.body, true);
  edits.sort((a, b) => b.start - a.start);
  let out = js;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { code: out };
}

function importToDynamic(node: Node, source: string): string {
  const from = source.slice(node.source.start, node.source.end);
  let attrs = "";
  if (node.attributes?.length) {
    const pairs = node.attributes.map((a: Node) =>
      `${source.slice(a.key.start, a.key.end)}: ${source.slice(a.value.start, a.value.end)}`
    );
    attrs = `, { with: { ${pairs.join(", ")} } }`;
  }
  const load = `await import(${from}${attrs})`;
  if (!node.specifiers.length) return `${load};`;
  const parts: string[] = [];
  let namespace: string | undefined;
  for (const s of node.specifiers) {
    if (s.type === "ImportNamespaceSpecifier") namespace = s.local.name;
    else if (s.type === "ImportDefaultSpecifier") parts.push(`default: ${s.local.name}`);
    else {
      const imported = s.imported.type === "Literal"
        ? JSON.stringify(s.imported.value)
        : s.imported.name;
      parts.push(imported === s.local.name ? imported : `${imported}: ${s.local.name}`);
    }
  }
  if (namespace) {
    return `const ${namespace} = ${load};` +
      (parts.length ? ` const { ${parts.join(", ")} } = ${namespace};` : "");
  }
  return `const { ${parts.join(", ")} } = ${load};`;
}
