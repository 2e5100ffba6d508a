/**
 * In-band framing between a session driver and the computer. A driver writes
 * its control records into the same pipe as the program's output, so their
 * order is exact: `\x1e<nonce><kind><payload>\n`. The nonce is random per
 * session, so output cannot forge a record by accident; code can read it
 * (`/proc/self/cmdline`), so a record is treated as something code could have
 * printed: records carry data, never host paths, and the host checks every
 * payload (see session.ts).
 *
 * Drivers write records through their own descriptor (a private duplicate of
 * the output pipe), so code that redirects or closes its standard output does
 * not lose them, and each record in one `write` of at most {@linkcode MAX_RECORD}
 * bytes (atomic on a pipe: other processes' output cannot split it).
 *
 * Kinds: `R` ready, `L<n>` active line, `E<run id> <status>` end of run, `W`
 * waiting for input, `I<base64>` a piece of an image's bytes and a bare `I`
 * the end of that image.
 *
 * @module
 */

const RS = 0x1e;
const NL = 0x0a;
/**
 * The longest record, in bytes (PIPE_BUF, the most a pipe writes atomically). A longer
 * one is not a record: it is passed through as output.
 */
const MAX_RECORD = 4096;

/** What a FrameParser calls. */
export interface FrameHandlers {
  /** Output bytes (a view into the caller's buffer: copy what you keep). */
  onOutput: (bytes: Uint8Array) => void;
  /** A control record: its kind letter and payload. */
  onRecord: (kind: string, payload: string) => void;
}

/** Splits a session's stdout into output bytes and control records. */
export class FrameParser {
  #mark: Uint8Array;
  #carry: Uint8Array | undefined;
  #onOutput: (bytes: Uint8Array) => void;
  #onRecord: (kind: string, payload: string) => void;

  /** A parser for the records of the session whose nonce is `nonce`. */
  constructor(nonce: string, handlers: FrameHandlers) {
    this.#mark = new TextEncoder().encode(`\x1e${nonce}`);
    this.#onOutput = handlers.onOutput;
    this.#onRecord = handlers.onRecord;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let data = chunk;
    if (this.#carry) {
      // At most MAX_RECORD bytes are ever carried: joining stays cheap.
      data = new Uint8Array(this.#carry.length + chunk.length);
      data.set(this.#carry);
      data.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    const mark = this.#mark;
    let pos = 0;
    let search = 0;
    while (true) {
      const i = data.indexOf(RS, search);
      if (i < 0) break;
      const available = Math.min(mark.length, data.length - i);
      let matches = true;
      for (let k = 1; k < available; k++) {
        if (data[i + k] !== mark[k]) {
          matches = false;
          break;
        }
      }
      if (!matches) {
        search = i + 1;
        continue;
      }
      if (available < mark.length) {
        // a record may start here: wait for more bytes
        this.#emit(data, pos, i);
        this.#carry = data.slice(i);
        return;
      }
      const end = recordEnd(data, i + mark.length);
      if (end === "open") {
        if (data.length - i > MAX_RECORD) {
          search = i + 1; // too long to be a record: output
          continue;
        }
        this.#emit(data, pos, i);
        this.#carry = data.slice(i);
        return;
      }
      if (end === "broken" || end - i + 1 > MAX_RECORD) {
        // Another record starts before this one ended (or it is too long): this was output.
        search = i + 1;
        continue;
      }
      this.#emit(data, pos, i);
      const body = new TextDecoder().decode(data.subarray(i + mark.length, end));
      this.#onRecord(body.slice(0, 1), body.slice(1));
      pos = end + 1;
      search = pos;
    }
    this.#emit(data, pos, data.length);
  }

  /** Passes on bytes held back while waiting for the rest of a record. */
  flush(): void {
    if (this.#carry) this.#onOutput(this.#carry);
    this.#carry = undefined;
  }

  #emit(data: Uint8Array, from: number, to: number): void {
    if (to > from) {
      this.#onOutput(from === 0 && to === data.length ? data : data.subarray(from, to));
    }
  }
}

/**
 * Where the record whose body starts at `from` ends (its newline), `"open"` when the
 * data ends first, `"broken"` when a record separator comes first (a record never holds one).
 */
function recordEnd(data: Uint8Array, from: number): number | "open" | "broken" {
  const limit = Math.min(data.length, from + MAX_RECORD);
  for (let k = from; k < limit; k++) {
    const byte = data[k];
    if (byte === NL) return k;
    if (byte === RS) return "broken";
  }
  return limit < data.length ? "broken" : "open";
}

/** A random nonce for one session's records. */
export function newNonce(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}
