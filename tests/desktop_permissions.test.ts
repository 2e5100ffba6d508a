/**
 * The display permission: off by default, `--allow-display` / profile `allow-display: true`
 * turn it on, `--deny-display` wins, `-A` includes it; the start-up line says when it is on;
 * the CLI's --os implies it. (What it grants is tested in desktop_session and desktop_cli.)
 */

import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { permissionsFromFlags } from "../lib/sandbox/flags.ts";
import { permissionsFromProfile } from "../lib/sandbox/profile.ts";
import { describePermissions } from "../lib/sandbox/describe.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./helpers/assert.ts";

const cwd = "/tmp";

Deno.test("display permission: flags", () => {
  assert(!defaultPermissions({ cwd }).display);
  assert(!permissionsFromFlags({}, { cwd }).display);
  assertEquals(permissionsFromFlags({ "allow-display": true }, { cwd }).display, true);
  assertEquals(permissionsFromFlags({ allow_display: true }, { cwd }).display, true);
  assertEquals(
    permissionsFromFlags({ allow_display: true, deny_display: true }, { cwd }).display,
    false,
  );
  assertEquals(permissionsFromFlags({ A: true }, { cwd }).display, true);
  assertEquals(permissionsFromFlags({ A: true, "deny-display": true }, { cwd }).display, false);
  assertThrows(
    () => permissionsFromFlags({ "allow-display": "x" }, { cwd }),
    Error,
    "--allow-display takes no list",
  );
  assertEquals(allowAll().display, true);
});

Deno.test("display permission: profiles", () => {
  assertEquals(permissionsFromProfile({ "allow-display": true }, { cwd }).display, true);
  assertEquals(permissionsFromProfile({ display: true }, { cwd }).display, true);
  assertEquals(permissionsFromProfile({ allow_display: false }, { cwd }).display, false);
  assertEquals(
    permissionsFromProfile({ "allow-display": true, "deny-display": true }, { cwd }).display,
    false,
  );
  assertThrows(
    () => permissionsFromProfile({ "allow-display": "yes" }, { cwd }),
    Error,
    "expected true or false",
  );
  // A profile's grant is kept under flags that do not mention it, and --deny-display removes it.
  const base = permissionsFromProfile({ "allow-display": true }, { cwd });
  assertEquals(permissionsFromFlags({ "allow-net": true }, { cwd, base }).display, true);
  assertEquals(permissionsFromFlags({ "deny-display": true }, { cwd, base }).display, false);
});

Deno.test("display permission: the start-up line says when it is on", () => {
  const off = describePermissions(defaultPermissions({ cwd }), { cwd });
  assert(!off.includes("display"));
  const on = describePermissions({ ...defaultPermissions({ cwd }), display: true }, { cwd });
  assertStringIncludes(on, "display (Computer API) on");
});
