/**
 * Runs one command in a sandbox session from a separate process, so a test
 * can give it its own HOME, PATH and folders (the sandbox reads them from the
 * environment; test modules share one process). Usage:
 * `deno run -A sandbox_home_child.ts '<json>'` with `{cwd, argv, flags?, allowAll?,
 * secretFiles?}`; prints `{code, out}` as JSON on the last line.
 */

import { permissionsFromFlags } from "../../lib/sandbox/flags.ts";
import { allowAll } from "../../lib/sandbox/permissions.ts";
import { SandboxSession } from "../../lib/sandbox/sandbox.ts";
import { registerSecretFile } from "../../lib/sandbox/secret_files.ts";

interface Request {
  cwd: string;
  argv: string[];
  flags?: Record<string, string | string[] | boolean>;
  allowAll?: boolean;
  secretFiles?: string[];
}

const request = JSON.parse(Deno.args[0]) as Request;
for (const f of request.secretFiles ?? []) registerSecretFile(f);
const permissions = request.allowAll
  ? allowAll()
  : permissionsFromFlags(request.flags ?? {}, { cwd: request.cwd });
const session = await SandboxSession.open({ permissions, cwd: request.cwd });
const wrapped = session.wrap(request.argv);
const out = await new Deno.Command(wrapped.argv[0], {
  args: wrapped.argv.slice(1),
  env: wrapped.env,
  clearEnv: true,
  cwd: request.cwd,
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
  signal: AbortSignal.timeout(60_000),
}).output();
await session.close();
const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
console.log(JSON.stringify({ code: out.code, out: text }));
