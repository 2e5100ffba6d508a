/**
 * The file that keeps a run's complete raw output (`<dataDir>/outputs/…log`),
 * bounded while it is written: past `limit` bytes only the first part stays
 * on disk and the last bytes are kept in a ring in memory, written after a
 * line saying how much was left out when the run ends. A write error (a full
 * disk) never stops the run: the file is dropped and the error is reported in
 * the run's note instead.
 *
 * @module
 */

import { join } from "node:path";

/** Default bytes of one run's full-output file (64 MiB): the first part and the last 8 MiB. */
export const DEFAULT_OUTPUT_FILE_LIMIT = 64 * 1024 * 1024;
/** The most of a capped file's end kept in memory while the run goes on. */
const MAX_TAIL = 8 * 1024 * 1024;

/** Where and how big. */
export interface OutputFileOptions {
  /** Folder (made if missing; a symbolic link there is refused). */
  dir: string;
  /** A short label for the name (the language). */
  label: string;
  /** Bytes the file may hold (at least 1 KiB is used). */
  limit: number;
  /** Bytes of full outputs kept in `dir` before the oldest are pruned. */
  budget: number;
}

/** One run's full-output file. */
export class OutputFile {
  /** The file's path, while it is (or was) being kept. */
  path: string | undefined;
  /** Why the output could not be saved, when it could not. */
  error: string | undefined;
  #options: OutputFileOptions;
  #file: Deno.FsFile | undefined;
  #head: number;
  #tailSize: number;
  #written = 0;
  // bytes that came past the head, and the last of them
  #past = 0;
  #tail: Uint8Array | undefined;
  #tailPos = 0;

  /** Opens a new file (exclusive create) in `options.dir`; check `error` afterwards. */
  constructor(options: OutputFileOptions) {
    this.#options = options;
    const limit = Math.max(1024, Math.floor(options.limit));
    this.#tailSize = Math.min(MAX_TAIL, Math.floor(limit / 2));
    this.#head = limit - this.#tailSize;
    try {
      Deno.mkdirSync(options.dir, { recursive: true });
      if (Deno.lstatSync(options.dir).isSymlink) {
        throw new Error(`${options.dir} is a symbolic link`);
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const rand = crypto.randomUUID().slice(0, 8);
      const path = join(options.dir, `${stamp}-${options.label}-${rand}.log`);
      this.#file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
      this.path = path;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** Bytes of output that were not kept (the middle of a capped file). */
  get dropped(): number {
    return Math.max(0, this.#past - this.#tailSize);
  }

  /** The first and last bytes a capped file keeps. */
  get kept(): { head: number; tail: number } {
    return { head: this.#head, tail: this.#tailSize };
  }

  /** Appends output (copied where kept). */
  write(bytes: Uint8Array): void {
    if (!this.#file) return;
    const room = this.#head - this.#written;
    const now = room > 0 ? bytes.subarray(0, room) : bytes.subarray(0, 0);
    if (now.length) this.#writeAll(now);
    if (now.length < bytes.length) this.#remember(bytes.subarray(now.length));
  }

  /** Writes the kept end (after a line saying what was left out) and closes the file. */
  close(): void {
    if (this.#file && this.#past > 0) {
      const dropped = this.dropped;
      if (dropped > 0) {
        this.#writeAll(new TextEncoder().encode(
          `\n[... ${dropped.toLocaleString("en-US")} bytes of output were left out here: ` +
            `a full-output file keeps the first ${this.#head.toLocaleString("en-US")} and the ` +
            `last ${
              this.#tailSize.toLocaleString("en-US")
            } bytes (the computer's maxOutputFile) ...]\n`,
        ));
      }
      const tail = this.#tail ?? new Uint8Array();
      const length = Math.min(this.#past, this.#tailSize);
      if (length < this.#tailSize) this.#writeAll(tail.subarray(0, length));
      else {
        this.#writeAll(tail.subarray(this.#tailPos));
        this.#writeAll(tail.subarray(0, this.#tailPos));
      }
    }
    this.#tail = undefined;
    if (!this.#file) return;
    this.#file.close();
    this.#file = undefined;
    pruneOutputs(this.#options.dir, this.#options.budget, { keep: this.path });
  }

  #remember(bytes: Uint8Array): void {
    this.#past += bytes.length;
    this.#tail ??= new Uint8Array(this.#tailSize);
    const ring = this.#tail;
    const src = bytes.length > ring.length ? bytes.subarray(bytes.length - ring.length) : bytes;
    const first = Math.min(src.length, ring.length - this.#tailPos);
    ring.set(src.subarray(0, first), this.#tailPos);
    ring.set(src.subarray(first), 0);
    this.#tailPos = (this.#tailPos + src.length) % ring.length;
  }

  #writeAll(bytes: Uint8Array): void {
    if (!this.#file) return;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += this.#file.writeSync(bytes.subarray(offset));
      this.#written += bytes.length;
    } catch (error) {
      // A full disk (or any write error): give the file up, free its space, go on without it.
      this.error = (error as Error).message;
      this.#tail = undefined;
      try {
        this.#file.close();
      } catch { /* already closed */ }
      this.#file = undefined;
      if (this.path) {
        try {
          Deno.removeSync(this.path);
        } catch { /* gone */ }
      }
      this.path = undefined;
    }
  }
}

/**
 * Deletes the oldest files in `dir` until the folder holds at most `budget`
 * bytes, never touching `options.keep` (the output just written). Only plain
 * files are counted and removed (a link is never followed).
 */
export function pruneOutputs(dir: string, budget: number, options: { keep?: string } = {}): void {
  const keep = options.keep;
  try {
    if (Deno.lstatSync(dir).isSymlink) return;
    const files: { path: string; size: number; mtime: number }[] = [];
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile) continue;
      const path = join(dir, entry.name);
      const info = Deno.lstatSync(path);
      if (!info.isFile) continue;
      files.push({ path, size: info.size, mtime: info.mtime?.getTime() ?? 0 });
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= budget) break;
      if (f.path === keep) continue;
      Deno.removeSync(f.path);
      total -= f.size;
    }
  } catch {
    // pruning is best effort
  }
}
