/**
 * Draws the LMC chunk stream on a terminal. Completed lines go to the
 * scrollback once; the single "live" row at the bottom (the unfinished line,
 * the running line of code, or the spinner) is the only thing ever redrawn,
 * with a carriage return and erase-line. No cursor movement upwards, so no
 * flicker and no duplicated scrollback, whatever the answer's length.
 *
 * @module
 */

import { isTextMessage, type LmcChunk } from "../wire/lmc.ts";
import { CLEAR_LINE, clipEnd, makeStyle, type Style, visibleWidth } from "./ansi.ts";
import { highlightLine } from "./highlight.ts";
import { codeRows, MarkdownStream } from "./render_markdown.ts";
import { wrapStyled } from "./wrap.ts";
import { addUsage, type RenderedUsage, usageCounts, usageLine } from "./rendered_usage.ts";
import { type ImageProtocol, inlineImage, saveImage } from "./image.ts";
import { safeOutput, visibleCode, visibleControls } from "./untrusted_text.ts";

/** Where the renderer writes. */
export interface RenderTarget {
  /** Writes text as is. */
  write(text: string): void;
  /** The terminal's current width in columns. */
  columns(): number;
}

/** Renderer settings. */
export interface RendererOptions {
  /** Colours and styles (off with NO_COLOR or --plain). */
  color: boolean;
  /** True when the output is an interactive terminal (enables the live row and spinner). */
  live: boolean;
  /** Plain text: no frames, no Markdown styling, text written as it arrives. */
  plain?: boolean;
  /** Show the running line of code (default true). */
  highlightActiveLine?: boolean;
  /** Draw images inline with this protocol (default "none": save them and show the path). */
  images?: ImageProtocol;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

type Block =
  | { kind: "markdown"; stream: MarkdownStream; dim: boolean }
  | { kind: "code"; lang: string; partial: string; lines: string[] }
  | { kind: "console"; partial: string }
  | { kind: "other" };

/** Draws LMC chunks incrementally. */
export class Renderer {
  readonly style: Style;
  #target: RenderTarget;
  #opts: RendererOptions;
  #block: Block | undefined;
  #liveShown = false;
  /** Columns the live row's text takes (it fitted the terminal when drawn). */
  #liveWidth = 0;
  #spinner: { timer: ReturnType<typeof setInterval>; frame: number; label: string } | undefined;
  #activeLine: string | undefined;
  #lastCode: { lang: string; lines: string[] } | undefined;
  #usage: RenderedUsage = { inputTokens: 0, outputTokens: 0 };
  #sawUsage = false;
  #atLineStart = true;

  /** Creates a renderer writing to `target`. */
  constructor(target: RenderTarget, options: RendererOptions) {
    this.#target = target;
    this.#opts = options;
    this.style = makeStyle(options.color && !options.plain);
  }

  /** The code of the last code block seen (language and lines). */
  get lastCode(): { lang: string; lines: string[] } | undefined {
    return this.#lastCode;
  }

