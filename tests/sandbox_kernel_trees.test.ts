/**
 * No grant reaches the kernel's trees: a write grant on /proc/sys used to bind
 * the host's procfs writable (root could open kernel.core_pattern for
 * writing), and a read grant on /proc showed the host's processes. Flags and
 * profiles refuse such grants with one line; a library Permissions object
 * holding them is not bound.
 */

import { assert, assertEquals, assertStringIncludes, assertThrows } from "./helpers/assert.ts";
import { Computer } from "../lib/computer/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { permissionsFromFlags } from "../lib/sandbox/flags.ts";
import { allowAll, type Permissions } from "../lib/sandbox/permissions.ts";
import { kernelTree } from "../lib/sandbox/kernel_trees.ts";
import { sandboxSkipReason } from "./helpers/sandbox_fixture.ts";
import { runCli } from "./helpers/terminal_cli.ts";

const skip = await sandboxSkipReason();
const isRoot = Deno.uid() === 0;

/** Opens core_pattern for appending (writes nothing) and reads /proc/1/cmdline. */
const PROBE = `
def t(name, f):
    try:
        print("RESULT", name, "ok", f(), flush=True)
    except OSError as e:
        print("RESULT", name, "denied", e, flush=True)
t("core_pattern", lambda: open("/proc/sys/kernel/core_pattern", "a").close())
t("init", lambda: open("/proc/1/cmdline", "rb").read().split(b"\\0")[0].decode())
`;

async function probe(permissions: Permissions, cwd: string): Promise<string> {
  const computer = new Computer({ permissions, cwd, dataDir: `${cwd}/.data` });
  try {
    const out = await computer.run("python", PROBE);
    return out.map((m) => String(m.content ?? "")).join("");
  } finally {
    await computer.terminate();
  }
}

Deno.test("kernel trees: flags refuse write grants in /proc, /sys, /dev and read grants in /proc, /dev", () => {
  for (
    const [flag, path] of [
      ["allow-write", "/proc/sys"],
      ["allow-write", "/proc/sys/kernel"],
      ["allow-write", "/sys/kernel"],
      ["allow-write", "/dev/sda"],
      ["allow-read", "/proc"],
      ["allow-read", "/proc/1"],
    ] as const
  ) {
    const error = assertThrows(() => permissionsFromFlags({ [flag]: path }, { cwd: "/tmp" }));
    const message = (error as Error).message;
    assertStringIncludes(message, `--${flag}=${path}:`);
    assertEquals(message.includes("\n"), false, "one line");
  }
  // Controls: ordinary grants, and reading /sys, stay allowed.
  const ok = permissionsFromFlags({ "allow-write": "/tmp/x", "allow-read": "/sys,/etc" }, {
    cwd: "/tmp",
  });
  assert(Array.isArray(ok.write) && ok.write.includes("/tmp/x"));
  assertEquals(kernelTree("/sys/class", "read"), undefined);
  assertEquals(kernelTree("/processes", "write"), undefined, "a prefix is not a tree");
});

Deno.test("kernel trees: the CLI says so in one line and exits 2", async () => {
  const home = await Deno.makeTempDir({ prefix: "kernel-trees-cli-" });
  try {
    const r = await runCli(["--allow-write=/proc/sys", "hello"], { home });
    assertEquals(r.code, 2, r.stderr);
    assertStringIncludes(r.stderr, "/proc/sys is inside /proc");
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name: "kernel trees: a library grant on /proc/sys and /proc binds nothing of the host's (root)",
  ignore: !!skip || !isRoot,
  async fn() {
    const cwd = await Deno.makeTempDir({ prefix: "kernel-trees-" });
    try {
      const base = defaultPermissions({ cwd });
      const granted: Permissions = {
        ...base,
        write: [cwd, "/proc/sys", "/sys/kernel"],
        read: ["/proc", cwd],
      };
      const inside = await probe(granted, cwd);
      assertStringIncludes(inside, "RESULT core_pattern denied");
      // The sandbox's own /proc: its first process is the sandbox's, not the host's init.
      assert(!/RESULT init ok (\/sbin\/init|\/usr\/lib\/systemd|init)\n/.test(inside), inside);
      // Control: unconfined, the same probe opens core_pattern for writing and sees the host's init.
      const outside = await probe(allowAll(), cwd);
      assertStringIncludes(outside, "RESULT core_pattern ok");
      assert(!outside.includes(inside.match(/RESULT init [^\n]*/)?.[0] ?? "\0"), outside);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
