/**
 * The seccomp filter bubblewrap loads (`--seccomp FD`) before it starts a
 * session: a classic-BPF program that refuses a few kernel interfaces code
 * never needs and that reach outside the sandbox or widen the kernel attack
 * surface, as Docker's default profile does. Everything else is allowed.
 *
 * Refused (EPERM unless noted): the kernel keyrings (`keyctl`, `add_key`,
 * `request_key`: keys of the user's and session keyrings are not the
 * session's), `bpf`, `perf_event_open`, `userfaultfd`, module and kexec
 * loading, `reboot`, swap, `acct`, the mount calls (old and new API),
 * `pivot_root`, `open_by_handle_at`, `io_uring` (ENOSYS, so libraries
 * fall back to plain calls), and `socket(AF_VSOCK, …)` (EPERM): vsock
 * is not network-namespaced, so in a virtual machine it reaches the
 * hypervisor host's services even under `--deny-net`. Processes of another ABI on the same machine
 * (i386 code on x86_64) get the same table for their numbers; x32 calls
 * and any other ABI are refused whole.
 *
 * @module
 */

/** Architectures the filter knows the system call numbers of. */
export type SeccompArch = "x86_64" | "aarch64";

// struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** The low 32 bits of args[0] (little-endian). */
const OFFSET_ARG0 = 16;

// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20; // A = u32 at offset k
const JEQ_K = 0x15; // pc += (A == k) ? jt : jf
const JSET_K = 0x45; // pc += (A & k) ? jt : jf
const RET_K = 0x06; // return k

// Filter results (linux/seccomp.h).
const RET_ALLOW = 0x7fff_0000;
const RET_ERRNO = 0x0005_0000;
const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;
/** `socket` per ABI (i386 also has socketcall, whose arguments a filter cannot read). */
const SOCKET = { x86_64: 41, i386: 359, generic: 198 };

// AUDIT_ARCH_* values (linux/audit.h): the ABI a system call came through.
const AUDIT_ARCH_X86_64 = 0xc000_003e;
const AUDIT_ARCH_I386 = 0x4000_0003;
const AUDIT_ARCH_AARCH64 = 0xc000_00b7;
/** x32 system calls on x86_64 carry this bit in their number. */
const X32_SYSCALL_BIT = 0x4000_0000;

/** A refused system call: its numbers per ABI (absent: the ABI has none) and the errno. */
interface Refused {
  name: string;
  x86_64: number;
  i386?: number;
  generic: number;
  errno: number;
}

// Numbers from the kernel's unistd headers (asm/unistd_64.h, unistd_32.h, asm-generic/unistd.h).
const REFUSED: readonly Refused[] = [
  { name: "add_key", x86_64: 248, i386: 286, generic: 217, errno: EPERM },
  { name: "request_key", x86_64: 249, i386: 287, generic: 218, errno: EPERM },
  { name: "keyctl", x86_64: 250, i386: 288, generic: 219, errno: EPERM },
  { name: "bpf", x86_64: 321, i386: 357, generic: 280, errno: EPERM },
  { name: "perf_event_open", x86_64: 298, i386: 336, generic: 241, errno: EPERM },
  { name: "userfaultfd", x86_64: 323, i386: 374, generic: 282, errno: EPERM },
  { name: "kexec_load", x86_64: 246, i386: 283, generic: 104, errno: EPERM },
  { name: "kexec_file_load", x86_64: 320, generic: 294, errno: EPERM },
  { name: "init_module", x86_64: 175, i386: 128, generic: 105, errno: EPERM },
  { name: "finit_module", x86_64: 313, i386: 350, generic: 273, errno: EPERM },
  { name: "delete_module", x86_64: 176, i386: 129, generic: 106, errno: EPERM },
  { name: "reboot", x86_64: 169, i386: 88, generic: 142, errno: EPERM },
  { name: "swapon", x86_64: 167, i386: 87, generic: 224, errno: EPERM },
  { name: "swapoff", x86_64: 168, i386: 115, generic: 225, errno: EPERM },
  { name: "acct", x86_64: 163, i386: 51, generic: 89, errno: EPERM },
  { name: "mount", x86_64: 165, i386: 21, generic: 40, errno: EPERM },
  { name: "umount2", x86_64: 166, i386: 52, generic: 39, errno: EPERM },
  { name: "pivot_root", x86_64: 155, i386: 217, generic: 41, errno: EPERM },
  { name: "open_by_handle_at", x86_64: 304, i386: 342, generic: 265, errno: EPERM },
  { name: "io_uring_setup", x86_64: 425, i386: 425, generic: 425, errno: ENOSYS },
  { name: "io_uring_enter", x86_64: 426, i386: 426, generic: 426, errno: ENOSYS },
  { name: "io_uring_register", x86_64: 427, i386: 427, generic: 427, errno: ENOSYS },
  { name: "open_tree", x86_64: 428, i386: 428, generic: 428, errno: EPERM },
  { name: "move_mount", x86_64: 429, i386: 429, generic: 429, errno: EPERM },
  { name: "fsopen", x86_64: 430, i386: 430, generic: 430, errno: EPERM },
  { name: "fsconfig", x86_64: 431, i386: 431, generic: 431, errno: EPERM },
  { name: "fsmount", x86_64: 432, i386: 432, generic: 432, errno: EPERM },
  { name: "fspick", x86_64: 433, i386: 433, generic: 433, errno: EPERM },
  { name: "mount_setattr", x86_64: 442, i386: 442, generic: 442, errno: EPERM },
];

