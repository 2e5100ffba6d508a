/**
 * AArch64 instruction encodings (Arm ARM, A64 base instructions) for the few
 * forms the generated programs use (`landlock.ts`, `reaper.ts`). Offsets are
 * in bytes from the instruction itself. Register 31 is `sp` in add/sub
 * immediate forms and loads, `xzr` elsewhere.
 *
 * @module
 */

/** The stack pointer's register number (in add/sub immediate and load forms). */
export const SP = 31;

/** Condition codes for {@linkcode A64.bcond}. */
export const COND = { eq: 0, ne: 1, hs: 2, hi: 8, lt: 11, le: 13 } as const;

const imm19 = (off: number) => ((off >> 2) & 0x7ffff) << 5;

/** Encoders: each returns one 32-bit instruction word. */
export const A64 = {
  /** movz xd, #imm16 */
  movz: (rd: number, imm: number): number => 0xd2800000 | (imm << 5) | rd,
  /** movn xd, #imm16 (xd = ~imm) */
  movn: (rd: number, imm: number): number => 0x92800000 | (imm << 5) | rd,
  /** mov xd, xm (orr xd, xzr, xm; not for sp) */
  mov: (rd: number, rm: number): number => 0xaa0003e0 | (rm << 16) | rd,
  /** add xd, xn, #imm12 (xn may be sp; `mov xd, sp` is add #0) */
  addImm: (rd: number, rn: number, imm: number): number =>
    0x91000000 | (imm << 10) | (rn << 5) | rd,
  /** sub xd, xn, #imm12 [, lsl #12] */
  subImm: (rd: number, rn: number, imm: number, lsl12 = false): number =>
    0xd1000000 | ((lsl12 ? 1 : 0) << 22) | (imm << 10) | (rn << 5) | rd,
  /** sub wd, wn, #imm12 */
  subImmW: (rd: number, rn: number, imm: number): number =>
    0x51000000 | (imm << 10) | (rn << 5) | rd,
  /** add xd, xn, xm, lsl #shift */
  addLsl: (rd: number, rn: number, rm: number, shift = 0): number =>
    0x8b000000 | (rm << 16) | (shift << 10) | (rn << 5) | rd,
  /** madd xd, xn, xm, xa (xd = xa + xn * xm) */
  madd: (rd: number, rn: number, rm: number, ra: number): number =>
    0x9b000000 | (rm << 16) | (ra << 10) | (rn << 5) | rd,
  /** ubfx wd, wn, #lsb, #width */
  ubfxW: (rd: number, rn: number, lsb: number, width: number): number =>
    0x53000000 | (lsb << 16) | ((lsb + width - 1) << 10) | (rn << 5) | rd,
  /** cmp xn, #imm12 */
  cmpImm: (rn: number, imm: number): number => 0xf100001f | (imm << 10) | (rn << 5),
  /** cmp wn, #imm12 */
  cmpImmW: (rn: number, imm: number): number => 0x7100001f | (imm << 10) | (rn << 5),
  /** cmp xn, xm */
  cmp: (rn: number, rm: number): number => 0xeb00001f | (rm << 16) | (rn << 5),
  /** adr xd, pc + off */
  adr: (rd: number, off: number): number =>
    ((off & 3) << 29) | 0x10000000 | (((off >> 2) & 0x7ffff) << 5) | rd,
  /** ldr xt, [xn, #off] (unsigned offset, a multiple of 8) */
  ldr: (rt: number, rn: number, off: number): number =>
    0xf9400000 | ((off >> 3) << 10) | (rn << 5) | rt,
  /** ldr wt, [xn, #off] (unsigned offset, a multiple of 4) */
  ldrW: (rt: number, rn: number, off: number): number =>
    0xb9400000 | ((off >> 2) << 10) | (rn << 5) | rt,
  /** ldrb wt, [xn], #imm (post-index) */
  ldrbPost: (rt: number, rn: number, imm: number): number =>
    0x38400400 | ((imm & 0x1ff) << 12) | (rn << 5) | rt,
  /** svc #0 */
  svc: (): number => 0xd4000001,
  /** tbnz xt, #63, pc + off (branch when negative) */
  tbnz63: (rt: number, off: number): number =>
    0xb7000000 | (31 << 19) | (((off >> 2) & 0x3fff) << 5) | rt,
  /** cbz xt, pc + off */
  cbz: (rt: number, off: number): number => 0xb4000000 | imm19(off) | rt,
  /** cbnz xt, pc + off */
  cbnz: (rt: number, off: number): number => 0xb5000000 | imm19(off) | rt,
  /** cbnz wt, pc + off */
  cbnzW: (rt: number, off: number): number => 0x35000000 | imm19(off) | rt,
  /** b.cond pc + off */
  bcond: (cond: number, off: number): number => 0x54000000 | imm19(off) | cond,
  /** b pc + off */
  b: (off: number): number => 0x14000000 | ((off >> 2) & 0x3ffffff),
};

/** An instruction list with labels: words, or encoders given the word's own offset. */
export class A64Program {
  #words: (number | ((at: number) => number))[] = [];
  #labels: Record<string, number> = {};

  /** Appends instruction words. */
  op(...words: number[]): void {
    this.#words.push(...words);
  }

  /** Marks the next instruction as `name`. */
  label(name: string): void {
    this.#labels[name] = this.#words.length * 4;
  }

  /** Appends a branch to `name`: `enc` gets the offset from this instruction. */
  to(name: string, enc: (off: number) => number): void {
    this.#words.push((at) => enc(this.#labels[name] - at));
  }

  /** Appends an instruction addressing `target` bytes into the data at `dataOffset`. */
  data(dataOffset: number, target: number, enc: (off: number) => number): void {
    this.#words.push((at) => enc(dataOffset + target - at));
  }

  /** The little-endian bytes. */
  bytes(): number[] {
    return this.#words.flatMap((w, i) => {
      const x = typeof w === "number" ? w : w(i * 4);
      return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
    });
  }
}
