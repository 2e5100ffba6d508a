/**
 * The JavaScript / TypeScript session driver, run by `deno run` with the
 * session's permission flags. Each run is evaluated through the V8 inspector
 * in REPL mode (what `deno repl` uses): top-level `let`/`const` survive and can
 * be redeclared, top-level `await` works, and the value of a trailing
 * expression comes back to be displayed. TypeScript is turned into JavaScript
 * by the computer before it gets here (see ../js_transform.ts).
 *
 * Commands arrive on stdin, one JSON object per line (`{"id", "code"}`), and
 * stdin is only read between runs, so code that reads stdin during a run
 * simply waits (and is detected and stopped).
 *
 * In a container session (lib/container/driver_py.ts starts it as
 * `driver.js NONCE COMMANDS DONE`), commands come from the pipe `COMMANDS`
 * instead and each run's end (`<id> <status>`) goes to the pipe `DONE`, for
 * the container's driver to report: there is nobody to type, so the code's
 * stdin is empty, and `prompt()`, `confirm()`, `alert()` and
 * `Deno.stdin.read()` write a `W` record and get end of file at once.
 *
 * Records are written to fd 1 directly (node:fs), so `Deno.stdout.close()` in
 * user code does not lose them; when code closed fds 1 and 2 themselves
 * (`fs.closeSync(1)`), nothing can reach the output any more and the driver
 * exits, which ends the run (Deno has no way to keep a private duplicate).
 *
 * @module
 */

/** Source of the driver (`deno run <permission flags> --allow-sys driver.js <nonce>`). */
export const JS_DRIVER: string = String.raw`
import { Session } from "node:inspector";
import { writeSync } from "node:fs";

const NONCE = Deno.args[0];
const [COMMANDS, DONE] = Deno.args.slice(1);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function write(text) {
  const bytes = encoder.encode(text);
  for (const fd of [1, 2]) {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes.subarray(offset));
      return;
    } catch {
      // closed by the code: try the other one
    }
  }
  Deno.exit(70); // nothing leads to the output: end the session, and with it the run
}

function emit(kind, payload = "") {
  write("\x1e" + NONCE + kind + payload + "\n");
}

let lastLine = null;
let lastAt = 0;
let lineRecords = 0;
Object.defineProperty(globalThis, "__interpreter_line", {
  value: (n) => {
    if (n === lastLine) return;
    const now = performance.now();
    // The first lines are always reported; after that at most one record per 5 ms,
    // so a tight loop is not slowed down by writing records.
    if (++lineRecords > 100 && now - lastAt < 5) return;
    lastLine = n;
    lastAt = now;
    emit("L", String(n));
  },
  enumerable: false,
});

if (COMMANDS) {
  // A container session: code asking for input is told there is none (see the module doc).
  const none = (message, answer) => {
    if (message !== undefined) write(String(message) + " ");
    emit("W");
    return answer;
  };
  globalThis.prompt = (message) => none(message, null);
  globalThis.confirm = (message) => none(message, false);
  globalThis.alert = (message) => none(message, undefined);
  Object.defineProperty(Deno.stdin, "read", { value: () => Promise.resolve(none(undefined, null)) });
  Object.defineProperty(Deno.stdin, "readSync", { value: () => none(undefined, null) });
}

globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  console.error("Uncaught (in promise)", event.reason);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  console.error("Uncaught", event.error ?? event.message);
});

const session = new Session();
session.connect();

function post(method, params) {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => error ? reject(error) : resolve(result));
  });
}

async function show(result) {
  if (result.type === "undefined") return;
  if (result.objectId) {
    const shown = await post("Runtime.callFunctionOn", {
      objectId: result.objectId,
      functionDeclaration: "function () { return Deno.inspect(this, { colors: false, depth: 4 }); }",
      returnByValue: true,
    });
    write(String(shown.result.value) + "\n");
    return;
  }
  if ("unserializableValue" in result) {
    write(result.unserializableValue + (result.type === "bigint" ? "" : "") + "\n");
    return;
  }
  write(Deno.inspect(result.value, { colors: false }) + "\n");
}

async function run(code) {
  lastLine = null;
  lineRecords = 0;
  const reply = await post("Runtime.evaluate", {
    expression: code,
    replMode: true,
    awaitPromise: true,
    objectGroup: "interpreter",
  });
  try {
    if (reply.exceptionDetails) {
      const details = reply.exceptionDetails;
      let text = String(details.exception?.description ?? details.text);
      // Drop the driver's own frames from the stack.
      const lines = text.split("\n");
      const cut = lines.findIndex((l) => /ext:deno_node\/inspector|driver\.js/.test(l));
      if (cut > 0) text = lines.slice(0, cut).join("\n");
      console.error(details.exception?.type === "object" ? text : "Uncaught " + text);
      return 1;
    }
    await show(reply.result);
    return 0;
  } finally {
    await post("Runtime.releaseObjectGroup", { objectGroup: "interpreter" });
  }
}

let buffered = "";
const chunk = new Uint8Array(65536);
const commands = COMMANDS ? await Deno.open(COMMANDS) : Deno.stdin;
const done = DONE ? Deno.openSync(DONE, { write: true }) : undefined;

async function readLine() {
  while (true) {
    const nl = buffered.indexOf("\n");
    if (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      return line;
    }
    const n = await commands.read(chunk);
    if (n === null) return null;
    buffered += decoder.decode(chunk.subarray(0, n), { stream: true });
  }
}

emit("R");
while (true) {
  const line = await readLine();
  if (line === null) break;
  let status = 1;
  let id = 0;
  try {
    const command = JSON.parse(line);
    id = command.id;
    if (command.error) console.error(command.error);
    else status = await run(command.code);
  } catch (error) {
    console.error(error);
  }
  if (done) {
    const bytes = encoder.encode(id + " " + status + "\n");
    let offset = 0;
    while (offset < bytes.length) offset += done.writeSync(bytes.subarray(offset));
  } else emit("E", id + " " + status);
}
Deno.exit(0);
`;
