/**
 * The session reaper for unconfined (`-A`) sessions: a tiny static program
 * (generated here, like the Landlock launcher) that starts the session
 * command and makes sure nothing the code started outlives the session, even
 * a daemon that left with `setsid` and `env -i` (no session id, no token, no
 * parent of ours left). It becomes a child subreaper, so every orphan of the
 * session is re-parented to it, and:
 *
 * - when the session command exits, it kills every process left below it
 *   (re-reading `/proc/thread-self/children` until none is left) and exits
 *   the way the command did (same code, or the same signal);
 * - when this program dies (even by SIGKILL), its parent-death signal
 *   (SIGUSR1) makes it do the same.
 *
 * Stop signals (HUP, INT, QUIT, TERM) sent to the session's process group
 * are blocked in the reaper, which is not code; the command gets its signals
 * as before (unblocked, parent-death SIGKILL). If the reaper cannot set
 * itself up (no signalfd, no subreaper) it runs nothing: it writes one line
 * and exits 126, so the host's one-time check fails and the session's
 * watchdog (spawn.ts) is used instead; likewise on architectures other than
 * x86_64 and aarch64, for which it is not generated.
 *
 * @module
 */

import { le32, le64, staticElf } from "./elf.ts";
import { A64, A64Program, COND, SP } from "./a64.ts";

/** The reaper's file name; its process name (`comm`) is the first 15 characters. */
export const REAPER_NAME = "session-reaper";

const FAIL = "session reaper: cannot run command\n";
const SETUP_FAIL = "session reaper: cannot set up\n";
/** HUP, INT, QUIT, USR1, TERM, CHLD: bit (n - 1) for signal n. */
const BLOCKED_SIGNALS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 9) | (1 << 14) | (1 << 16);
const CHILDREN = "/proc/thread-self/children\0";

/** The read-only data and where each item sits in it. */
function dataBlock(): {
  bytes: number[];
  mask: number;
  zero: number;
  children: number;
  fail: number;
  setupFail: number;
} {
  const enc = (t: string) => [...new TextEncoder().encode(t)];
  const children = enc(CHILDREN);
  return {
    bytes: [...le64(BLOCKED_SIGNALS), ...le64(0), ...children, ...enc(FAIL), ...enc(SETUP_FAIL)],
    mask: 0,
    zero: 8,
    children: 16,
    fail: 16 + children.length,
    setupFail: 16 + children.length + FAIL.length,
  };
}

