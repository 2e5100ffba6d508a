/**
 * Permission flags, profiles, defaults, the start-up line, the environment
 * filter, Deno flags, host matching and the Seatbelt profile generator.
 */

import { join } from "node:path";
import {
  allowAll,
  bwrapArgs,
  DEFAULT_SECRET_ENV,
  defaultPermissions,
  denoFlags,
  describePermissions,
  isAllowAll,
  permissionsFromFlags,
  permissionsFromProfile,
  sandboxEnv,
  SandboxSession,
  SandboxUnavailableError,
  seatbeltProfile,
} from "../lib/sandbox/mod.ts";
import { hostAllowed, hostMatches } from "../lib/sandbox/hosts.ts";
import { configDir } from "../lib/storage/paths.ts";
import { homeDir } from "../lib/storage/path.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./helpers/assert.ts";

const root = Deno.makeTempDirSync({ prefix: "sandbox-perm-test-" });
// The real home: tests only compute paths under it, never touch it. (No Deno.env.set: test
// modules share one process under --parallel.)
const home = homeDir();
const cwd = join(root, "work");
Deno.mkdirSync(cwd, { recursive: true });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

Deno.test("defaults: read all but secrets (incl. own config), write cwd, net on, no API keys", () => {
  const p = defaultPermissions({ cwd });
  assertEquals(p.read, true);
  assertEquals(p.write, [cwd]);
  assert(
    p.denyWrite.includes(join(cwd, ".git")) && p.denyWrite.includes(join(home, ".bashrc")),
  );
  assertEquals(p.net, true);
  assertEquals(p.run, true);
  for (const s of [".ssh", ".aws", ".gnupg", ".netrc", ".mozilla", ".config/google-chrome"]) {
    assert(p.denyRead.includes(join(home, s)), `${s} is denied`);
  }
  assert(p.denyRead.includes(configDir()), "the interpreter's own config (API keys) is denied");
  assert(p.denyEnv.includes("OPENAI_API_KEY") && p.denyEnv.includes("ANTHROPIC_API_KEY"));
  assert(!isAllowAll(p));
  const custom = defaultPermissions({ cwd, secretPaths: ["~/vault"] });
  assertEquals(custom.denyRead, [join(home, "vault")]);
});

Deno.test("flags: Deno-style allow/deny lists, kebab/camel/snake keys, merged over defaults", () => {
  const p = permissionsFromFlags({
    "allow-net": "pypi.org,GitHub.com",
    allowWrite: ["data", "/srv/out"],
    deny_read: "secret.txt",
    "deny-run": ["curl", "wget"],
  }, { cwd });
  assertEquals(p.net, ["pypi.org", "github.com"]);
  assertEquals(p.write, [cwd, join(cwd, "data"), "/srv/out"]);
  assert(p.denyRead.includes(join(cwd, "secret.txt")));
  assert(p.denyRead.includes(join(home, ".ssh")), "defaults kept");
  assertEquals(p.denyRun, ["curl", "wget"]);
  assertEquals(p.read, true);
  // A bare flag grants the whole kind; a bare deny removes it.
  assertEquals(permissionsFromFlags({ "allow-write": true }, { cwd }).write, true);
  assertEquals(permissionsFromFlags({ "deny-net": true }, { cwd }).net, false);
  // Allowing a default secret exactly lifts that deny only.
  const ssh = permissionsFromFlags({ "allow-read": "~/.ssh" }, { cwd });
  assert(!ssh.denyRead.includes(join(home, ".ssh")));
  assert(ssh.denyRead.includes(join(home, ".aws")));
  assertEquals(ssh.read, [join(home, ".ssh")]);
});

Deno.test("flags: -A grants everything, --deny-* still applies; bad values are one-line errors", () => {
  assert(isAllowAll(permissionsFromFlags({ A: true }, { cwd })));
  assert(isAllowAll(permissionsFromFlags({ allow_all: true }, { cwd })));
  const p = permissionsFromFlags({ "allow-all": true, "deny-net": "evil.com" }, { cwd });
  assertEquals(p.net, true);
  assertEquals(p.denyNet, ["evil.com"]);
  assertThrows(
    () => permissionsFromFlags({ "allow-net": "" }, { cwd }),
    Error,
    "--allow-net was given an empty list",
  );
  assertThrows(
    () => permissionsFromFlags({ "allow-net": "bad host!" }, { cwd }),
    Error,
    "is not a host",
  );
  assertThrows(
    () => permissionsFromFlags({ A: "x" }, { cwd }),
    Error,
    "-A / --allow-all takes no value",
  );
});

