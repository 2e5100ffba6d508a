/**
 * Conversation exports for `%markdown` and `%jupyter`: LMC messages as a
 * Markdown document or as a Jupyter notebook (nbformat 4).
 *
 * @module
 */

import { imageMimeType, type LmcMessage } from "../wire/lmc.ts";

function text(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content ?? "");
}

function fence(body: string, lang = ""): string {
  const ticks = body.includes("```") ? "````" : "```";
  return `${ticks}${lang}\n${body.replace(/\n$/, "")}\n${ticks}`;
}

/** The conversation as Markdown: a `## role` heading per speaker turn, code fenced. */
export function conversationToMarkdown(messages: LmcMessage[]): string {
  const parts: string[] = [];
  let lastRole = "";
  for (const m of messages) {
    if (m.role !== lastRole) {
      parts.push(`## ${m.role}`);
      lastRole = m.role;
    }
    if (m.type === "message" || m.type === "reasoning") parts.push(text(m.content));
    else if (m.type === "code") parts.push(fence(text(m.content), m.format ?? ""));
    else if (m.type === "console") parts.push(fence(text(m.content) || "(no output)"));
    else if (m.type === "image") parts.push(`*(image, ${m.format ?? "unknown format"})*`);
    else if (m.type === "file") parts.push(`File: \`${text(m.content)}\``);
  }
  return parts.join("\n\n") + "\n";
}

function sourceLines(s: string): string[] {
  const lines = s.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l)).filter((l) => l !== "");
}

/**
 * The IPython cell magic that runs code of `language` in a Python notebook
 * (`%%bash` for shell code); undefined for Python itself.
 */
function cellMagic(language: string): string | undefined {
  const lang = language.toLowerCase();
  if (["python", "py", "python3", ""].includes(lang)) return undefined;
  if (["shell", "bash", "sh"].includes(lang)) return "%%bash";
  const magics: Record<string, string> = {
    zsh: "%%script zsh",
    ruby: "%%ruby",
    rb: "%%ruby",
    perl: "%%perl",
    pl: "%%perl",
    javascript: "%%script node",
    js: "%%script node",
    node: "%%script node",
    typescript: "%%script deno run -",
    ts: "%%script deno run -",
    html: "%%html",
    r: "%%script Rscript -",
    php: "%%script php",
    lua: "%%script lua",
  };
  return magics[lang] ?? `%%script ${lang}`;
}

/** The conversation as a Jupyter notebook (JSON text, nbformat 4.5). */
export function conversationToNotebook(messages: LmcMessage[]): string {
  // deno-lint-ignore no-explicit-any
  const cells: any[] = [];
  let id = 0;
  const nextId = () => `cell-${id++}`;
  for (const m of messages) {
    if (m.type === "message" && m.role === "user") {
      const quoted = text(m.content).split("\n").map((l) => `> ${l}`).join("\n");
      cells.push({
        id: nextId(),
        cell_type: "markdown",
        metadata: {},
        source: sourceLines(quoted),
      });
    } else if (m.type === "message" && m.role === "assistant") {
      cells.push({
        id: nextId(),
        cell_type: "markdown",
        metadata: {},
        source: sourceLines(text(m.content)),
      });
    } else if (m.type === "code" && m.role === "assistant") {
      cells.push({
        id: nextId(),
        cell_type: "code",
        execution_count: null,
        metadata: { language: m.format ?? "python" },
        outputs: [],
        // The kernel is Python: other languages run through a cell magic (`%%bash`).
        source: sourceLines(
          (cellMagic(m.format ?? "python") ? `${cellMagic(m.format ?? "python")}\n` : "") +
            text(m.content),
        ),
      });
    } else if (m.type === "console" && m.format !== "active_line") {
      const last = cells[cells.length - 1];
      if (last?.cell_type === "code" && text(m.content) !== "") {
        last.outputs.push({
          output_type: "stream",
          name: "stdout",
          text: sourceLines(text(m.content)),
        });
      }
    } else if (
      m.type === "image" && m.role === "computer" && String(m.format).startsWith("base64")
    ) {
      const last = cells[cells.length - 1];
      const mime = imageMimeType(String(m.format));
      if (last?.cell_type === "code") {
        last.outputs.push({
          output_type: "display_data",
          data: { [mime]: text(m.content) },
          metadata: {},
        });
      }
    }
  }
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { display_name: "Python 3", language: "python", name: "python3" },
      language_info: { name: "python" },
    },
    cells,
  };
  return JSON.stringify(notebook, null, 1) + "\n";
}
