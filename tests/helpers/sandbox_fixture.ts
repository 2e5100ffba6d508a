/**
 * Shared set-up for the sandbox tests: a fake home with secrets, a workspace,
 * an "outside" directory, servers on 127.0.0.1 standing in for the internet,
 * and a way to run a command inside a {@linkcode SandboxSession}.
 */

import { join } from "node:path";
import { Computer } from "../../lib/computer/mod.ts";
import { StreamText } from "./stream_text.ts";
import {
  DEFAULT_SECRET_PATHS,
  defaultPermissions,
  type PermissionFlags,
  type Permissions,
  permissionsFromFlags,
  SandboxSession,
  sandboxSupport,
} from "../../lib/sandbox/mod.ts";

/** Flags over the defaults, with the fixture's fake ~/.ssh added to the secret list. */
export function fixturePermissions(fx: SandboxFixture, flags: PermissionFlags = {}): Permissions {
  const base = defaultPermissions({
    cwd: fx.work,
    secretPaths: [...DEFAULT_SECRET_PATHS, join(fx.home, ".ssh")],
  });
  return permissionsFromFlags(flags, { cwd: fx.work, base });
}

/** Everything a sandbox test needs. */
export interface SandboxFixture {
  root: string;
  home: string;
  work: string;
  outside: string;
  secretFile: string;
  allowedPort: number;
  otherPort: number;
  close(): Promise<void>;
}

/** The result of one sandboxed run. */
export interface RunResult {
  code: number;
  out: string;
  session: SandboxSession;
}

/** Why sandbox tests cannot run here, or undefined when they can. */
export async function sandboxSkipReason(): Promise<string | undefined> {
  const s = await sandboxSupport();
  if (s.kind !== "bwrap") return `no usable bubblewrap: ${s.reason ?? s.kind}`;
  return undefined;
}

/**
 * Makes a fake home with a secret, a workspace, an outside folder and two
 * servers. HOME is not changed (test modules share one process under
 * --parallel); use {@linkcode fixturePermissions} so the fake secret is denied.
 */
export async function makeFixture(): Promise<SandboxFixture> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandbox-test-" }));
  const home = join(root, "home");
  const work = join(root, "work");
  const outside = join(root, "outside");
  for (const d of [home, work, outside, join(home, ".ssh")]) {
    await Deno.mkdir(d, { recursive: true });
  }
  const secretFile = join(home, ".ssh", "id_test");
  await Deno.writeTextFile(secretFile, "SECRET-KEY-MATERIAL\n");
  await Deno.writeTextFile(join(outside, "readable.txt"), "outside-but-readable\n");
  const allowed = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("allowed-host-ok"),
  );
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("other-host-reached"),
  );
  return {
    root,
    home,
    work,
    outside,
    secretFile,
    allowedPort: allowed.addr.port,
    otherPort: other.addr.port,
    async close() {
      await allowed.shutdown();
      await other.shutdown();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** Runs `fn` with a new {@linkcode makeFixture} fixture and closes it afterwards. */
export async function withFixture<T>(fn: (fx: SandboxFixture) => Promise<T>): Promise<T> {
  const fx = await makeFixture();
  try {
    return await fn(fx);
  } finally {
    await fx.close();
  }
}

/**
 * Runs `fn` with the real Computer confined by {@linkcode fixturePermissions}
 * (with `flags`) in a new fixture; terminates the Computer and closes the fixture after.
 */
export async function withSandboxedComputer(
  flags: Record<string, string | boolean>,
  fn: (computer: Computer, fx: SandboxFixture) => Promise<void>,
): Promise<void> {
  await withFixture(async (fx) => {
    const computer = new Computer({
      permissions: fixturePermissions(fx, flags),
      cwd: fx.work,
      dataDir: join(fx.root, "data"),
      timeout: 30,
    });
    try {
      await fn(computer, fx);
    } finally {
      await computer.terminate();
    }
  });
}

/** A program running in a sandbox session, fed on stdin, its stdout read as text. */
export interface LiveSandboxed {
  session: SandboxSession;
  child: Deno.ChildProcess;
  out: StreamText;
  /** Writes `text` to the program's stdin. */
  send(text: string): Promise<void>;
}

/**
 * Starts `argv` in a new sandbox session (the fixture's default permissions, in
 * its workspace) with piped stdin/stdout and runs `fn`; afterwards closes stdin,
 * stops reading, kills the program if it still runs, and closes the session.
 */
export async function withLiveSandboxed(
  fx: SandboxFixture,
  argv: string[],
  fn: (live: LiveSandboxed) => Promise<void>,
): Promise<void> {
  const session = await SandboxSession.open({ permissions: fixturePermissions(fx), cwd: fx.work });
  const w = session.wrap(argv);
  const child = new Deno.Command(w.argv[0], {
    args: w.argv.slice(1),
    env: w.env,
    clearEnv: true,
    cwd: fx.work,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const out = new StreamText(child.stdout);
  const send = (text: string) => stdin.write(new TextEncoder().encode(text));
  try {
    await fn({ session, child, out, send });
  } finally {
    await stdin.close().catch(() => {});
    await out.cancel();
    try {
      child.kill("SIGKILL");
    } catch { /* already ended */ }
    await child.status;
    await session.close();
  }
}

/** Runs `argv` in a fresh sandbox session with `permissions`; closes the session after. */
export async function runSandboxed(
  permissions: Permissions,
  argv: string[] | ((tmpDir: string) => string[]),
  options: { cwd: string; stdin?: string; env?: Record<string, string>; keepOpen?: boolean },
): Promise<RunResult> {
  const session = await SandboxSession.open({ permissions, cwd: options.cwd });
  try {
    const command = typeof argv === "function" ? argv(session.tmpDir) : argv;
    const wrapped = session.wrap(command, { ...Deno.env.toObject(), ...(options.env ?? {}) });
    const child = new Deno.Command(wrapped.argv[0], {
      args: wrapped.argv.slice(1),
      env: wrapped.env,
      clearEnv: true,
      cwd: options.cwd,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    if (options.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(options.stdin));
      await w.close();
    }
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { code: out.code, out: text, session };
  } finally {
    if (!options.keepOpen) await session.close();
  }
}