  /** Draws one chunk. */
  chunk(chunk: LmcChunk): void {
    if (chunk.recipient === "assistant") return;
    // The model's text and code never reach the terminal as control sequences (output: see
    // #outputLine), so nothing can redraw what the person approves.
    if (isTextMessage(chunk) && typeof chunk.content === "string" && chunk.type !== "image") {
      const shown = chunk.type === "code" ? visibleCode : visibleControls;
      chunk = { ...chunk, content: shown(chunk.content) };
    }
    this.stopSpinner();
    if (chunk.start) {
      this.#endBlock();
      this.#startBlock(chunk);
      return;
    }
    if (chunk.end) {
      this.#endBlock();
      return;
    }
    switch (chunk.type) {
      case "message":
      case "reasoning":
        if (typeof chunk.content !== "string") return;
        if (this.#block?.kind !== "markdown") this.#startBlock(chunk);
        this.#text(chunk.content);
        return;
      case "code":
        if (typeof chunk.content !== "string") return;
        if (chunk.role === "computer") {
          this.#endBlock();
          this.#commit([this.style.gray(`[${chunk.format ?? "code"} output shown to the user]`)]);
          return;
        }
        if (this.#block?.kind !== "code") this.#startBlock(chunk);
        this.#code(chunk.content);
        return;
      case "console":
        if (chunk.format === "active_line") {
          this.#setActiveLine(chunk.content);
          return;
        }
        if (typeof chunk.content !== "string") return;
        if (this.#block?.kind !== "console") this.#startBlock(chunk);
        this.#consoleText(chunk.content);
        return;
      case "image":
        this.#commit(this.#imageLines(chunk));
        return;
      case "error":
        this.#endBlock();
        this.#commit(
          String(chunk.content ?? "").split("\n").flatMap((line, i) =>
            wrapStyled(
              this.style.red(i === 0 ? `Error: ${line}` : line),
              Math.max(20, this.#target.columns() - 1),
              { words: true, continuation: "  " },
            )
          ),
        );
        return;
      case "usage":
        this.#addUsage(chunk.content);
        return;
      case "confirmation":
      case "status":
      case "review":
      case "command":
        return;
      default:
        return;
    }
  }

  /** Shows an animated spinner on the live row (only on a live terminal). */
  startSpinner(label = "Thinking…"): void {
    if (!this.#opts.live || this.#opts.plain || this.#spinner) return;
    this.#spinner = {
      frame: 0,
      label,
      timer: setInterval(() => {
        if (!this.#spinner) return;
        this.#spinner.frame = (this.#spinner.frame + 1) % SPINNER.length;
        this.#drawLive();
      }, 80),
    };
    this.#drawLive();
  }

  /** Removes the spinner. */
  stopSpinner(): void {
    if (!this.#spinner) return;
    clearInterval(this.#spinner.timer);
    this.#spinner = undefined;
    this.#drawLive();
  }

  /** Closes any open block and clears the live row (call at the end of an answer). */
  finish(): void {
    this.stopSpinner();
    this.#endBlock();
    this.#activeLine = undefined;
    this.#drawLive();
    if (!this.#atLineStart) {
      this.#target.write("\n");
      this.#atLineStart = true;
    }
  }

  /**
   * Hands over the unfinished output line (a program's prompt such as
   * `Name: `) to be asked with, and clears the live row: the question is drawn
   * in its place, and the line is not drawn again.
   */
  takePartialOutput(): string {
    this.stopSpinner();
    const block = this.#block;
    let partial = "";
    if (block?.kind === "console") {
      partial = safeOutput(visibleLine(block.partial));
      block.partial = "";
    }
    this.#activeLine = undefined;
    if (this.#liveShown) this.#target.write(this.#clearLive());
    else if (!this.#atLineStart) this.#target.write("\n");
    this.#liveShown = false;
    this.#liveWidth = 0;
    this.#atLineStart = true;
    return partial;
  }

  /** Prints the tokens and cost of the answer just finished, then resets the count. */
  printUsage(): void {
    if (!this.#sawUsage) return;
    this.#commit([this.style.gray(`  ${usageLine(this.#usage)}`)]);
    this.#usage = { inputTokens: 0, outputTokens: 0 };
    this.#sawUsage = false;
  }

  /** Writes complete lines to the scrollback (above the live row). */
  print(...lines: string[]): void {
    this.#endBlockIfText();
    this.#commit(lines);
  }

  /** The usage counted since the last {@link printUsage}. */
  get usage(): RenderedUsage {
    return { ...this.#usage };
  }

  #startBlock(chunk: LmcChunk): void {
    const s = this.style;
    if (chunk.type === "message" || chunk.type === "reasoning") {
      this.#block = {
        kind: "markdown",
        stream: new MarkdownStream(s, () => this.#target.columns()),
        dim: chunk.type === "reasoning",
      };
      return;
    }
    if (chunk.type === "code" && chunk.role !== "computer") {
      const lang = chunk.format ?? "code";
      this.#block = { kind: "code", lang, partial: "", lines: [] };
      this.#lastCode = { lang, lines: this.#block.lines };
      if (!this.#opts.plain) {
        const width = Math.max(12, Math.min(80, this.#target.columns() - 1));
        const title = `─ ${lang} `;
        this.#commit([s.gray(`┌${title}${"─".repeat(Math.max(1, width - 1 - title.length))}`)]);
      } else {
        this.#commit([`[${lang}]`]);
      }
      return;
    }
    if (chunk.type === "console") {
      this.#block = { kind: "console", partial: "" };
      return;
    }
    this.#block = { kind: "other" };
  }

  #endBlockIfText(): void {
    if (this.#block?.kind === "markdown" || this.#block?.kind === "console") this.#endBlock();
  }

  #endBlock(): void {
    const block = this.#block;
    this.#block = undefined;
    if (!block) return;
    if (block.kind === "markdown") {
      if (this.#opts.plain) {
        this.#plainWrite("");
        this.#ensureNewline();
        return;
      }
      this.#commit(block.stream.end().map((l) => (block.dim ? this.style.dim(l) : l)));
    } else if (block.kind === "code") {
      if (block.partial !== "") {
        block.lines.push(block.partial);
        this.#commit(this.#codeRows(block.lang, block.partial));
        block.partial = "";
      }
      if (!this.#opts.plain) {
        const width = Math.max(12, Math.min(80, this.#target.columns() - 1));
        this.#commit([this.style.gray("└" + "─".repeat(width - 1))]);
      }
    } else if (block.kind === "console") {
      if (block.partial !== "") this.#commit(this.#outputRows(block.partial));
    }
    this.#drawLive();
  }

  #text(text: string): void {
    const block = this.#block as Extract<Block, { kind: "markdown" }>;
    if (this.#opts.plain) {
      this.#plainWrite(text);
      return;
    }
    const lines = block.stream.push(text);
    if (lines.length > 0) {
      this.#commit(block.dim ? lines.map((l) => this.style.dim(l)) : lines);
    } else this.#drawLive();
  }

  #code(text: string): void {
    const block = this.#block as Extract<Block, { kind: "code" }>;
    const parts = (block.partial + text).split("\n");
    block.partial = parts.pop()!;
    if (parts.length > 0) {
      block.lines.push(...parts);
      this.#commit(parts.flatMap((l) => this.#codeRows(block.lang, l)));
    } else this.#drawLive();
  }

  #consoleText(text: string): void {
    const block = this.#block as Extract<Block, { kind: "console" }>;
    const parts = (block.partial + text).split("\n");
    // A progress bar (`\r` without a newline) redraws the live row in place; only its latest
    // state is kept, so a bar that never ends its line costs nothing.
    block.partial = latestState(parts.pop()!);
    if (parts.length > 0) this.#commit(parts.flatMap((l) => this.#outputRows(l)));
    else this.#drawLive();
  }

  #codeLine(lang: string, line: string): string {
    if (this.#opts.plain) return line;
    return this.style.gray("│ ") + highlightLine(line, lang, this.style);
  }

  /** A committed line of code: framed and wrapped (plain mode: as is). */
  #codeRows(lang: string, line: string): string[] {
    if (this.#opts.plain) return [line];
    return codeRows(line, lang, this.style, this.#target.columns());
  }

  /**
   * A committed line of output. Notes of the program itself (`[sandbox] …`,
   * `stopped: …`) wrap at spaces with a hanging indent; other output is the
   * program's own and stays as it printed it.
   */
  #outputRows(line: string): string[] {
    const shown = this.#outputLine(line);
    if (this.#opts.plain || !NOTE_RE.test(visibleLine(line))) return [shown];
    return wrapStyled(shown, Math.max(20, this.#target.columns() - 1), {
      words: true,
      continuation: "      ",
    });
  }

  #outputLine(line: string): string {
    const shown = safeOutput(visibleLine(line));
    return this.#opts.plain ? shown : this.style.gray("  ") + shown;
  }

  #setActiveLine(content: unknown): void {
    if (this.#opts.highlightActiveLine === false) return;
    if (content === null || content === undefined || !this.#lastCode) {
      this.#activeLine = undefined;
    } else {
      const n = Number(content);
      const code = this.#lastCode.lines[n - 1];
      this.#activeLine = code === undefined ? undefined : `${n}: ${code.trim()}`;
    }
    this.#drawLive();
  }

  #addUsage(content: unknown): void {
    const counts = usageCounts(content);
    if (!counts) return;
    this.#sawUsage = true;
    this.#usage = addUsage(this.#usage, counts);
  }

  /** The text of the live row: the spinner, the open line, or the running line. */
  #liveText(): string {
    if (this.#spinner) {
      return `${this.style.cyan(SPINNER[this.#spinner.frame])} ${
        this.style.gray(this.#spinner.label)
      }`;
    }
    const block = this.#block;
    const width = Math.max(10, this.#target.columns() - 1);
    if (block?.kind === "markdown") {
      const preview = block.stream.preview();
      return block.dim ? this.style.dim(preview) : preview;
    }
    if (block?.kind === "code" && block.partial !== "") {
      return this.#codeLine(block.lang, clipEnd(block.partial, width - 2));
    }
    if (block?.kind === "console" && block.partial !== "") {
      return this.#outputLine(clipEnd(block.partial, width - 2));
    }
    if (this.#activeLine) {
      return this.style.yellow("▶ ") + this.style.inverse(clipEnd(this.#activeLine, width - 2));
    }
    return "";
  }

  #drawLive(): void {
    if (!this.#opts.live || this.#opts.plain) return;
    const text = this.#liveText();
    if (text === "" && !this.#liveShown) return;
    this.#target.write(this.#clearLive() + text);
    this.#liveShown = text !== "";
    this.#liveWidth = visibleWidth(text);
    this.#atLineStart = !this.#liveShown;
  }

  /** An image drawn inline where the terminal can, else a line with the saved file's path. */
  #imageLines(chunk: LmcChunk): string[] {
    const label = `[image ${chunk.format ?? ""}${describeSize(chunk.content)}`;
    const format = String(chunk.format ?? "");
    if (typeof chunk.content !== "string" || !format.startsWith("base64")) {
      return [this.style.gray(label + "]")];
    }
    const protocol = this.#opts.images ?? "none";
    const inline = protocol !== "none" && this.#opts.live && !this.#opts.plain
      ? inlineImage(chunk.content, protocol)
      : null;
    if (inline) return [inline.trimEnd()];
    try {
      return [this.style.gray(`${label}: ${saveImage(chunk.content, format)}]`)];
    } catch {
      return [this.style.gray(label + "]")];
    }
  }

  #commit(lines: string[]): void {
    if (lines.length === 0) return;
    let out = "";
    if (this.#liveShown) {
      out += this.#clearLive();
      this.#liveShown = false;
      this.#liveWidth = 0;
    } else if (!this.#atLineStart) out += "\n";
    out += lines.join("\n") + "\n";
    this.#atLineStart = true;
    if (this.#opts.live && !this.#opts.plain) {
      const live = this.#liveText();
      if (live !== "") {
        out += live;
        this.#liveShown = true;
        this.#liveWidth = visibleWidth(live);
        this.#atLineStart = false;
      }
    }
    this.#target.write(out);
  }

  /**
   * Erases the live row. It fitted one row when drawn; if the terminal has
   * narrowed since, a reflowing terminal (tmux, VTE, iTerm2...) has wrapped it
   * onto several rows with the cursor on the last, so those rows are erased
   * too (the only cursor move up, never past the live row's own rows).
   */
  #clearLive(): string {
    const columns = Math.max(1, this.#target.columns());
    const extraRows = this.#liveWidth > columns ? Math.floor((this.#liveWidth - 1) / columns) : 0;
    return extraRows > 0 ? `\r\x1b[${extraRows}A\x1b[J` : CLEAR_LINE;
  }

  #plainWrite(text: string): void {
    if (text === "") return;
    this.#target.write(text);
    this.#atLineStart = text.endsWith("\n");
  }

  #ensureNewline(): void {
    if (!this.#atLineStart) {
      this.#target.write("\n");
      this.#atLineStart = true;
    }
  }
}

/** Notes the computer and sandbox add to output (wrapped with a hanging indent). */
const NOTE_RE = /^(\[sandbox\]|stopped[: ]|\[\.\.\.|\(\.\.\.)/;

/** What a terminal shows of a line written with `\r`s: the text after the last one. */
function visibleLine(line: string): string {
  const text = line.replace(/\r+$/, "");
  return text.slice(text.lastIndexOf("\r") + 1);
}

/** An unfinished line cut down to its latest `\r` state (a trailing `\r` is kept). */
function latestState(line: string): string {
  const end = line.endsWith("\r") ? line.length - 1 : line.length;
  if (end === 0) return line;
  const cut = line.lastIndexOf("\r", end - 1);
  return cut < 0 ? line : line.slice(cut + 1);
}

function describeSize(content: unknown): string {
  if (typeof content !== "string") return "";
  if (content.length < 300) return `: ${content}`;
  return `, ${Math.round((content.length * 3) / 4 / 1024)} KB`;
}
