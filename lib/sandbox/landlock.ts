/**
 * The in-sandbox launcher that closes the host's abstract unix sockets
 * (an X server's `@/tmp/.X11-unix/X0`, D-Bus, ...) to generated code while
 * the network is shared: a Landlock domain with the abstract-unix-socket
 * scope (Landlock ABI >= 6, Linux >= 6.12). Such a domain refuses `connect()`
 * to abstract sockets created outside it; path sockets, TCP and everything
 * else stay as they were. The domain is inherited across fork and exec, so
 * it is applied once, by the first program bubblewrap runs, which then execs
 * the session command.
 *
 * That program is a tiny static ELF generated here (no interpreter to start:
 * it costs one exec). It does, in order:
 *
 * 1. `fd = landlock_create_ruleset({fs: 0, net: 0, scoped: ABSTRACT_UNIX_SOCKET}, 24, 0)`
 * 2. `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` (required to restrict oneself)
 * 3. `landlock_restrict_self(fd, 0)` and `close(fd)`
 * 4. `execve(argv[1], &argv[1], envp)` (argv[1] must be an absolute path)
 *
 * On a failed step it writes one line to stderr and exits 126 (Landlock) or
 * 127 (exec): it never runs the command unconfined.
 *
 * @module
 */

import { type ElfArch, le32, le64, staticElf } from "./elf.ts";
import { A64, SP } from "./a64.ts";

/** Architectures the launcher is generated for. */
export type LauncherArch = ElfArch;

/** `struct landlock_ruleset_attr`: handled_access_fs, handled_access_net, scoped. */
const LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET = 1;
const FAIL_LANDLOCK = "sandbox: cannot apply the Landlock abstract-socket scope\n";
const FAIL_EXEC = "sandbox: cannot run the session command\n";

/** The data after the code: the ruleset attribute and the two messages. */
function dataBlock(): { bytes: number[]; attr: number; failLandlock: number; failExec: number } {
  const attr = [...le64(0), ...le64(0), ...le64(LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)];
  const a = new TextEncoder().encode(FAIL_LANDLOCK);
  const b = new TextEncoder().encode(FAIL_EXEC);
  return {
    bytes: [...attr, ...a, ...b],
    attr: 0,
    failLandlock: attr.length,
    failExec: attr.length + a.length,
  };
}

/**
 * x86_64 code. `lea reg, [rip + disp32]` operands are patched once the data's
 * place is known (`data` is the data block's offset from the code start).
 */
function x86Code(data: number): number[] {
  const d = dataBlock();
  const code: number[] = [];
  const lea = (modrm: number, target: number) => {
    // 48 8d /r with mod=00 rm=101 (RIP-relative); displacement from the next instruction.
    const end = code.length + 7;
    code.push(0x48, 0x8d, modrm, ...le32(data + target - end));
  };
  const movEax = (imm: number) => code.push(0xb8, ...le32(imm)); // mov eax, imm32
  const syscall = () => code.push(0x0f, 0x05);
  const jumps: { at: number; label: string }[] = [];
  const jcc = (op: number, label: string) => { // short jump, rel8 patched below
    code.push(op, 0);
    jumps.push({ at: code.length - 1, label });
  };
  const labels: Record<string, number> = {};

  movEax(444); // landlock_create_ruleset(&attr, 24, 0)
  lea(0x3d, d.attr); //   lea rdi, [rip + attr]
  code.push(0xbe, ...le32(24)); //   mov esi, 24
  code.push(0x31, 0xd2); //   xor edx, edx
  syscall();
  code.push(0x48, 0x85, 0xc0); // test rax, rax
  jcc(0x78, "fail"); //   js fail
  code.push(0x49, 0x89, 0xc4); // mov r12, rax   (the ruleset fd)
  movEax(157); // prctl(PR_SET_NO_NEW_PRIVS = 38, 1, 0, 0, 0)
  code.push(0xbf, ...le32(38)); //   mov edi, 38
  code.push(0xbe, ...le32(1)); //   mov esi, 1
  code.push(0x31, 0xd2); //   xor edx, edx
  code.push(0x45, 0x31, 0xd2); //   xor r10d, r10d
  code.push(0x45, 0x31, 0xc0); //   xor r8d, r8d
  syscall();
  code.push(0x48, 0x85, 0xc0); // test rax, rax
  jcc(0x75, "fail"); //   jnz fail
  movEax(446); // landlock_restrict_self(fd, 0)
  code.push(0x4c, 0x89, 0xe7); //   mov rdi, r12
  code.push(0x31, 0xf6); //   xor esi, esi
  syscall();
  code.push(0x48, 0x85, 0xc0); // test rax, rax
  jcc(0x75, "fail"); //   jnz fail
  movEax(3); // close(fd)
  code.push(0x4c, 0x89, 0xe7); //   mov rdi, r12
  syscall();
  code.push(0x48, 0x8b, 0x0c, 0x24); // mov rcx, [rsp]          (argc)
  code.push(0x48, 0x8d, 0x74, 0x24, 0x10); // lea rsi, [rsp + 16]  (&argv[1])
  code.push(0x48, 0x8b, 0x3e); // mov rdi, [rsi]                (argv[1])
  code.push(0x48, 0x8d, 0x54, 0xcc, 0x10); // lea rdx, [rsp + rcx*8 + 16]  (envp)
  movEax(59); // execve(argv[1], &argv[1], envp): returns only on failure
  syscall();
  code.push(0xbb, ...le32(127)); // mov ebx, 127
  lea(0x35, d.failExec); //   lea rsi, [rip + FAIL_EXEC]
  code.push(0xba, ...le32(FAIL_EXEC.length)); //   mov edx, len
  jcc(0xeb, "die"); //   jmp die
  labels.fail = code.length;
  code.push(0xbb, ...le32(126)); // fail: mov ebx, 126
  lea(0x35, d.failLandlock); //   lea rsi, [rip + FAIL_LANDLOCK]
  code.push(0xba, ...le32(FAIL_LANDLOCK.length)); //   mov edx, len
  labels.die = code.length;
  movEax(1); // die: write(2, msg, len)
  code.push(0xbf, ...le32(2)); //   mov edi, 2
  syscall();
  movEax(231); // exit_group(ebx)
  code.push(0x89, 0xdf); //   mov edi, ebx
  syscall();
  for (const j of jumps) code[j.at] = (labels[j.label] - (j.at + 1)) & 0xff;
  return code;
}

