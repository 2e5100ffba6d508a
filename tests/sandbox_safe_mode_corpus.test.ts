/**
 * Safe mode stays quiet on ordinary code: a corpus of everyday shell, Python,
 * JavaScript/TypeScript, Perl and Ruby snippets (data work, file writes in the
 * workspace, builds, package managers, subprocess with literal argv, getattr on
 * the code's own objects, f-strings, JSON, npm-style JS) scans as `safe`.
 * Control: the same scanner, on the same corpus with one obfuscated line
 * appended, is `unsafe` (so the corpus test would see a scanner that flags
 * nothing, or one that is broken on these inputs).
 */

import { scanCode } from "../lib/sandbox/safe_mode.ts";
import { assertEquals } from "./helpers/assert.ts";

const cwd = "/tmp/safe-mode-corpus-workspace";

/** [language, code] */
export const ORDINARY: [string, string][] = [
  ["shell", "ls -la && echo done"],
  ["shell", "rm -rf ./build dist node_modules"],
  ["shell", "mkdir -p out && cp data/*.csv out/ && wc -l out/*.csv"],
  ["shell", "grep -rn TODO src | head -20"],
  ["shell", "curl -sSfL -o data.csv https://example.com/data.csv && head data.csv"],
  ["shell", 'for f in *.txt; do\n  echo "== $f"\n  wc -w "$f"\ndone'],
  ["shell", 'NAME=world\necho "hello $NAME" > greeting.txt\ncat greeting.txt'],
  ["shell", "python3 -c 'import sys; print(sys.version)'"],
  ["shell", "git status && git log --oneline -5"],
  ["shell", "npm install && npm run build"],
  ["shell", "pip install --user pandas matplotlib"],
  ["shell", "if [ -f package.json ]; then\n  jq .version package.json\nfi"],
  ["shell", 'files=$(ls *.py)\nfor f in $files; do python3 -m py_compile "$f"; done'],
  ["shell", "find . -name '*.pyc' -delete"],
  ["shell", "tar czf backup.tar.gz src/ && ls -lh backup.tar.gz"],
  ["shell", "cat > hello.py <<'EOF'\nimport os\nprint(f\"{os.getcwd()}\")\nEOF\npython3 hello.py"],
  ["shell", 'count=$(wc -l < data.csv)\necho "rows: $count"'],
  ["shell", "echo 'print(1 + 1)' | python3"],
  ["shell", 'case "$1" in\n  start) echo starting ;;\n  *) echo usage ;;\nesac'],
  ["shell", "sed -i 's/foo/bar/g' config.txt && diff <(sort a.txt) <(sort b.txt)"],
  ["python", "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(df.describe())"],
  ["python", "import json\nwith open('out.json', 'w') as f:\n    json.dump({'a': 1}, f, indent=2)"],
  ["python", "import subprocess\nsubprocess.run(['ls', '-la'], check=True)"],
  [
    "python",
    "import subprocess\nr = subprocess.run(['git', 'status', '--short'], capture_output=True, text=True)\nprint(r.stdout)",
  ],
  [
    "python",
    "class Point:\n    x = 1\n    y = 2\n\np = Point()\nfor name in ['x', 'y']:\n    print(getattr(p, name))",
  ],
  ["python", "name = 'world'\nprint(f'hello {name}!')\nprint('a' + 'b' + str(3))"],
  ["python", "import os\nfor root, dirs, files in os.walk('.'):\n    print(root, len(files))"],
  ["python", "import shutil\nshutil.rmtree('build', ignore_errors=True)"],
  ["python", "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('plot.png')"],
  ["python", "import re\npattern = re.compile(r'\\d+')\nprint(pattern.findall('a1b22'))"],
  ["python", "import torch\nmodel = torch.nn.Linear(2, 1)\nmodel.eval()\nprint(model)"],
  [
    "python",
    "from pathlib import Path\nfor p in Path('.').glob('*.md'):\n    print(p.read_text()[:80])",
  ],
  ["python", "import requests\nr = requests.get('https://api.example.com/items')\nprint(r.json())"],
  ["python", "import os\nprint(os.environ.get('HOME'))\nos.makedirs('out', exist_ok=True)"],
  ["python", "data = {'k': [1, 2, 3]}\nkeys = sorted(data)\nprint(','.join(keys))"],
  [
    "python",
    "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pip', 'install', 'rich'], check=True)",
  ],
  [
    "python",
    "import shutil, os\nshutil.rmtree(os.path.join(os.getcwd(), 'build'), ignore_errors=True)",
  ],
  ["python", "class A:\n    def eval(self):\n        return 1\n\nprint(A().eval())"],
  ["javascript", "console.log([1, 2, 3].map((x) => x * 2));"],
  [
    "javascript",
    "const res = await fetch('https://api.example.com/x');\nconst data = await res.json();\nconsole.log(data.items.length);",
  ],
  [
    "javascript",
    "import { readFileSync, writeFileSync } from 'node:fs';\nconst cfg = JSON.parse(readFileSync('package.json', 'utf8'));\nwriteFileSync('out.json', JSON.stringify(cfg, null, 2));",
  ],
  [
    "javascript",
    "const express = require('express');\nconst app = express();\napp.get('/', (req, res) => res.send('hi'));\napp.listen(3000);",
  ],
  [
    "javascript",
    "const { execSync } = require('child_process');\nconsole.log(execSync('git status --short').toString());",
  ],
  [
    "typescript",
    "interface User { name: string; age: number }\nconst users: User[] = [{ name: 'a', age: 1 }];\nconst byName: Record<string, User> = {};\nfor (const u of users) byName[u.name] = u;\nconsole.log(byName['a']);",
  ],
  [
    "typescript",
    "const text = await Deno.readTextFile('notes.md');\nawait Deno.writeTextFile('notes_copy.md', text.toUpperCase());",
  ],
  [
    "javascript",
    "const cmd = new Deno.Command('ls', { args: ['-la'] });\nconst { stdout } = await cmd.output();\nconsole.log(new TextDecoder().decode(stdout));",
  ],
  [
    "javascript",
    "const obj = { a: 1, b: 2 };\nfor (const key of Object.keys(obj)) console.log(key, obj[key]);",
  ],
  [
    "javascript",
    "const path = require('path');\nconst data = require(path.join(__dirname, 'data.json'));",
  ],
  ["javascript", "const r = /a(b)/g;\nlet m;\nwhile ((m = r.exec(s))) console.log(m[1]);"],
  ["javascript", "new Worker(new URL('./worker.ts', import.meta.url).href, { type: 'module' });"],
  [
    "powershell",
    "$files = Get-ChildItem -Path . -Filter *.txt\n$files | ForEach-Object { $_.Name }",
  ],
  ["perl", 'my @lines = <STDIN>;\nprint scalar(@lines), "\\n";\nsystem("ls", "-la");'],
  [
    "ruby",
    'words = File.read("a.txt").split\nputs words.tally.max_by { |_, v| v }.inspect\nsystem("ls -la")',
  ],
];

