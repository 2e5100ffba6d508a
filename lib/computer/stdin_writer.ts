/**
 * The host's writer on a session's stdin FIFO, the one way an answer to a
 * program waiting for input reaches it. Opened once, right after the driver is
 * ready (before any code ran in the process, so the path is the driver's own),
 * and only when the path is a FIFO both by path and once open; later answers go
 * through this descriptor, never through the path again. A write is bounded.
 *
 * @module
 */

/** Milliseconds a write may take before the answer counts as not delivered. */
const WRITE_BOUND_MS = 2000;

/** A session's stdin writer (closed until {@linkcode StdinWriter.openAt}). */
export class StdinWriter {
  #file: Deno.FsFile | undefined;

  /** True while a writer is open. */
  get isOpen(): boolean {
    return this.#file !== undefined;
  }

  /** Opens a writer on `path` (closing any earlier one) when it is a FIFO; else stays closed. */
  openAt(path: string | undefined): void {
    this.close();
    if (!path) return;
    try {
      if (!Deno.lstatSync(path).isFifo) return;
      const file = Deno.openSync(path, { write: true });
      if (!file.statSync().isFifo) {
        file.close();
        return;
      }
      this.#file = file;
    } catch { /* no writer: waits are stopped as before */ }
  }

  /** Closes the writer (if open). */
  close(): void {
    try {
      this.#file?.close();
    } catch { /* already closed */ }
    this.#file = undefined;
  }

  /** Writes `text`; false when there is no writer, the write failed, or it took too long. */
  async write(text: string): Promise<boolean> {
    const writer = this.#file;
    if (!writer) return false;
    const data = new TextEncoder().encode(text);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const written = (async () => {
      let off = 0;
      while (off < data.length) off += await writer.write(data.subarray(off));
      return true;
    })().catch(() => false);
    const late = new Promise<boolean>((resolve) =>
      timer = setTimeout(() => resolve(false), WRITE_BOUND_MS)
    );
    const ok = await Promise.race([written, late]);
    clearTimeout(timer);
    return ok;
  }
}