Deno.test("profile: permissions section with validation errors naming the key", () => {
  const p = permissionsFromProfile({
    "allow-net": ["pypi.org"],
    allow_write: "out",
    denyRead: ["private"],
    run: ["python3", "git"],
    "secret-paths": ["~/.ssh", "~/vault"],
  }, { cwd });
  assertEquals(p.net, ["pypi.org"]);
  assertEquals(p.write, [cwd, join(cwd, "out")]);
  assertEquals(p.run, ["python3", "git"]);
  assertEquals(p.denyRead, [join(home, ".ssh"), join(home, "vault"), join(cwd, "private")]);
  assert(isAllowAll(permissionsFromProfile({ "allow-all": true }, { cwd })));
  assertEquals(permissionsFromProfile(undefined, { cwd }), defaultPermissions({ cwd }));
  assertThrows(
    () => permissionsFromProfile({ "allow-reed": true }, { cwd }),
    Error,
    "permissions.allow-reed: unknown key; expected one of",
  );
  assertThrows(
    () => permissionsFromProfile({ "allow-net": 3 }, { cwd }),
    Error,
    "permissions.allow-net: expected true, false, or a list of text (got number)",
  );
  assertThrows(
    () => permissionsFromProfile({ "allow-all": "yes" }, { cwd, where: "profile x: permissions" }),
    Error,
    "profile x: permissions.allow-all: expected true or false",
  );
  assertThrows(
    () => permissionsFromProfile(["a"], { cwd }),
    Error,
    "permissions: expected a mapping",
  );
  // Flags over a profile.
  const merged = permissionsFromFlags({ "allow-net": true }, { cwd, base: p });
  assertEquals(merged.net, true);
  assertEquals(merged.run, ["python3", "git"]);
});

Deno.test("describePermissions: the one start-up line", () => {
  const line = describePermissions(defaultPermissions({ cwd }), { cwd });
  assertStringIncludes(line, "Permissions: read all except ~/.ssh, ~/.aws, ~/.gnupg, ~/.netrc +");
  assertStringIncludes(line, "write . and session temp except ./.git");
  assertStringIncludes(line, "net all");
  assertStringIncludes(line, "env all except API keys");
  assertStringIncludes(line, "run all");
  assert(!line.includes("\n"));
  const net = describePermissions(
    permissionsFromFlags({ "allow-net": "pypi.org", "deny-run": "curl" }, { cwd }),
    { cwd },
  );
  assertStringIncludes(net, "net pypi.org");
  assertStringIncludes(net, "run all except curl");
  assertStringIncludes(describePermissions(allowAll()), "everything allowed (-A)");
});

Deno.test("sandboxEnv: API keys never pass, whatever the permissions; env lists filter", () => {
  const env = {
    PATH: "/usr/bin",
    HOME: home,
    OPENAI_API_KEY: "sk-aaaaaaaaaaaa",
    MY_PROVIDER_KEY: "zzz-secret-value-123",
    WITH_VALUE: "prefix zzz-secret-value-123",
    FOO: "1",
    BAR: "2",
  };
  const all = sandboxEnv(env, allowAll(), {
    secretEnv: ["MY_PROVIDER_KEY"],
    secretValues: ["zzz-secret-value-123"],
    tmpDir: "/tmp/s",
  });
  assertEquals(Object.keys(all).sort(), ["BAR", "FOO", "HOME", "PATH", "TEMP", "TMP", "TMPDIR"]);
  assertEquals(all.TMPDIR, "/tmp/s");
  const listed = sandboxEnv(env, {
    ...defaultPermissions({ cwd }),
    env: ["FOO", "OPENAI_API_KEY"],
  });
  assertEquals(Object.keys(listed).sort(), ["FOO", "HOME", "PATH"]);
  assert(DEFAULT_SECRET_ENV.includes("ANTHROPIC_API_KEY"));
  // A key given by flag: any variable holding it is dropped, whatever its name.
  const custom = sandboxEnv({ PATH: "/usr/bin", MY_LLM: "flag-given-key-0123456789" }, allowAll(), {
    secretValues: ["flag-given-key-0123456789"],
  });
  assertEquals(custom.MY_LLM, undefined);
});

