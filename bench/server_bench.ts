/**
 * The server's own cost per request, as ratios against a bare `Deno.serve`
 * baseline run side by side in the same process: an open route
 * (`/heartbeat`), an authenticated route (`/history`, constant-time token
 * check and session lookup) and a whole chat turn over SSE (`/chat`, a
 * scripted stand-in for the engine, so only the transport is measured).
 * Reports; never fails.
 *
 * @module
 */

import { startServer } from "../lib/server/mod.ts";
import { ScriptedInterpreter } from "../tests/helpers/server_scripted_interpreter.ts";

const ROUNDS = 400;
const TOKEN = "bench-token";

async function time(label: string, fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) await fn();
  const perRequest = (performance.now() - start) / ROUNDS;
  console.log(`${label.padEnd(34)} ${(perRequest * 1000).toFixed(0).padStart(6)} µs/request`);
  return perRequest;
}

async function main(): Promise<void> {
  const baseline = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ status: "alive" }),
  );
  const server = await startServer({
    port: 0,
    apiKey: TOKEN,
    log: () => {},
    createInterpreter: () => new ScriptedInterpreter((message) => [{ text: `echo ${message}` }]),
  });
  const base = `http://127.0.0.1:${baseline.addr.port}/`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    const bare = await time("bare Deno.serve (baseline)", async () => {
      await (await fetch(base)).text();
    });
    const heartbeat = await time("GET /heartbeat", async () => {
      await (await fetch(`${server.url}/heartbeat`)).text();
    });
    const history = await time("GET /history (auth + session)", async () => {
      await (await fetch(`${server.url}/history?session=bench`, { headers: auth })).text();
    });
    const chat = await time("GET /chat (one SSE turn)", async () => {
      await (await fetch(`${server.url}/chat?session=bench&message=hi`, { headers: auth })).text();
      await (await fetch(`${server.url}/history?session=bench`, {
        method: "DELETE",
        headers: auth,
      }))
        .text();
    });
    console.log(
      `\nratios to the baseline: heartbeat ${(heartbeat / bare).toFixed(2)}x, ` +
        `history ${(history / bare).toFixed(2)}x, chat turn (+ clear) ${(chat / bare).toFixed(2)}x`,
    );
  } finally {
    await server.close();
    await baseline.shutdown();
  }
}

if (import.meta.main) await main();
