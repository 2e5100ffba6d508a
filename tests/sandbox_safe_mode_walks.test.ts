/**
 * Safe mode reads deletes that walk a folder: a loop that lists or walks `~` (or any folder
 * outside the workspace) and deletes each entry it finds is as destructive as `rm -rf ~`,
 * though no single call names a recursive delete. The controls: the same loops over the
 * workspace, and a walk that only reads, stay `safe`.
 */

import { scanCode } from "../lib/sandbox/safe_mode.ts";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";

const cwd = "/tmp/safe-mode-walks-workspace";

/** [language, code, level, a phrase of the reason (unless safe)]. */
const CASES: [string, string, string, string][] = [
  [
    "python",
    'import os\nfor root, dirs, files in os.walk(os.path.expanduser("~")):\n    for f in files:\n        os.remove(os.path.join(root, f))',
    "unsafe",
    "walks under ~ (os.remove",
  ],
  [
    "python",
    'import os\nhome = os.environ["HOME"]\nfor name in os.listdir(home):\n    os.unlink(os.path.join(home, name))',
    "unsafe",
    "walks under ~",
  ],
  [
    "python",
    "import pathlib\nfor p in pathlib.Path.home().rglob('*'):\n    p.unlink()",
    "unsafe",
    "~",
  ],
  [
    "python",
    'import os\nfor f in os.listdir("/etc"):\n    os.remove("/etc/" + f)',
    "unsafe",
    "/etc",
  ],
  [
    "python",
    "import os, sys\nfor f in os.listdir(sys.argv[1]):\n    os.remove(os.path.join(sys.argv[1], f))",
    "warning",
    "computed folder",
  ],
  [
    "ruby",
    'Dir.glob(File.join(Dir.home, "**/*")).each { |f| File.delete(f) }',
    "unsafe",
    "under ~ ",
  ],
  [
    "javascript",
    'for await (const e of Deno.readDir(Deno.env.get("HOME")!)) await Deno.remove(e.name);',
    "unsafe",
    "under ~",
  ],
  // Controls: the workspace, and walks that only read.
  ["python", 'import glob, os\nfor f in glob.glob("build/*.o"):\n    os.remove(f)', "safe", ""],
  [
    "python",
    'import os\nfor root, dirs, files in os.walk("."):\n    for f in files:\n        if f.endswith(".pyc"):\n            os.remove(os.path.join(root, f))',
    "safe",
    "",
  ],
  [
    "python",
    'from pathlib import Path\nfor p in Path("out").iterdir():\n    p.unlink()',
    "safe",
    "",
  ],
  [
    "python",
    'import os\nfor root, dirs, files in os.walk(os.path.expanduser("~")):\n    print(len(files))',
    "safe",
    "",
  ],
  [
    "javascript",
    'const fs = require("fs");\nfor (const f of fs.readdirSync("dist")) fs.unlinkSync("dist/" + f);',
    "safe",
    "",
  ],
];

for (const [language, code, level, phrase] of CASES) {
  Deno.test(`safe mode walks: ${level} — ${code.replace(/\s+/g, " ").slice(0, 70)}`, () => {
    const report = scanCode(language, code, { cwd });
    assertEquals(report.level, level, JSON.stringify(report.findings));
    if (phrase) {
      assertStringIncludes(report.findings.map((f) => f.reason).join("\n"), phrase);
    }
  });
}