Deno.test("denoFlags: Deno's own flags, session temp writable, --no-prompt", () => {
  const p = permissionsFromFlags({ "allow-net": "pypi.org", "deny-run": "curl" }, { cwd });
  const flags = denoFlags(p, { tmpDir: "/tmp/sess", extraRead: ["/opt/runner.ts"] });
  assert(flags.includes("--allow-read"));
  assert(flags.includes(`--allow-write=${cwd},/tmp/sess`));
  assert(flags.includes("--allow-net=pypi.org"));
  assert(flags.includes("--deny-run=curl"));
  assert(flags.some((f) => f.startsWith("--deny-read=") && f.includes(join(home, ".ssh"))));
  assert(flags.some((f) => f.startsWith("--deny-env=") && f.includes("OPENAI_API_KEY")));
  assertEquals(flags.at(-1), "--no-prompt");
  assertEquals(denoFlags(allowAll()), ["--allow-all", "--no-prompt"]);
  const none = denoFlags({ ...p, read: ["/data"], net: false, run: false });
  assert(none.includes("--allow-read=/data"));
  assert(!none.some((f) => f.startsWith("--allow-net") || f.startsWith("--allow-run")));
});

Deno.test("hosts: exact, port-scoped and wildcard entries; deny wins", () => {
  assert(hostMatches("pypi.org", { host: "PyPI.org", port: 443 }));
  assert(!hostMatches("pypi.org", { host: "files.pypi.org", port: 443 }));
  assert(hostMatches("*.github.com", { host: "api.github.com", port: 443 }));
  assert(hostMatches("*.github.com", { host: "github.com", port: 443 }));
  assert(hostMatches("127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }));
  assert(!hostMatches("127.0.0.1:8080", { host: "127.0.0.1", port: 8081 }));
  assert(hostAllowed({ host: "good.com", port: 80 }, { allow: true, deny: ["evil.com"] }));
  assert(!hostAllowed({ host: "evil.com", port: 80 }, { allow: true, deny: ["evil.com"] }));
  assert(
    !hostAllowed({ host: "x.evil.com", port: 443 }, {
      allow: ["*.evil.com"],
      deny: ["x.evil.com"],
    }),
  );
  assert(!hostAllowed({ host: "good.com", port: 80 }, { allow: false, deny: [] }));
});

Deno.test("bwrap arguments: ro root, writable grants, masked secrets, namespaces, no caps", () => {
  const secrets = join(root, "secrets");
  Deno.mkdirSync(secrets, { recursive: true });
  const p = permissionsFromFlags({ "deny-net": true, "deny-read": secrets }, { cwd });
  const args = bwrapArgs(p, { cwd, tmpDir: root, maskFile: "/dev/null", unshareNet: true });
  const text = args.join(" ");
  for (
    const a of [
      "--new-session",
      "--die-with-parent",
      "--unshare-pid",
      "--unshare-net",
      "--cap-drop ALL",
      "--ro-bind / /",
      "--proc /proc",
      "--dev /dev",
    ]
  ) {
    assertStringIncludes(text, a);
  }
  assertStringIncludes(text, `--bind ${cwd} ${cwd}`);
  assertStringIncludes(text, `--perms 0000 --tmpfs ${secrets}`);
  assertStringIncludes(text, `--chdir ${cwd}`);
});

Deno.test("seatbelt profile (macOS; generated only, cannot run here)", () => {
  const p = permissionsFromFlags({ "allow-net": "pypi.org" }, { cwd });
  const profile = seatbeltProfile(p, { tmpDir: "/tmp/sess", proxyPort: 4242 });
  assertStringIncludes(profile, "(deny default)");
  assertStringIncludes(profile, "(allow file-read*)");
  assertStringIncludes(profile, `(deny file-read* (subpath "${join(home, ".ssh")}")`);
  assertStringIncludes(profile, `(allow file-write* (subpath "${cwd}")`);
  assertStringIncludes(profile, '(allow network-outbound (remote tcp "localhost:4242"))');
  assert(!profile.includes("(allow network*)"));
});

Deno.test("no sandbox and not -A: the session refuses with how to fix it; -A needs none", async () => {
  try {
    await SandboxSession.open({ permissions: defaultPermissions({ cwd }), cwd, kind: "none" });
    throw new Error("expected SandboxUnavailableError");
  } catch (e) {
    assert(e instanceof SandboxUnavailableError, String(e));
    assertStringIncludes(e.message, "apt-get install bubblewrap");
    assertStringIncludes(e.message, "-A / --allow-all");
  }
  const s = await SandboxSession.open({ permissions: allowAll(), cwd });
  try {
    assertEquals(s.kind, "none");
    const w = s.wrap(["python3", "-c", "1"], { PATH: "/usr/bin", OPENAI_API_KEY: "sk-xxxxxxxxxx" });
    assertEquals(w.argv, ["python3", "-c", "1"]);
    assertEquals(w.env.OPENAI_API_KEY, undefined);
  } finally {
    await s.close();
  }
});