/** AArch64 code; `data` is the data block's offset from the code start. */
function a64Code(data: number): number[] {
  const d = dataBlock();
  const words: (number | ((at: number) => number))[] = [];
  const labels: Record<string, number> = {};
  const here = () => words.length * 4;
  const toLabel = (name: string, enc: (off: number) => number) =>
    words.push((at: number) => enc(labels[name] - at));
  const toData = (rd: number, target: number) =>
    words.push((at: number) => A64.adr(rd, data + target - at));

  words.push(A64.movz(8, 444)); // landlock_create_ruleset(&attr, 24, 0)
  toData(0, d.attr); //   adr x0, attr
  words.push(A64.movz(1, 24), A64.movz(2, 0), A64.svc());
  toLabel("fail", (o) => A64.tbnz63(0, o)); // negative result: fail
  words.push(A64.mov(19, 0)); // x19 = the ruleset fd
  words.push(A64.movz(8, 167), A64.movz(0, 38), A64.movz(1, 1)); // prctl(PR_SET_NO_NEW_PRIVS, 1,
  words.push(A64.movz(2, 0), A64.movz(3, 0), A64.movz(4, 0), A64.svc()); //   0, 0, 0)
  toLabel("fail", (o) => A64.cbnz(0, o));
  words.push(A64.movz(8, 446), A64.mov(0, 19), A64.movz(1, 0), A64.svc()); // landlock_restrict_self
  toLabel("fail", (o) => A64.cbnz(0, o));
  words.push(A64.movz(8, 57), A64.mov(0, 19), A64.svc()); // close(fd)
  words.push(A64.ldr(9, SP, 0)); // x9 = argc
  words.push(A64.addImm(1, SP, 16)); // x1 = &argv[1]
  words.push(A64.ldr(0, 1, 0)); // x0 = argv[1]
  words.push(A64.addLsl(2, 1, 9, 3)); // x2 = &argv[1] + 8 * argc = envp
  words.push(A64.movz(8, 221), A64.svc()); // execve: returns only on failure
  words.push(A64.movz(19, 127));
  toData(1, d.failExec);
  words.push(A64.movz(2, FAIL_EXEC.length));
  toLabel("die", (o) => A64.b(o));
  labels.fail = here();
  words.push(A64.movz(19, 126)); // fail:
  toData(1, d.failLandlock);
  words.push(A64.movz(2, FAIL_LANDLOCK.length));
  labels.die = here();
  words.push(A64.movz(8, 64), A64.movz(0, 2), A64.svc()); // die: write(2, msg, len)
  words.push(A64.movz(8, 94), A64.mov(0, 19), A64.svc()); // exit_group(x19)
  return words.flatMap((w, i) => le32(typeof w === "number" ? w : w(i * 4)));
}

/** The launcher for `arch` as a complete static ELF executable. */
export function landlockLauncher(arch: LauncherArch): Uint8Array {
  return staticElf(arch, arch === "x86_64" ? x86Code : a64Code, dataBlock().bytes);
}
