/**
 * The exact `[sandbox]` notes the model gets, through the real Computer's
 * live sessions (bash, python, perl, JavaScript): one note per thing the
 * sandbox denied, of the right kind (reading vs writing) with the right flag,
 * and nothing else: no note about the interpreter's own script files, no
 * network note for accesses the code never made (our own deno's update check,
 * another session's background process).
 */

import { dirname, join } from "node:path";
import type { Computer } from "../lib/computer/mod.ts";
import { displayPath } from "../lib/sandbox/paths.ts";
import { allowAll, denialNotes, SandboxSession } from "../lib/sandbox/mod.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import {
  fixturePermissions,
  type SandboxFixture,
  sandboxSkipReason,
  withFixture,
  withSandboxedComputer,
} from "./helpers/sandbox_fixture.ts";

const skip = await sandboxSkipReason();
if (skip) console.log(`sandbox denial note tests skipped: ${skip}`);
const has = (program: string, arg: string) =>
  new Deno.Command(program, { args: [arg, "1"], stdout: "null", stderr: "null" }).output().then(
    (o) => o.success,
    () => false,
  );
const hasPython = await has("python3", "-c");
const hasPerl = await has("perl", "-e");
if (!hasPython) console.log("python3 is missing: the python denial note tests are skipped");
if (!hasPerl) console.log("perl is missing: the perl denial note tests are skipped");

/** The `[sandbox]` notes at the end of a run's output, in order. */
function notesOf(output: string): string[] {
  return output.split("\n").filter((l) => l.startsWith("[sandbox] ")).map((l) => l.slice(10));
}

async function run(computer: Computer, language: string, code: string): Promise<string> {
  return textOf(await computer.run(language, code));
}

function expected(fx: SandboxFixture) {
  const show = (p: string) => displayPath(p);
  const secretDir = join(fx.home, ".ssh");
  const area = `${show(fx.work)}, the session temp directory ($TMPDIR)`;
  const protectedSecret = `${
    show(secretDir)
  } is a protected secret path (the secret list or --deny-read)`;
  const allowRead =
    `Only the user can allow it: --allow-read=${secretDir} (or dropping it from --deny-read).`;
  return {
    write: (path: string) =>
      `Writing ${
        show(path)
      } was denied by the sandbox: code may only write in ${area}. --allow-write=${
        dirname(path)
      } would allow it.`,
    writeUnnamed: (name: string) =>
      `Writing ${name} was denied by the sandbox (read-only file system): code may only write in ${area}. --allow-write=<its folder> would allow it.`,
    readSecret: (shown: string) => `Reading ${shown} was denied: ${protectedSecret}. ${allowRead}`,
    writeSecret: (shown: string) =>
      `Writing ${shown} was denied: ${protectedSecret}, which code may neither read nor change. ${allowRead} Writing there also needs --allow-write=${secretDir}.`,
    unknownSecret: (shown: string) =>
      `Access to ${shown} was denied: ${protectedSecret}; the sandbox blocks reading and changing it (the error does not say which was tried). ${allowRead}`,
  };
}

Deno.test({
  name: "denial notes (shell session): exact notes, reads as reads, no note about cell.sh",
  ignore: !!skip,
  async fn() {
    await withSandboxedComputer({}, async (computer, fx) => {
      const e = expected(fx);
      const outsideFile = join(fx.outside, "x.txt");

      const write = await run(computer, "shell", `echo pwned > ${outsideFile}`);
      assert(write.includes("Read-only file system"), write);
      assertEquals(notesOf(write), [e.write(outsideFile)], write);

      const read = await run(computer, "shell", `cat ${fx.secretFile}`);
      assert(read.includes("Permission denied") && !read.includes("SECRET-KEY-MATERIAL"), read);
      assertEquals(notesOf(read), [e.readSecret(displayPath(fx.secretFile))], read);

      // The same secret through /proc/1/root (the sandbox's own root): still a read of the secret.
      const viaProc = `/proc/1/root${fx.secretFile}`;
      const proc = await run(computer, "shell", `cat ${viaProc}`);
      assert(!proc.includes("SECRET-KEY-MATERIAL"), proc);
      assertEquals(
        notesOf(proc),
        [e.readSecret(`${viaProc} (that is ${displayPath(fx.secretFile)})`)],
        proc,
      );

      // Appending to the secret: a write (bash's redirect), not a read.
      const append = await run(computer, "shell", `echo x >> ${fx.secretFile}`);
      assertEquals(notesOf(append), [e.writeSecret(displayPath(fx.secretFile))], append);

      // A write through a relative name (a symlink in the workspace pointing outside).
      const link = await run(
        computer,
        "shell",
        `ln -sf ${outsideFile} link.txt; echo pwned-link > link.txt`,
      );
      assertEquals(notesOf(link), [e.writeUnnamed("link.txt")], link);

      // Allowed things give no note at all; the session still works.
      const ok = await run(computer, "shell", "echo fine > inside.txt; cat inside.txt");
      assertEquals(ok, "fine\n");
      assertEquals(await Deno.readTextFile(join(fx.work, "inside.txt")), "fine\n");
    });
  },
});

