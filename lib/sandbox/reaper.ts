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
 * itself up (no signalfd, fork fails) it runs the command directly.
 *
 * x86_64 only: elsewhere the session's watchdog (spawn.ts) remains.
 *
 * @module
 */

import { le32, le64, staticElf } from "./elf.ts";

/** The reaper's file name; its process name (`comm`) is the first 15 characters. */
export const REAPER_NAME = "session-reaper";

const FAIL = "session reaper: cannot run command\n";
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
} {
  const children = new TextEncoder().encode(CHILDREN);
  return {
    bytes: [...le64(BLOCKED_SIGNALS), ...le64(0), ...children, ...new TextEncoder().encode(FAIL)],
    mask: 0,
    zero: 8,
    children: 16,
    fail: 16 + children.length,
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
  jcc(JS, "child"); //   none: just run the command
  movEax(157); // prctl(PR_SET_CHILD_SUBREAPER, 1)
  op(0xbf, ...le32(36));
  op(0xbe, ...le32(1));
  syscall();
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
  movEax(1); // write(2, FAIL, len)
  op(0xbf, ...le32(2));
  leaData(LEA_RSI, d.fail);
  op(0xba, ...le32(FAIL.length));
  syscall();
  movEax(231); // exit_group(127)
  op(0xbf, ...le32(127));
  syscall();

  for (const f of fixups) code.splice(f.at, 4, ...le32(labels[f.label] - (f.at + 4)));
  return code;
}

/** The reaper as a static ELF executable, for the architectures it exists for. */
export function sessionReaper(arch: string = Deno.build.arch): Uint8Array | undefined {
  return arch === "x86_64" ? staticElf("x86_64", x86Code, dataBlock().bytes) : undefined;
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
