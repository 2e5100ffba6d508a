/**
 * A small server-sent-events reader: turns a byte stream into events
 * (`event:` name and joined `data:` lines). Comment lines (`: ...`) are
 * skipped; `\r\n` and `\n` line ends both work; an event is complete at a
 * blank line (or at the end of the stream).
 *
 * @module
 */

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field, when given. */
  event?: string;
  /** The `data:` lines joined with newlines. */
  data: string;
}

/** Splits SSE text into events; keeps state across pushes. */
export class SseParser {
  #buffer = "";
  #event: string | undefined;
  #data: string[] = [];

  /** Adds text and returns the events it completed. */
  push(text: string): SseEvent[] {
    this.#buffer += text;
    const out: SseEvent[] = [];
    let newline: number;
    while ((newline = this.#buffer.indexOf("\n")) >= 0) {
      let line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      this.#line(line, out);
    }
    return out;
  }

  /** Ends the input and returns the last event, if one was pending. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.#buffer) this.#line(this.#buffer.replace(/\r$/, ""), out);
    this.#buffer = "";
    this.#line("", out);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.#data.length > 0) {
        out.push({ event: this.#event, data: this.#data.join("\n") });
      }
      this.#data = [];
      this.#event = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
  }
}
