/**
 * `interpreter --server`: the HTTP/WebSocket server with each session's
 * interpreter made from the profile's settings (and its container or store
 * when the profile asks for one).
 *
 * @module
 */

import type { Permissions } from "../sandbox/permissions.ts";
import type { Profile } from "../profiles/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { lazyImport } from "./lazy_import.ts";
import type { ParsedArgs } from "./flags.ts";
import { interpreterOptionsFromProfile } from "./settings.ts";
import { DISPLAY_WARNING } from "./chat_loop.ts";
import { nameKeySource, UsageProblem } from "./startup.ts";

/** Serves until the server ends (a signal); resolves to the exit status. */
export async function runServer(
  flags: ParsedArgs["flags"],
  profile: Profile,
  permissions: Permissions | undefined,
): Promise<number> {
  const { startServer } = await lazyImport<typeof import("../server/mod.ts")>(
    "../server/mod.ts",
    import.meta.url,
  );
  const { Interpreter } = await import("../core/interpreter.ts");
  const options = interpreterOptionsFromProfile(profile, permissions);
  nameKeySource(options, flags);
  if (permissions?.display) console.error(`interpreter: warning: ${DISPLAY_WARNING}`);
  if (options.autoRun) {
    console.error(
      "interpreter: warning: auto_run (-y) is on for the server: code from every client holding " +
        "the token runs without asking anyone",
    );
  }
  let deployment;
  try {
    const { openDeployment } = await lazyImport<typeof import("./deployment.ts")>(
      "./deployment.ts",
      import.meta.url,
    );
    deployment = await openDeployment(profile, permissions, {
      server: true,
      secrets: [options.llm?.apiKey],
    });
  } catch (e) {
    throw new UsageProblem(e instanceof Error ? e.message : String(e));
  }
  const { describePermissions } = await import("../sandbox/describe.ts");
  const probe = new Interpreter({ ...options, messages: [] });
  console.error(
    `interpreter: sessions' code runs under: ${describePermissions(probe.permissions)}`,
  );
  for (const note of deployment.notes) console.error(`interpreter: container: ${note}`);
  try {
    const handle = await startServer({
      hostname: typeof flags.host === "string" ? flags.host : undefined,
      port: typeof flags.port === "number" ? flags.port : undefined,
      // Unset: the server reads INTERPRETER_ALLOW_REMOTE_AUTO_RUN.
      allowRemoteAutoRun: flags.allow_remote_auto_run === true ? true : undefined,
      // Each session gets its own interpreter with the profile's settings.
      createInterpreter: (origin) =>
        new Interpreter({ ...options, messages: [], computer: deployment.computer?.(origin) }),
      storeLink: deployment.storeLink,
      handleSignals: true,
    });
    await handle.finished;
  } catch (e) {
    throw new UsageProblem(e instanceof Error ? e.message : String(e));
  } finally {
    await deployment.close?.(); // the pre-started session boxes
  }
  return ExitCode.Ok;
}