/** x86_64 machine code, with labels for rel32 jumps and RIP-relative data. */
function x86Code(dataOffset: number): number[] {
  const d = dataBlock();
  const code: number[] = [];
  const labels: Record<string, number> = {};
  const fixups: { at: number; label: string }[] = [];
  const at = (name: string) => labels[name] = code.length;
  const op = (...bytes: number[]) => code.push(...bytes);
  const rel32 = (opcode: number[], label: string) => {
    code.push(...opcode, 0, 0, 0, 0);
    fixups.push({ at: code.length - 4, label });
  };
  const jmp = (label: string) => rel32([0xe9], label);
  const jcc = (cc: number, label: string) => rel32([0x0f, cc], label); // 0f 8x rel32
  const [JE, JNE, JS, JLE, JA, JAE] = [0x84, 0x85, 0x88, 0x8e, 0x87, 0x83];
  /** lea reg, [rip + data + target]: `prefix` is REX.W 8d and the ModRM byte. */
  const leaData = (prefix: number[], target: number) => {
    const end = code.length + prefix.length + 4;
    code.push(...prefix, ...le32(dataOffset + target - end));
  };
  const movEax = (n: number) => op(0xb8, ...le32(n));
  const syscall = () => op(0x0f, 0x05);
  /** write(2, message, length), then exit_group(status). */
  const die = (message: number, length: number, status: number) => {
    movEax(1);
    op(0xbf, ...le32(2));
    leaData(LEA_RSI, message);
    op(0xba, ...le32(length));
    syscall();
    movEax(231);
    op(0xbf, ...le32(status));
    syscall();
  };
  const LEA_RSI = [0x48, 0x8d, 0x35];
  const LEA_RDI = [0x48, 0x8d, 0x3d];
  const STATUS = 0x80; // [rsp + 128]: wait4's status; [rsp]: a signalfd record;
  const BUF = 0x100; // [rsp + 256]: the children list (4096 bytes)

  op(0x48, 0x89, 0xe3); // mov rbx, rsp                  (argc, argv, envp)
  op(0x48, 0x81, 0xec, ...le32(0x1180)); // sub rsp, 4480
  movEax(14); // rt_sigprocmask(SIG_BLOCK, &mask, NULL, 8)
  op(0x31, 0xff); //   xor edi, edi
  leaData(LEA_RSI, d.mask);
  op(0x31, 0xd2); //   xor edx, edx
  op(0x41, 0xba, ...le32(8)); //   mov r10d, 8
  syscall();
  movEax(289); // signalfd4(-1, &mask, 8, 0)
  op(0xbf, ...le32(-1)); //   mov edi, -1
  leaData(LEA_RSI, d.mask);
  op(0xba, ...le32(8)); //   mov edx, 8
  op(0x45, 0x31, 0xd2); //   xor r10d, r10d
  syscall();
  op(0x49, 0x89, 0xc4); // mov r12, rax                  (the signalfd)
  op(0x48, 0x85, 0xc0); // test rax, rax
  jcc(JS, "setupFail");
  movEax(157); // prctl(PR_SET_CHILD_SUBREAPER, 1)
  op(0xbf, ...le32(36));
  op(0xbe, ...le32(1));
  syscall();
  op(0x48, 0x85, 0xc0); // test rax, rax
  jcc(JNE, "setupFail");
  movEax(157); // prctl(PR_SET_PDEATHSIG, SIGUSR1)
  op(0xbf, ...le32(1));
  op(0xbe, ...le32(10));
  syscall();
  movEax(57); // fork()
  syscall();
  op(0x48, 0x85, 0xc0); // test rax, rax
  jcc(JS, "child"); //   failed: just run the command
  jcc(JE, "child"); //   0: the child
  op(0x49, 0x89, 0xc5); // mov r13, rax                  (the command's pid)
  op(0x45, 0x31, 0xf6); // xor r14d, r14d                (its status)

  at("loop"); // wait for a signal
  op(0x31, 0xc0); // read(signalfd, rsp, 128)
  op(0x4c, 0x89, 0xe7); //   mov rdi, r12
  op(0x48, 0x89, 0xe6); //   mov rsi, rsp
  op(0xba, ...le32(128));
  syscall();
  op(0x83, 0x3c, 0x24, 10); // cmp dword [rsp], SIGUSR1  (our parent died)
  jcc(JE, "killall");
  at("reap"); // wait4(-1, &status, WNOHANG, NULL) until nothing is ready
  movEax(61);
  op(0xbf, ...le32(-1));
  op(0x48, 0x8d, 0xb4, 0x24, ...le32(STATUS)); //   lea rsi, [rsp + 128]
  op(0xba, ...le32(1));
  op(0x45, 0x31, 0xd2);
  syscall();
  op(0x48, 0x85, 0xc0); // test rax, rax
  jcc(JLE, "loop");
  op(0x4c, 0x39, 0xe8); // cmp rax, r13
  jcc(JNE, "reap");
  op(0x44, 0x8b, 0xb4, 0x24, ...le32(STATUS)); // mov r14d, [rsp + 128]: the command ended

  at("killall"); // kill every child listed, reap one, repeat until none is left
  movEax(2); // open("/proc/thread-self/children", O_RDONLY)
  leaData(LEA_RDI, d.children);
  op(0x31, 0xf6); //   xor esi, esi
  syscall();
  op(0x48, 0x85, 0xc0);
  jcc(JS, "reapBlock");
  op(0x49, 0x89, 0xc7); // mov r15, rax
  op(0x31, 0xc0); // read(fd, rsp + 256, 4096)
  op(0x4c, 0x89, 0xff); //   mov rdi, r15
  op(0x48, 0x8d, 0xb4, 0x24, ...le32(BUF)); //   lea rsi, [rsp + 256]
  op(0xba, ...le32(4096));
  syscall();
  op(0x48, 0x89, 0xc5); // mov rbp, rax                  (bytes read)
  movEax(3); // close(fd)
  op(0x4c, 0x89, 0xff);
  syscall();
  op(0x48, 0x85, 0xed); // test rbp, rbp
  jcc(JLE, "reapBlock");
  op(0x4c, 0x8d, 0x84, 0x24, ...le32(BUF)); // lea r8, [rsp + 256]   (cursor)
  op(0x4d, 0x8d, 0x0c, 0x28); // lea r9, [r8 + rbp]      (end)
  op(0x31, 0xff); // xor edi, edi                  (the pid being read)
  at("parse");
  op(0x4d, 0x39, 0xc8); // cmp r8, r9
  jcc(JAE, "reapBlock");
  op(0x41, 0x0f, 0xb6, 0x00); // movzx eax, byte [r8]
  op(0x49, 0xff, 0xc0); // inc r8
  op(0x83, 0xe8, 0x30); // sub eax, '0'
  op(0x83, 0xf8, 0x09); // cmp eax, 9
  jcc(JA, "separator");
  op(0x48, 0x6b, 0xff, 0x0a); // imul rdi, rdi, 10
  op(0x48, 0x01, 0xc7); // add rdi, rax
  jmp("parse");
  at("separator");
  op(0x48, 0x85, 0xff); // test rdi, rdi
  jcc(JE, "parse");
  movEax(62); // kill(pid, SIGKILL)
  op(0xbe, ...le32(9));
  syscall();
  op(0x31, 0xff);
  jmp("parse");
  at("reapBlock"); // wait4(-1, &status, 0, NULL): one child gone (none left: finish)
  movEax(61);
  op(0xbf, ...le32(-1));
  op(0x48, 0x8d, 0xb4, 0x24, ...le32(STATUS));
  op(0x31, 0xd2);
  op(0x45, 0x31, 0xd2);
  syscall();
  op(0x48, 0x85, 0xc0);
  jcc(JS, "finish");
  op(0x4c, 0x39, 0xe8); // cmp rax, r13
  jcc(JNE, "killall");
  op(0x44, 0x8b, 0xb4, 0x24, ...le32(STATUS)); // mov r14d, [rsp + 128]
  jmp("killall");

  at("finish"); // leave as the command did
  op(0x44, 0x89, 0xf0); // mov eax, r14d
  op(0x83, 0xe0, 0x7f); // and eax, 0x7f                (the signal, if any)
  jcc(JNE, "signaled");
  op(0x44, 0x89, 0xf7); // mov edi, r14d
  op(0xc1, 0xef, 0x08); // shr edi, 8
  op(0x81, 0xe7, ...le32(0xff)); // and edi, 0xff
  movEax(231); // exit_group(code)
  syscall();
  at("signaled");
  op(0x41, 0x89, 0xc7); // mov r15d, eax
  movEax(14); // rt_sigprocmask(SIG_SETMASK, &zero, NULL, 8)
  op(0xbf, ...le32(2));
  leaData(LEA_RSI, d.zero);
  op(0x31, 0xd2);
  op(0x41, 0xba, ...le32(8));
  syscall();
  movEax(39); // getpid()
  syscall();
  op(0x89, 0xc7); // mov edi, eax
  op(0x44, 0x89, 0xfe); // mov esi, r15d
  movEax(62); // kill(self, signal)
  syscall();
  op(0x41, 0x8d, 0xbf, ...le32(128)); // lea edi, [r15 + 128]: still alive, exit 128 + signal
  movEax(231);
  syscall();

  at("child"); // the command: default signal mask, dies with the reaper
  movEax(14); // rt_sigprocmask(SIG_SETMASK, &zero, NULL, 8)
  op(0xbf, ...le32(2));
  leaData(LEA_RSI, d.zero);
  op(0x31, 0xd2);
  op(0x41, 0xba, ...le32(8));
  syscall();
  movEax(157); // prctl(PR_SET_PDEATHSIG, SIGKILL)
  op(0xbf, ...le32(1));
  op(0xbe, ...le32(9));
  syscall();
  movEax(3); // close(signalfd)
  op(0x4c, 0x89, 0xe7);
  syscall();
  op(0x48, 0x8b, 0x0b); // mov rcx, [rbx]               (argc)
  op(0x48, 0x8d, 0x73, 0x10); // lea rsi, [rbx + 16]     (&argv[1])
  op(0x48, 0x8b, 0x3e); // mov rdi, [rsi]
  op(0x48, 0x8d, 0x54, 0xcb, 0x10); // lea rdx, [rbx + rcx*8 + 16]  (envp)
  movEax(59); // execve(argv[1], &argv[1], envp)
  syscall();
  die(d.fail, FAIL.length, 127);
  at("setupFail"); // no signalfd or no subreaper: refuse (the host then uses its watchdog)
  die(d.setupFail, SETUP_FAIL.length, 126);

  for (const f of fixups) code.splice(f.at, 4, ...le32(labels[f.label] - (f.at + 4)));
  return code;
}

