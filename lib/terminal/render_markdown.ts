/**
 * Streaming Markdown for the terminal. Text arrives in small pieces; every
 * completed line is rendered once and handed back for the scrollback, and only
 * the unfinished last line is previewed (redrawn in place by the renderer).
 * So the work grows linearly with the answer, and nothing already printed is
 * ever redrawn (Open Interpreter re-renders the whole message per chunk,
 * issues #1037, #1261).
 *
 * Tables are the one thing that needs more than a line: their rows are held
 * until the table ends, then drawn with aligned columns.
 *
 * @module
 */

import { clipEnd, clipStart, type Style, visibleWidth } from "./ansi.ts";
import { highlightLine } from "./highlight.ts";
import { wrapStyled } from "./wrap.ts";

/** Renders inline Markdown (code spans, links, bold, italic) of one line. */
function renderInline(text: string, style: Style): string {
  if (!style.enabled) return text;
  // Code spans and links become placeholders first, so the escape codes of
  // their styling are never seen by the later patterns.
  const held: string[] = [];
  const hold = (rendered: string) => `\u0000${held.push(rendered) - 1}\u0000`;
  let out = text
    .replace(/`([^`]+)`/g, (_m, code: string) => hold(style.cyan(code)))
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) =>
      hold(
        label === url
          ? style.underline(style.blue(url))
          : `${style.underline(style.blue(label))} ${style.gray(`(${url})`)}`,
      ));
  out = out
    .replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_m, a, b) => style.bold(a ?? b))
    .replace(
      /(^|[^*\w])\*([^*\s][^*]*)\*|(^|\W)_([^_\s][^_]*)_(?=\W|$)/g,
      (_m, p1, a, p2, b) => (p1 ?? p2 ?? "") + style.italic(a ?? b),
    );
  // deno-lint-ignore no-control-regex
  return out.replace(/\u0000(\d+)\u0000/g, (_m, i) => held[Number(i)]);
}

/** A Markdown stream: push text, take rendered lines, preview the open line. */
export class MarkdownStream {
  #style: Style;
  #partial = "";
  #fence: { marker: string; lang: string } | undefined;
  #table: string[] = [];
  #width: () => number;

  /** `width` reports the terminal's current columns (read on every use, so resizes apply). */
  constructor(style: Style, width: () => number) {
    this.#style = style;
    this.#width = width;
  }

  /** Adds text; returns the rendered lines it completed (possibly none). */
  push(text: string): string[] {
    this.#partial += text;
    if (!this.#partial.includes("\n")) return [];
    const out: string[] = [];
    const parts = this.#partial.split("\n");
    this.#partial = parts.pop()!;
    for (const line of parts) this.#line(line.replace(/\r$/, ""), out);
    return out;
  }

  /** The unfinished last line, rendered to fit on one screen row (empty if none). */
  preview(): string {
    const raw = this.#partial;
    if (raw === "" && this.#table.length === 0) return "";
    const width = Math.max(10, this.#width() - 1);
    if (this.#table.length > 0 && raw === "") {
      return this.#style.gray(clipEnd(`(table: ${this.#table.length} rows…)`, width));
    }
    if (this.#fence) {
      return this.#style.gray("│ ") +
        highlightLine(clipStart(raw, width - 2), this.#fence.lang, this.#style);
    }
    return renderInline(clipStart(raw, width), this.#style);
  }

  /** Ends the stream: renders whatever is still open (last line, table, code fence). */
  end(): string[] {
    const out: string[] = [];
    if (this.#partial !== "") {
      this.#line(this.#partial, out);
      this.#partial = "";
    }
    this.#flushTable(out);
    if (this.#fence) {
      out.push(this.#style.gray("└" + "─".repeat(Math.min(40, this.#width() - 2))));
      this.#fence = undefined;
    }
    return out;
  }

  #line(line: string, out: string[]): void {
    const s = this.#style;
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(line);
    if (this.#fence) {
      if (fence && fence[1].startsWith(this.#fence.marker) && fence[2] === "") {
        out.push(s.gray("└" + "─".repeat(Math.min(40, this.#width() - 2))));
        this.#fence = undefined;
      } else {
        out.push(...codeRows(line, this.#fence.lang, s, this.#width()));
      }
      return;
    }
    const isTableRow = /^\s*\|/.test(line);
    if (isTableRow) {
      this.#table.push(line);
      return;
    }
    this.#flushTable(out);
    if (fence) {
      this.#fence = { marker: fence[1], lang: fence[2] };
      const title = fence[2] ? `─ ${fence[2]} ` : "";
      out.push(
        s.gray(
          `┌${title}${"─".repeat(Math.max(2, Math.min(40, this.#width() - 2) - title.length))}`,
        ),
      );
      return;
    }
    // Prose wraps at spaces to the terminal (never mid-word); lists and quotes keep their indent.
    const width = Math.max(10, this.#width() - 1);
    const wrapped = (text: string, continuation = "") =>
      out.push(...wrapStyled(text, width, { words: true, continuation }));
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const text = renderInline(heading[2], s);
      if (!s.enabled) wrapped(line);
      else if (heading[1].length === 1) wrapped(s.bold(s.underline(text)));
      else if (heading[1].length === 2) wrapped(s.bold(s.blue(text)));
      else wrapped(s.bold(text));
      return;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push(s.enabled ? s.gray("─".repeat(Math.min(60, this.#width() - 1))) : line);
      return;
    }
    const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      const bullet = /\d/.test(item[2]) ? item[2] : (s.enabled ? "•" : item[2]);
      // A hanging indent: wrapped lines start under the item's text.
      wrapped(
        `${item[1]}${s.enabled ? s.yellow(bullet) : bullet} ${renderInline(item[3], s)}`,
        " ".repeat(item[1].length + visibleWidth(bullet) + 1),
      );
      return;
    }
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (quote && s.enabled) {
      wrapped(s.gray("▌ ") + s.italic(renderInline(quote[1], s)), s.gray("▌ "));
      return;
    }
    const lead = /^\s*/.exec(line)![0];
    wrapped(renderInline(line, s), lead);
  }

  #flushTable(out: string[]): void {
    if (this.#table.length === 0) return;
    const rows = this.#table;
    this.#table = [];
    out.push(...renderTable(rows, this.#style, this.#width()));
  }
}

function splitRow(line: string): string[] {
  let body = line.trim();
  if (body.startsWith("|")) body = body.slice(1);
  if (body.endsWith("|") && !body.endsWith("\\|")) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
}

/**
 * A line of code in a frame (`│ `), wrapped to the terminal: rows after the
 * first start with `│↪ `, so a long line stays inside the frame and the
 * continuation is marked.
 */
export function codeRows(line: string, lang: string, style: Style, columns: number): string[] {
  const width = Math.max(12, Math.min(80, columns - 1));
  return wrapStyled(style.gray("│ ") + highlightLine(line, lang, style), width, {
    continuation: style.gray("│↪ "),
  });
}

/**
 * Draws Markdown table rows with aligned columns. A table wider than the
 * terminal is shown one record per block (`column: value` lines, wrapped at
 * spaces); without styles a table that fits stays as written.
 */
function renderTable(lines: string[], style: Style, width: number): string[] {
  const isSeparator = (l: string) => /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(l);
  const hasHeader = lines.length > 1 && isSeparator(lines[1]);
  const rows = lines.filter((l) => !isSeparator(l)).map((l) =>
    splitRow(l).map((c) => renderInline(c, style))
  );
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from(
    { length: columns },
    (_, i) => Math.max(1, ...rows.map((r) => visibleWidth(r[i] ?? ""))),
  );
  const total = widths.reduce((a, b) => a + b, 0) + columns * 3 + 1;
  if (total > width) return tableRecords(rows, hasHeader, style, Math.max(20, width - 1));
  if (!style.enabled) return lines.map((l) => renderInline(l, style));
  const line = (l: string, m: string, r: string) =>
    style.gray(l + widths.map((w) => "─".repeat(w + 2)).join(m) + r);
  const out = [line("┌", "┬", "┐")];
  rows.forEach((row, index) => {
    const cells = widths.map((w, i) => {
      const cell = row[i] ?? "";
      const text = hasHeader && index === 0 ? style.bold(cell) : cell;
      return " " + text + " ".repeat(w - visibleWidth(cell)) + " ";
    });
    out.push(style.gray("│") + cells.join(style.gray("│")) + style.gray("│"));
    if (hasHeader && index === 0 && rows.length > 1) out.push(line("├", "┼", "┤"));
  });
  out.push(line("└", "┴", "┘"));
  return out;
}

/** A table too wide for the terminal: one block per row, `column: value` per line. */
function tableRecords(rows: string[][], hasHeader: boolean, style: Style, width: number): string[] {
  const names = hasHeader ? rows[0] : [];
  const records = hasHeader ? rows.slice(1) : rows;
  const out: string[] = [];
  records.forEach((record, index) => {
    if (index > 0) out.push("");
    out.push(
      style.gray(
        `── ${index + 1} of ${records.length} ${"─".repeat(Math.max(2, Math.min(30, width - 12)))}`
          .slice(0, Math.max(10, width)),
      ),
    );
    record.forEach((value, i) => {
      const name = names[i] ?? `column ${i + 1}`;
      out.push(
        ...wrapStyled(`${style.bold(name)}: ${value}`, width, {
          words: true,
          continuation: "    ",
        }),
      );
    });
  });
  return out;
}