/** The names of the system calls the filter refuses (for docs and the start-up note). */
export const REFUSED_SYSCALLS: readonly string[] = REFUSED.map((r) => r.name);

/** One BPF instruction: `{code, jt, jf, k}` (struct sock_filter). */
type Insn = [code: number, jt: number, jf: number, k: number];

/**
 * The instructions for one ABI: load the call number, refuse the listed ones
 * (each with its errno), allow the rest. `x32` also refuses numbers carrying
 * the x32 bit. Jumps are relative to the next instruction.
 */
function abiBlock(
  numbers: [nr: number, errno: number][],
  options: { x32: boolean; socket: number },
): Insn[] {
  const out: Insn[] = [[LD_W_ABS, 0, 0, OFFSET_NR]];
  // Distinct errnos, each with its own return at the end of the block.
  const errnos = [...new Set(numbers.map(([, e]) => e))];
  const checks = numbers.length + (options.x32 ? 1 : 0);
  // The socket family check sits between the checks and the allow.
  const family: Insn[] = [
    [JEQ_K, 0, 3, options.socket],
    [LD_W_ABS, 0, 0, OFFSET_ARG0],
    [JEQ_K, 0, 1, AF_VSOCK],
    [RET_K, 0, 0, RET_ERRNO | EPERM],
  ];
  // From check i, the return for errno j sits at: remaining checks, the family check, the
  // allow, then j.
  const jumpTo = (i: number, errno: number) =>
    checks - i - 1 + family.length + 1 + errnos.indexOf(errno);
  let i = 0;
  if (options.x32) out.push([JSET_K, jumpTo(i++, ENOSYS), 0, X32_SYSCALL_BIT]);
  for (const [nr, errno] of numbers) out.push([JEQ_K, jumpTo(i++, errno), 0, nr]);
  out.push(...family, [RET_K, 0, 0, RET_ALLOW]);
  for (const e of errnos) out.push([RET_K, 0, 0, RET_ERRNO | e]);
  return out;
}

/**
 * The filter for `arch` as the bytes bubblewrap reads from `--seccomp FD`
 * (an array of struct sock_filter, native byte order: little-endian on both).
 */
export function seccompFilter(arch: SeccompArch): Uint8Array {
  const native = arch === "x86_64" ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
  const main = abiBlock(
    REFUSED.map((r) => [arch === "x86_64" ? r.x86_64 : r.generic, r.errno]),
    { x32: arch === "x86_64", socket: arch === "x86_64" ? SOCKET.x86_64 : SOCKET.generic },
  );
  // i386 code on x86_64 (int 0x80): same calls, its own numbers. Other ABIs (32-bit ARM on
  // aarch64): refused whole, since its numbers are not listed here.
  const compat = arch === "x86_64"
    ? abiBlock(
      REFUSED.filter((r) => r.i386 !== undefined).map((r) => [r.i386!, r.errno]),
      { x32: false, socket: SOCKET.i386 },
    )
    : [];
  const refuseAll: Insn = [RET_K, 0, 0, RET_ERRNO | EPERM];
  const program: Insn[] = [
    [LD_W_ABS, 0, 0, OFFSET_ARCH],
    // Native ABI: fall into the main block; otherwise skip it.
    [JEQ_K, 0, main.length, native],
    ...main,
  ];
  if (compat.length > 0) {
    program.push([JEQ_K, 0, compat.length, AUDIT_ARCH_I386], ...compat);
  }
  program.push(refuseAll);
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach(([code, jt, jf, k], n) => {
    if (jt > 255 || jf > 255) throw new Error("seccomp filter: jump too far");
    view.setUint16(n * 8, code, true);
    view.setUint8(n * 8 + 2, jt);
    view.setUint8(n * 8 + 3, jf);
    view.setUint32(n * 8 + 4, k >>> 0, true);
  });
  return bytes;
}