/** AArch64 machine code: the same steps as {@linkcode x86Code}, same registers' roles. */
function a64Code(dataOffset: number): number[] {
  const d = dataBlock();
  const p = new A64Program();
  const op = (...w: number[]) => p.op(...w);
  const sys = (nr: number) => op(A64.movz(8, nr));
  const svc = () => op(A64.svc());
  /** write(2, message, length), then exit_group(status). */
  const die = (message: number, length: number, status: number) => {
    sys(64);
    op(A64.movz(0, 2));
    p.data(dataOffset, message, (o) => A64.adr(1, o));
    op(A64.movz(2, length));
    svc();
    sys(94);
    op(A64.movz(0, status));
    svc();
  };
  const STATUS = 128;
  const BUF = 256;
  // x19 argv base, x20 signalfd, x21 command pid, x22 its status, x23 fd, x24 bytes read,
  // x25 cursor, x26 end, x27 the pid being read, x28 = 10.
  op(A64.addImm(19, SP, 0)); // mov x19, sp
  op(A64.subImm(SP, SP, 1, true), A64.subImm(SP, SP, 0x180)); // sub sp, sp, #4480
  sys(135); // rt_sigprocmask(SIG_BLOCK, &mask, NULL, 8)
  op(A64.movz(0, 0));
  p.data(dataOffset, d.mask, (o) => A64.adr(1, o));
  op(A64.movz(2, 0), A64.movz(3, 8));
  svc();
  sys(74); // signalfd4(-1, &mask, 8, 0)
  op(A64.movn(0, 0));
  p.data(dataOffset, d.mask, (o) => A64.adr(1, o));
  op(A64.movz(2, 8), A64.movz(3, 0));
  svc();
  op(A64.mov(20, 0));
  p.to("setupFail", (o) => A64.tbnz63(0, o));
  sys(167); // prctl(PR_SET_CHILD_SUBREAPER, 1)
  op(A64.movz(0, 36), A64.movz(1, 1));
  svc();
  p.to("setupFail", (o) => A64.cbnz(0, o));
  sys(167); // prctl(PR_SET_PDEATHSIG, SIGUSR1)
  op(A64.movz(0, 1), A64.movz(1, 10));
  svc();
  sys(220); // clone(SIGCHLD, 0, 0, 0, 0): fork
  op(A64.movz(0, 17), A64.movz(1, 0), A64.movz(2, 0), A64.movz(3, 0), A64.movz(4, 0));
  svc();
  p.to("child", (o) => A64.tbnz63(0, o)); // failed: just run the command
  p.to("child", (o) => A64.cbz(0, o)); // 0: the child
  op(A64.mov(21, 0), A64.movz(22, 0));

  p.label("loop"); // read(signalfd, sp, 128)
  sys(63);
  op(A64.mov(0, 20), A64.addImm(1, SP, 0), A64.movz(2, 128));
  svc();
  op(A64.ldrW(0, SP, 0), A64.cmpImmW(0, 10)); // SIGUSR1: our parent died
  p.to("killall", (o) => A64.bcond(COND.eq, o));
  p.label("reap"); // wait4(-1, &status, WNOHANG, NULL)
  sys(260);
  op(A64.movn(0, 0), A64.addImm(1, SP, STATUS), A64.movz(2, 1), A64.movz(3, 0));
  svc();
  op(A64.cmpImm(0, 0));
  p.to("loop", (o) => A64.bcond(COND.le, o));
  op(A64.cmp(0, 21));
  p.to("reap", (o) => A64.bcond(COND.ne, o));
  op(A64.ldrW(22, SP, STATUS)); // the command ended

  p.label("killall"); // openat(AT_FDCWD, children, O_RDONLY)
  sys(56);
  op(A64.movn(0, 99));
  p.data(dataOffset, d.children, (o) => A64.adr(1, o));
  op(A64.movz(2, 0), A64.movz(3, 0));
  svc();
  p.to("reapBlock", (o) => A64.tbnz63(0, o));
  op(A64.mov(23, 0));
  sys(63); // read(fd, sp + 256, 4096)
  op(A64.addImm(1, SP, BUF), A64.movz(2, 4096));
  svc();
  op(A64.mov(24, 0));
  sys(57); // close(fd)
  op(A64.mov(0, 23));
  svc();
  op(A64.cmpImm(24, 0));
  p.to("reapBlock", (o) => A64.bcond(COND.le, o));
  op(A64.addImm(25, SP, BUF), A64.addLsl(26, 25, 24), A64.movz(27, 0), A64.movz(28, 10));
  p.label("parse");
  op(A64.cmp(25, 26));
  p.to("reapBlock", (o) => A64.bcond(COND.hs, o));
  op(A64.ldrbPost(0, 25, 1), A64.subImmW(0, 0, 48), A64.cmpImmW(0, 9));
  p.to("separator", (o) => A64.bcond(COND.hi, o));
  op(A64.madd(27, 27, 28, 0)); // pid = pid * 10 + digit
  p.to("parse", (o) => A64.b(o));
  p.label("separator");
  p.to("parse", (o) => A64.cbz(27, o));
  sys(129); // kill(pid, SIGKILL)
  op(A64.mov(0, 27), A64.movz(1, 9));
  svc();
  op(A64.movz(27, 0));
  p.to("parse", (o) => A64.b(o));
  p.label("reapBlock"); // wait4(-1, &status, 0, NULL)
  sys(260);
  op(A64.movn(0, 0), A64.addImm(1, SP, STATUS), A64.movz(2, 0), A64.movz(3, 0));
  svc();
  p.to("finish", (o) => A64.tbnz63(0, o));
  op(A64.cmp(0, 21));
  p.to("killall", (o) => A64.bcond(COND.ne, o));
  op(A64.ldrW(22, SP, STATUS));
  p.to("killall", (o) => A64.b(o));

  p.label("finish"); // leave as the command did
  op(A64.ubfxW(0, 22, 0, 7));
  p.to("signaled", (o) => A64.cbnzW(0, o));
  op(A64.ubfxW(0, 22, 8, 8));
  sys(94);
  svc();
  p.label("signaled");
  op(A64.mov(23, 0));
  sys(135); // rt_sigprocmask(SIG_SETMASK, &zero, NULL, 8)
  op(A64.movz(0, 2));
  p.data(dataOffset, d.zero, (o) => A64.adr(1, o));
  op(A64.movz(2, 0), A64.movz(3, 8));
  svc();
  sys(172); // getpid()
  svc();
  op(A64.mov(1, 23));
  sys(129); // kill(self, signal)
  svc();
  op(A64.addImm(0, 23, 128)); // still alive: exit 128 + signal
  sys(94);
  svc();

  p.label("child"); // the command: default signal mask, dies with the reaper
  sys(135);
  op(A64.movz(0, 2));
  p.data(dataOffset, d.zero, (o) => A64.adr(1, o));
  op(A64.movz(2, 0), A64.movz(3, 8));
  svc();
  sys(167); // prctl(PR_SET_PDEATHSIG, SIGKILL)
  op(A64.movz(0, 1), A64.movz(1, 9));
  svc();
  sys(57); // close(signalfd)
  op(A64.mov(0, 20));
  svc();
  op(A64.ldr(9, 19, 0), A64.addImm(1, 19, 16), A64.ldr(0, 1, 0), A64.addLsl(2, 1, 9, 3));
  sys(221); // execve(argv[1], &argv[1], envp)
  svc();
  die(d.fail, FAIL.length, 127);
  p.label("setupFail");
  die(d.setupFail, SETUP_FAIL.length, 126);
  return p.bytes();
}

/** The reaper as a static ELF executable, for the architectures it exists for. */
export function sessionReaper(arch: string = Deno.build.arch): Uint8Array | undefined {
  if (arch === "x86_64") return staticElf("x86_64", x86Code, dataBlock().bytes);
  if (arch === "aarch64") return staticElf("aarch64", a64Code, dataBlock().bytes);
  return undefined;
}

let runs: boolean | undefined;

/**
 * Writes the reaper into `dir` (a host-only folder, e.g. a session's private
 * folder) and returns its path; undefined when there is no reaper for this
 * machine or it cannot run here (checked once: a temp folder mounted noexec).
 */
export function writeReaper(dir: string): string | undefined {
  if (runs === false || Deno.build.os !== "linux") return undefined;
  const elf = sessionReaper();
  if (!elf) return undefined;
  const path = `${dir}/${REAPER_NAME}`;
  try {
    Deno.writeFileSync(path, elf, { createNew: true, mode: 0o500 });
    runs ??= new Deno.Command(path, {
      args: ["/bin/sh", "-c", "exit 3"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().code === 3;
  } catch {
    runs = false;
  }
  return runs ? path : undefined;
}
