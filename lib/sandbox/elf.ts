/**
 * The smallest static ELF executable: one header, one loadable segment (read
 * and execute) holding the code and its read-only data. Used for the tiny
 * programs the sandbox generates (`landlock.ts`, `reaper.ts`); they keep their
 * writable memory on the stack.
 *
 * @module
 */

/** Architectures the generated programs exist for. */
export type ElfArch = "x86_64" | "aarch64";

/** Where the program is loaded (aligned for 64 KiB pages too). */
const BASE = 0x40_0000;
const ELF_HEADER = 64;
const PROGRAM_HEADER = 56;

/** Little-endian bytes of a 16-bit value. */
function le16(x: number): number[] {
  return [x & 0xff, (x >>> 8) & 0xff];
}

/** Little-endian bytes of a 32-bit value (negative numbers as two's complement). */
export function le32(x: number): number[] {
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
}

/** Little-endian bytes of a (non-negative, < 2^53) 64-bit value. */
export function le64(x: number): number[] {
  return [...le32(x % 2 ** 32), ...le32(Math.floor(x / 2 ** 32))];
}

/**
 * Builds the executable. `code(dataOffset)` returns the machine code given
 * where the data will sit relative to the code's start (its length must not
 * depend on that offset); `data` follows the code, 8-byte aligned.
 */
export function staticElf(
  arch: ElfArch,
  code: (dataOffset: number) => number[],
  data: number[],
): Uint8Array {
  const codeStart = ELF_HEADER + PROGRAM_HEADER;
  const padded = Math.ceil(code(0).length / 8) * 8;
  const body = code(padded);
  const size = codeStart + padded + data.length;
  const header = [
    0x7f,
    0x45,
    0x4c,
    0x46,
    2,
    1,
    1,
    0, // ELF, 64-bit, little-endian, version 1, SysV
    ...new Array(8).fill(0),
    ...le16(2), // ET_EXEC
    ...le16(arch === "x86_64" ? 0x3e : 0xb7), // EM_X86_64 / EM_AARCH64
    ...le32(1),
    ...le64(BASE + codeStart), // entry: the code's first byte
    ...le64(ELF_HEADER), // program headers right after this header
    ...le64(0), // no section headers
    ...le32(0),
    ...le16(ELF_HEADER),
    ...le16(PROGRAM_HEADER),
    ...le16(1),
    ...le16(64),
    ...le16(0),
    ...le16(0),
  ];
  const load = [
    ...le32(1), // PT_LOAD
    ...le32(5), // R + X
    ...le64(0), // the whole file
    ...le64(BASE),
    ...le64(BASE),
    ...le64(size),
    ...le64(size),
    ...le64(0x1_0000),
  ];
  return new Uint8Array([
    ...header,
    ...load,
    ...body,
    ...new Array(padded - body.length).fill(0),
    ...data,
  ]);
}