Deno.test({
  name: "denial notes (python session): write as write, read as read, unknown said honestly",
  ignore: !!skip || !hasPython,
  async fn() {
    await withSandboxedComputer({}, async (computer, fx) => {
      const e = expected(fx);
      const outsideFile = join(fx.outside, "y.txt");
      const write = await run(
        computer,
        "python",
        `open(${JSON.stringify(outsideFile)}, "w").write("pwned")`,
      );
      assertEquals(notesOf(write), [e.write(outsideFile)], write);

      const read = await run(
        computer,
        "python",
        `print(open(${JSON.stringify(fx.secretFile)}).read())`,
      );
      assert(read.includes("PermissionError"), read);
      assertEquals(notesOf(read), [e.readSecret(displayPath(fx.secretFile))], read);

      // A computed path: the error says "Permission denied" and the code does not name the file.
      const unknown = await run(
        computer,
        "python",
        `import os\nd = ${
          JSON.stringify(dirname(fx.secretFile))
        }\nopen(os.path.join(d, "id_test"))`,
      );
      assertEquals(notesOf(unknown), [e.unknownSecret(displayPath(fx.secretFile))], unknown);

      // Named only in an assignment: what happens to it is not on that line, so still unknown.
      const planted = join(dirname(fx.secretFile), "planted.txt");
      const assigned = await run(
        computer,
        "python",
        `p = ${JSON.stringify(planted)}\nf = open(p, "a")`,
      );
      assertEquals(notesOf(assigned), [e.unknownSecret(displayPath(planted))], assigned);

      assertEquals(await run(computer, "python", "print('ok')"), "ok\n");
    });
  },
});

Deno.test({
  name: "denial notes (perl): no path of ours (code.pl); a write is a write, a secret read a read",
  ignore: !!skip || !hasPerl,
  async fn() {
    await withSandboxedComputer({}, async (computer, fx) => {
      const e = expected(fx);
      const out = await run(
        computer,
        "perl",
        `open(F, '>', '${join(fx.outside, "p.txt")}') or die "denied: $!"; print F 'x'; close F;`,
      );
      assert(out.includes("denied: Read-only file system"), out);
      assertEquals(notesOf(out), [e.writeUnnamed("a file")], out);
      // perl's `$!` names no path: the secret the code names is reported, as named in the code.
      const read = await run(
        computer,
        "perl",
        `open(my $s, "<", "${fx.secretFile}") or die "secret: $!"; print <$s>;`,
      );
      assert(read.includes("secret: Permission denied"), read);
      assertEquals(
        notesOf(read),
        [e.readSecret(`${displayPath(fx.secretFile)} (named in the code)`)],
        read,
      );
      const append = await run(
        computer,
        "perl",
        `open(my $s, ">>", "${fx.secretFile}") or die "secret: $!"; print $s "x";`,
      );
      assertEquals(
        notesOf(append),
        [e.writeSecret(`${displayPath(fx.secretFile)} (named in the code)`)],
        append,
      );
      const ok = await run(computer, "perl", `print "fine\\n";`);
      assertEquals(ok, "fine\n");
    });
  },
});

Deno.test({
  name:
    "denial notes (network): runs that never touch the network get no note; another session's denial is not this run's",
  ignore: !!skip || !hasPython,
  async fn() {
    await withFixture(async (fx0) => {
      await withSandboxedComputer(
        { "allow-net": `127.0.0.1:${fx0.allowedPort}` },
        async (computer, fx) => {
          // Our own deno processes (the JavaScript session, the network relay of every session)
          // start with a fresh DENO_DIR: no update check may go out and be blamed on the code.
          assertEquals(await run(computer, "javascript", "console.log(1)"), "1\n");
          if (hasPerl) assertEquals(await run(computer, "perl", 'print "2\\n";'), "2\n");
          assertEquals(await run(computer, "shell", "echo 3"), "3\n");
          assertEquals(await run(computer, "python", "print(4)"), "4\n");
          assertEquals(await run(computer, "javascript", "console.log(5)"), "5\n");

          // A background job of the shell session reaches a denied host while a python run is
          // going on (ordered by files, not by time): the python run gets no note.
          const go = join(fx.work, "go");
          const done = join(fx.work, "done");
          const fetch =
            `import urllib.request\ntry: urllib.request.urlopen("http://127.0.0.1:${fx0.otherPort}/", timeout=10)\nexcept Exception: pass`;
          await Deno.writeTextFile(join(fx.work, "bg.py"), fetch);
          const started = await run(
            computer,
            "shell",
            `(for i in $(seq 400); do [ -e ${go} ] && break; sleep 0.05; done; python3 bg.py; touch ${done}) >/dev/null 2>&1 &\necho started`,
          );
          assertEquals(started, "started\n");
          const waited = await run(
            computer,
            "python",
            `import os, time\nopen(${
              JSON.stringify(go)
            }, "w").close()\nfor _ in range(400):\n    if os.path.exists(${
              JSON.stringify(done)
            }): break\n    time.sleep(0.05)\nprint("waited", os.path.exists(${
              JSON.stringify(done)
            }))`,
          );
          assertEquals(waited, "waited True\n");
          // The denial is the shell session's: its next run reports it.
          const shellNext = await run(computer, "shell", "echo next");
          assertEquals(notesOf(shellNext), [
            `Network access to 127.0.0.1:${fx0.otherPort} was denied by the sandbox (network is limited to 127.0.0.1:${fx0.allowedPort}); --allow-net=127.0.0.1:${fx0.otherPort} would allow it.`,
          ]);
          // The sessions have now lived a while (a release check would have gone out by now).
          assertEquals(await run(computer, "javascript", "console.log(6)"), "6\n");
          if (hasPerl) assertEquals(await run(computer, "perl", 'print "7\\n";'), "7\n");
          assertEquals(await run(computer, "python", "print(8)"), "8\n");
        },
      );
    });
  },
});