Deno.test("safe mode: ordinary code in every language scans as safe", () => {
  const flagged: string[] = [];
  for (const [language, code] of ORDINARY) {
    const r = scanCode(language, code, { cwd });
    if (r.level !== "safe") {
      flagged.push(`${language}: ${JSON.stringify(code)} -> ${r.reasons.join("; ")}`);
    }
  }
  assertEquals(flagged, []);
  assertEquals(ORDINARY.length >= 40, true);
});

Deno.test("safe mode: control — the same corpus with an obfuscated line appended is unsafe", () => {
  const tails: Record<string, string> = {
    shell: "\nc=$(printf '\\x72\\x6d'); $c -rf ~",
    python: "\nimport os\ngetattr(os, 'sys' + 'tem')(cmd)",
    javascript: "\nDeno[['re', 'move'].join('')](Deno.env.get('HOME'), { recursive: true });",
    typescript: "\nconst f = (globalThis as any)[name];",
    perl: "\nsystem($cmd);",
    ruby: "\nsend(name, 'x')",
    powershell: "\nrm -rf ~",
  };
  for (const [language, code] of ORDINARY) {
    const r = scanCode(language, code + tails[language], { cwd });
    assertEquals(r.level, "unsafe", `${language}: ${code}${tails[language]} -> ${r.reasons}`);
  }
});
