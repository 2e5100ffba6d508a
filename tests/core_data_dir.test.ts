import { join } from "node:path";
import { Computer } from "../lib/computer/mod.ts";
import { Interpreter } from "../lib/core/interpreter.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { assert, assertEquals } from "./helpers/assert.ts";

Deno.test("engine: the dataDir option reaches the computer the interpreter makes", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "engine-data-dir-" });
  const it = new Interpreter({ dataDir, permissions: allowAll(), maxOutput: 200 });
  try {
    const computer = it.computer;
    assert(computer instanceof Computer);
    assertEquals(computer.outputDir, join(dataDir, "outputs"));
    // A long output is kept whole in the data folder given, not the default one.
    await computer.run("python", "print('x' * 5000)");
    const kept = [...Deno.readDirSync(join(dataDir, "outputs"))].map((e) => e.name);
    assert(kept.length > 0, "no full output kept under the given data folder");
  } finally {
    await it.reset();
    await Deno.remove(dataDir, { recursive: true });
  }
});