Deno.test({
  name:
    "sandbox session: its own deno (the network relay) makes no release check through the proxy",
  ignore: !!skip,
  async fn() {
    await withFixture(async (fx) => {
      const session = await SandboxSession.open({
        permissions: fixturePermissions(fx, { "allow-net": `127.0.0.1:${fx.allowedPort}` }),
        cwd: fx.work,
      });
      try {
        const wrapped = session.wrap(["sleep", "2"]);
        assertEquals(wrapped.env.DENO_NO_UPDATE_CHECK, "1");
        const out = await new Deno.Command(wrapped.argv[0], {
          args: wrapped.argv.slice(1),
          env: wrapped.env,
          clearEnv: true,
          cwd: fx.work,
          stdout: "null",
          stderr: "null",
          signal: AbortSignal.timeout(30_000),
        }).output();
        assertEquals(out.code, 0);
        assertEquals(session.takeNetDenials(), []);
      } finally {
        await session.close();
      }
    });
  },
});

Deno.test("denialNotes: the audit's lines give the exact notes (no bwrap needed)", () => {
  const work = "/tmp/den-unit/work";
  const secret = "/tmp/den-unit/home/.ssh";
  const permissions = {
    ...allowAll(),
    write: [work],
    denyRead: [secret],
    denyWrite: [`${work}/.git/hooks`],
  };
  const area = `${work}, the session temp directory ($TMPDIR)`;
  const notes = (output: string, code?: string) => denialNotes(output, { permissions, code });
  // bash's own script in the prefix, and a write outside.
  assertEquals(
    notes(
      "/tmp/interpreter-shell-d9d70f6e3bfb84c4/cell.sh: line 1: /tmp/den-unit/out.txt: Read-only file system",
    ),
    [
      `Writing /tmp/den-unit/out.txt was denied by the sandbox: code may only write in ${area}. --allow-write=/tmp/den-unit would allow it.`,
    ],
  );
  // perl's script in the suffix: no path of ours, one honest write note.
  assertEquals(
    notes(
      "denied: Read-only file system at /tmp/interpreter-perl-a7b59dec5b1bdfe9/code.pl line 1.",
    ),
    [
      `Writing a file was denied by the sandbox (read-only file system): code may only write in ${area}. --allow-write=<its folder> would allow it.`,
    ],
  );
  // A read through /proc/1/root is a read of the secret.
  assertEquals(notes(`cat: /proc/1/root${secret}/id_rsa: Permission denied`), [
    `Reading /proc/1/root${secret}/id_rsa (that is ${secret}/id_rsa) was denied: ${secret} is a protected secret path (the secret list or --deny-read). Only the user can allow it: --allow-read=${secret} (or dropping it from --deny-read).`,
  ]);
  // The file's own permissions on a readable path: not the sandbox, no note.
  assertEquals(notes("cat: /etc/shadow: Permission denied"), []);
  assertEquals(notes(`touch: cannot touch '${work}/ro.txt': Permission denied`), []);
  // A protected (deny-write) path written: says so, with no --allow-write suggestion.
  assertEquals(
    notes(
      `/tmp/interpreter-shell-1/cell.sh: line 1: ${work}/.git/hooks/pre-commit: Read-only file system`,
    ),
    [
      `Writing ${work}/.git/hooks/pre-commit was denied: ${work}/.git/hooks is protected against writes (start-up files, the repository's .git, or --deny-write); only the user can lift that.`,
    ],
  );
  // Python names no tool: the code decides (a write mode after the path).
  const pyErr = `PermissionError: [Errno 13] Permission denied: '${secret}/id_rsa'`;
  assertEquals(notes(pyErr, `open("${secret}/id_rsa", "a").write("x")`).length, 1);
  assertStringIncludes(notes(pyErr, `open("${secret}/id_rsa", "a").write("x")`)[0], "Writing ");
  assertStringIncludes(notes(pyErr, `print(open("${secret}/id_rsa").read())`)[0], "Reading ");
  assertStringIncludes(notes(pyErr, "open(computed())")[0], "does not say which");
  // Under -A nothing is a sandbox denial.
  assertEquals(denialNotes(pyErr, { permissions: allowAll() }), []);
});
