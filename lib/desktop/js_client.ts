/**
 * The `computer` object of the JavaScript / TypeScript session (put before the Deno driver):
 * every method returns a promise (`await computer.display.view()`) and goes over the channel to
 * the host, except `files`, which runs here under the session's own permissions. Without a
 * channel every call rejects with one line.
 *
 * @module
 */

import { CHANNEL_ENV } from "./channel.ts";
import { API_OFF_MESSAGE } from "./host.ts";
import { SESSION_METHODS, SIGNATURES } from "./signatures.ts";

/** JavaScript source defining `globalThis.computer` (no imports: it goes at the top of a module). */
export function jsClientSource(): string {
  const table: Record<string, Record<string, string>> = {};
  for (const [name, spec] of Object.entries({ ...SIGNATURES, ...SESSION_METHODS })) {
    const [ns, method] = name.split(".");
    (table[ns] ??= {})[method] = `${spec.signature}: ${spec.doc}`;
  }
  return String.raw`
{
  const OFF = ${JSON.stringify(API_OFF_MESSAGE)};
  const SPEC = ${JSON.stringify(table)};
  const socketPath = () => {
    try { return Deno.env.get(${JSON.stringify(CHANNEL_ENV)}); } catch { return undefined; }
  };
  class ComputerError extends Error { constructor(m) { super(m); this.name = "ComputerError"; } }
  let conn = null, buffered = "", nextId = 0, queue = Promise.resolve();
  const enc = new TextEncoder(), dec = new TextDecoder();
  async function readLine() {
    for (;;) {
      const at = buffered.indexOf("\n");
      if (at >= 0) { const line = buffered.slice(0, at); buffered = buffered.slice(at + 1); return line; }
      const buf = new Uint8Array(65536);
      const n = await conn.read(buf);
      if (n === null) { conn = null; throw new ComputerError("the Computer API connection closed"); }
      buffered += dec.decode(buf.subarray(0, n), { stream: true });
    }
  }
  function encode(value) {
    return JSON.stringify(value, (_k, v) => v instanceof Uint8Array
      ? { $image: "base64.png", data: btoa(Array.from(v, (c) => String.fromCharCode(c)).join("")), width: 0, height: 0 }
      : v);
  }
  function decode(value) {
    if (value && typeof value === "object" && value.$image === "base64.png") {
      const png = Uint8Array.from(atob(value.data), (c) => c.charCodeAt(0));
      return { png, width: value.width, height: value.height, data: value.data };
    }
    if (Array.isArray(value)) return value.map(decode);
    return value;
  }
  function call(method, args) {
    const run = async () => {
      const path = socketPath();
      if (!path) throw new ComputerError(OFF);
      if (!conn) {
        try { conn = await Deno.connect({ transport: "unix", path }); }
        catch (e) { throw new ComputerError("the Computer API is not reachable: " + e.message); }
        buffered = "";
      }
      // A trailing plain object holds keyword arguments, as in Python.
      const last = args[args.length - 1];
      const kw = last && typeof last === "object" && !Array.isArray(last) && !(last instanceof Uint8Array) && last.$image === undefined;
      const request = { id: ++nextId, method, args: kw ? args.slice(0, -1) : args, kwargs: kw ? last : {} };
      await conn.write(enc.encode(encode(request) + "\n"));
      const answer = JSON.parse(await readLine());
      if (!answer.ok) throw new ComputerError(answer.error || "failed");
      return decode(answer.result);
    };
    const result = queue.then(run, run);
    queue = result.catch(() => {});
    return result;
  }
  const files = {
    async search(query, path = ".", limit = 200) {
      if (!socketPath()) throw new ComputerError(OFF);
      const found = [];
      const needle = String(query).toLowerCase();
      const walk = async (dir) => {
        for await (const entry of Deno.readDir(dir)) {
          if (found.length >= limit) return;
          const p = dir + "/" + entry.name;
          if (entry.isDirectory) {
            if (!entry.name.startsWith(".") && entry.name !== "node_modules") await walk(p);
          } else if (entry.isFile) {
            let text;
            try { text = await Deno.readTextFile(p); } catch { continue; }
            text.split("\n").forEach((line, i) => {
              if (found.length < limit && line.toLowerCase().includes(needle)) found.push({ path: p, line: i + 1, text: line.slice(0, 300) });
            });
          }
        }
      };
      await walk(path);
      return found;
    },
    async edit(path, old, replacement) {
      if (!socketPath()) throw new ComputerError(OFF);
      const text = await Deno.readTextFile(path);
      const count = text.split(old).length - 1;
      if (count === 1) { await Deno.writeTextFile(path, text.replace(old, () => replacement)); return "edited " + path; }
      if (count > 1) throw new ComputerError("the text to replace is in " + path + " " + count + " times: give more of it so it is unique");
      const first = old.split("\n")[0].trim().toLowerCase();
      const close = text.split("\n").filter((l) => first && l.toLowerCase().includes(first.slice(0, Math.max(3, first.length >> 1)))).slice(0, 3);
      throw new ComputerError("the text to replace is not in " + path + (close.length ? "; close matches:\n" + close.join("\n") : ""));
    },
  };
  const computer = {};
  for (const [ns, methods] of Object.entries(SPEC)) {
    const space = ns === "files" ? files : {};
    for (const [name, doc] of Object.entries(methods)) {
      if (ns === "files") continue;
      if (ns === "skills" && name === "import_skills") {
        space[name] = async () => {
          const names = [];
          for (const s of await call("skills.list", [])) {
            if (s.language !== "javascript") continue;
            (0, eval)((await call("skills.get", [s.name])).code);
            names.push(s.name);
          }
          return names;
        };
      } else {
        space[name] = (...args) => call(ns + "." + name, args);
      }
      Object.defineProperty(space[name], "doc", { value: doc });
    }
    computer[ns] = space;
  }
  Object.defineProperty(globalThis, "computer", { value: computer, writable: true, configurable: true });
  Object.defineProperty(globalThis, "ComputerError", { value: ComputerError, writable: true, configurable: true });
}
`;
}

/**
 * A `deno run` command line with read, write and net (`unix:`) access to the channel's socket
 * added to its permission flags (Deno checks all three to connect to a unix socket).
 */
export function withSocketGrants(argv: string[], socketPath: string): string[] {
  const run = argv.indexOf("run");
  if (run < 0 || argv.includes("--allow-all") || argv.includes("-A")) return argv;
  const out = [...argv];
  for (
    const [kind, value] of [["read", socketPath], ["write", socketPath], [
      "net",
      `unix:${socketPath}`,
    ]]
  ) {
    const bare = `--allow-${kind}`;
    if (out.includes(bare)) continue;
    const at = out.findIndex((a) => a.startsWith(`${bare}=`));
    if (at >= 0) out[at] = `${out[at]},${value}`;
    else out.splice(run + 1, 0, `${bare}=${value}`);
  }
  return out;
}
