/**
 * The server cannot switch the Computer API on remotely: permissions (display included), `os`
 * and `computer` are not settings a client can change over HTTP; only the server's own start
 * flags (--os, --allow-display) decide. A real Interpreter behind a real server.
 */

import { Interpreter } from "../lib/core/interpreter.ts";
import { startServer } from "../lib/server/mod.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

Deno.test("server: clients cannot turn display access (or --os) on", async () => {
  const engines: Interpreter[] = [];
  const server = await startServer({
    port: 0,
    log: () => {},
    env: () => undefined,
    createInterpreter: () => {
      const it = new Interpreter({ permissions: defaultPermissions({ cwd: Deno.cwd() }) });
      engines.push(it);
      return it;
    },
  });
  try {
    const headers = { "x-api-key": server.token, "content-type": "application/json" };
    for (
      const body of [
        { permissions: { display: true } },
        { "permissions.display": true },
        { os: true },
        { allow_display: true },
        { computer: { permissions: { display: true } } },
      ]
    ) {
      const r = await fetch(`${server.url}/settings`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
      const text = await r.text();
      assert([400, 403, 404].includes(r.status), `${JSON.stringify(body)}: ${r.status} ${text}`);
    }
    // Control: an ordinary setting is accepted, so the requests above reached the settings code.
    const ok = await fetch(`${server.url}/settings`, {
      method: "POST",
      headers,
      body: JSON.stringify({ max_output: 1234 }),
    });
    assertEquals(ok.status, 200, await ok.text());
    assert(engines.length > 0);
    for (const it of engines) assert(!it.permissions.display);
  } finally {
    await server.close();
  }
});
