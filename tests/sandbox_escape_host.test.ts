/**
 * Escape tests for what the host does with what sessions produce (issue 9,
 * classes 1, 2, 3 and 11): forged records, links planted where the host used
 * to write, programs planted on PATH, and the size of full-output files. Each
 * attack runs in Python and bash (JavaScript and Perl where they apply), and
 * each has a control that proves the test would see the escape: the same
 * forgery with a payload the host accepts, or the code writing through its own
 * link where it may.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { collect, textOf } from "./helpers/computer_helpers.ts";
import { Computer } from "../lib/computer/mod.ts";
import type { ComputerOptions } from "../lib/computer/types.ts";
import type { LmcChunk } from "../lib/wire/lmc.ts";
import { allowAll } from "../lib/sandbox/permissions.ts";
import { defaultPermissions } from "../lib/sandbox/defaults.ts";
import { imageFormat } from "../lib/computer/images.ts";

/** A valid 1x1 PNG. */
const PNG_B64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const SECRET = "\x89PNG\r\n\x1a\nTHE-HOST-SECRET";

interface Place {
  root: string;
  work: string;
  outside: string;
  data: string;
}

/** A workspace (the cwd code may write), an outside folder it may not, and a data folder. */
async function withPlace(fn: (place: Place) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "escape-host-" }));
  const place = {
    root,
    work: join(root, "work"),
    outside: join(root, "outside"),
    data: join(root, "data"),
  };
  for (const dir of [place.work, place.outside, place.data]) await Deno.mkdir(dir);
  try {
    await fn(place);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const MODES = [
  { name: "sandboxed", sandboxed: true },
  { name: "unsandboxed (allowAll)", sandboxed: false },
];

function computerFor(place: Place, sandboxed: boolean, extra: ComputerOptions = {}): Computer {
  return new Computer({
    cwd: place.work,
    dataDir: place.data,
    timeout: 20,
    permissions: sandboxed ? defaultPermissions({ cwd: place.work }) : allowAll(),
    ...extra,
  });
}

/**
 * Code that prints one record `\x1e<nonce><kind><payload>\n` as generated code would forge it
 * (`finished` false: without its newline), then `forged`.
 */
const FORGE: Record<
  string,
  (kind: string, payload: string, finished?: boolean) => [string, string]
> = {
  python: (kind, payload, finished = true) => [
    "python",
    "import os, re\n" +
    "nonce = re.search(rb'\\0([0-9a-f]{12})\\0', open('/proc/self/cmdline', 'rb').read()).group(1)\n" +
    `os.write(1, b'\\x1e' + nonce + b${
      JSON.stringify(kind + payload + (finished ? "\n" : ""))
    })\n` +
    "print('forged')",
  ],
  bash: (kind, payload, finished = true) => [
    "shell",
    `printf '\\036%s%s${finished ? "\\n" : ""}' "$__oi_nonce" '${kind}${payload}'\necho forged`,
  ],
  javascript: (kind, payload, finished = true) => [
    "javascript",
    `Deno.stdout.writeSync(new TextEncoder().encode("\\x1e" + Deno.args[0] + ${
      JSON.stringify(kind + payload + (finished ? "\n" : ""))
    }));\nconsole.log("forged");`,
  ],
  // Perl, started from the shell session, takes the nonce from its parent's command line.
  perl: (kind, payload, finished = true) => [
    "shell",
    `perl -e 'open(my $f, "<", "/proc/" . getppid() . "/cmdline"); local $/; my $c = <$f>; ` +
    `my ($n) = $c =~ /\\0([0-9a-f]{12})\\0/; print "\\x1e$n$ARGV[0]${finished ? "\\n" : ""}"' ` +
    `'${kind}${payload}'\necho forged`,
  ],
};

function images(chunks: LmcChunk[]): LmcChunk[] {
  return chunks.filter((c) => c.type === "image");
}

function outputOf(chunks: LmcChunk[]): string {
  return chunks.filter((c) => c.format === "output" && c.recipient !== "user")
    .map((c) => c.content).join("");
}

Deno.test("escape host: the 1x1 PNG of these tests is one the computer accepts", () => {
  assertEquals(imageFormat(Uint8Array.from(atob(PNG_B64), (c) => c.charCodeAt(0))), "png");
  assertEquals(imageFormat(new TextEncoder().encode(SECRET)), undefined);
});

for (const mode of MODES) {
  for (const [language, forge] of Object.entries(FORGE)) {
    if (language === "javascript" && mode.sandboxed) continue; // same driver; one mode is enough
    Deno.test(`escape host class 1: a forged image record names a host file (${language}, ${mode.name})`, async () => {
      await withPlace(async (place) => {
        const secret = join(place.outside, "id_rsa");
        await Deno.writeTextFile(secret, SECRET);
        const computer = computerFor(place, mode.sandboxed);
        try {
          // Control: the same forgery carrying real image bytes is taken as an image, so the
          // forged records do reach the host's parser.
          const [lang, control] = forge("I", PNG_B64);
          const [, end] = forge("I", "");
          let chunks = await collect(computer.stream(lang, `${control}\n${end}`));
          assertEquals(images(chunks).map((c) => c.content), [PNG_B64], JSON.stringify(chunks));

          // Attack: a record naming the file (the old `I<path>`), then its end.
          const [, attack] = forge("I", secret);
          chunks = await collect(computer.stream(lang, `${attack}\n${end}`));
          assertEquals(images(chunks), [], "no image is made from a path");
          assertEquals(
            await Deno.readTextFile(secret),
            SECRET,
            "the file is neither read nor deleted",
          );
          const text = outputOf(chunks);
          assertStringIncludes(text, "forged");
          assert(!text.includes("THE-HOST-SECRET"), text);
          assert(!JSON.stringify(chunks).includes(btoa(SECRET).slice(0, 16)), "no secret bytes");
        } finally {
          await computer.terminate();
        }
      });
    });
  }
}

Deno.test("escape host class 1: images must be whole PNG/JPEG/GIF/WebP within 10 MiB (python)", async () => {
  await withPlace(async (place) => {
    const computer = computerFor(place, true);
    try {
      const send = (expr: string) =>
        "import sys\n" + `sys.modules['_interpreter_images'].send_png(${expr})\nprint('sent')`;
      // control: real PNG bytes through the driver's own hand-over
      let chunks = await collect(
        computer.stream("python", send(`__import__('base64').b64decode('${PNG_B64}')`)),
      );
      assertEquals(images(chunks).length, 1, JSON.stringify(chunks));
      assertEquals(images(chunks)[0].format, "base64.png");
      // a PNG signature on text, a truncated PNG, and 11 MB of PNG-looking bytes are refused
      for (
        const expr of [
          `b'\\x89PNG\\r\\n\\x1a\\n' + b'x' * 100`,
          `__import__('base64').b64decode('${PNG_B64}')[:-12]`,
          `__import__('base64').b64decode('${PNG_B64}') + b'\\0' * (11 * 1024 * 1024)`,
        ]
      ) {
        chunks = await collect(computer.stream("python", send(expr)));
        assertEquals(images(chunks), [], expr);
        assertStringIncludes(outputOf(chunks), "[an image was left out", expr);
        assertStringIncludes(outputOf(chunks), "sent\n");
      }
    } finally {
      await computer.terminate();
    }
  });
});

for (const [language, forge] of Object.entries(FORGE)) {
  if (language === "javascript") continue; // below, with its own run-id variable
  Deno.test(`escape host class 1: forged end, line and ready records (${language})`, async () => {
    await withPlace(async (place) => {
      const computer = computerFor(place, true);
      try {
        // A stray end record of another run does not end this one.
        const [lang, stale] = forge("E", "1 0");
        const late = lang === "python"
          ? "import time; time.sleep(0.3); print('after')"
          : "sleep 0.3; echo after";
        await computer.run(lang, lang === "python" ? "1" : "true"); // run 1
        let text = textOf(await computer.run(lang, `${stale}\n${late}`));
        assertStringIncludes(text, "forged\nafter\n", "the run went on to its real end");

        // Line records outside the code's lines, and a ready record, change nothing.
        const [, line] = forge("L", "999999");
        const [, garbage] = forge("L", "12abc");
        const [, ready] = forge("R", "");
        const chunks = await collect(computer.stream(lang, `${line}\n${garbage}\n${ready}`));
        for (const c of chunks.filter((c) => c.format === "active_line" && c.content !== null)) {
          assert(Number(c.content) >= 1 && Number(c.content) <= 12, JSON.stringify(c));
        }
        text = textOf(
          await computer.run(lang, lang === "python" ? "print('in step')" : "echo in step"),
        );
        assertEquals(text, "in step\n");
      } finally {
        await computer.terminate();
      }
    });
  });
}

Deno.test("escape host class 1: a forged end with the run's own id ends it early, as backgrounding would; nothing is lost and the session stays in step (bash, python)", async () => {
  await withPlace(async (place) => {
    const computer = computerFor(place, true);
    try {
      const cases: [string, string, string][] = [
        [
          "shell",
          `printf '\\036%sE%s 0\\n' "$__oi_nonce" "$__oi_run"; sleep 0.5; echo late`,
          "echo next",
        ],
        [
          "python",
          "import os, re, time\n" +
          "n = re.search(rb'\\0([0-9a-f]{12})\\0', open('/proc/self/cmdline','rb').read()).group(1)\n" +
          "run_id = __import__('sys')._getframe(1).f_globals['run_id']  # the driver's\n" +
          "os.write(1, b'\\x1e' + n + b'E' + run_id + b' 0\\n')\n" +
          "time.sleep(0.5); print('late')",
          "print('next')",
        ],
      ];
      for (const [lang, code, next] of cases) {
        const first = textOf(await computer.run(lang, code));
        assert(!first.includes("late"), `the forged end ended the run: ${first}`);
        // (no wait: the driver takes the next code only once this code has ended)
        const second = textOf(await computer.run(lang, next));
        assertStringIncludes(second, "late\n", "the rest of its output comes with the next run");
        assertStringIncludes(second, "next\n");
        const third = textOf(await computer.run(lang, next));
        assertEquals(third, "next\n", "in step again");
      }
    } finally {
      await computer.terminate();
    }
  });
});

for (const [language, forge] of Object.entries(FORGE)) {
  Deno.test(`escape host class 1: an unfinished forged record does not swallow the run's end (${language})`, async () => {
    await withPlace(async (place) => {
      const computer = computerFor(place, true, { timeout: 15 });
      try {
        // Control: finished, the same bytes are a record (consumed, nothing shown).
        const [lang, whole] = forge("W", "");
        const shown = textOf(await computer.run(lang, whole));
        assertEquals(shown, "forged\n", "a finished forged record is taken as a record");
        // Attack: the record's start without its newline, then the run ends.
        const [, open] = forge("W", "", false);
        const started = performance.now();
        const text = textOf(await computer.run(lang, open));
        assert(performance.now() - started < 10_000, "the run ended with its code");
        assert(!text.includes("stopped after"), text);
        assertStringIncludes(text, "forged");
      } finally {
        await computer.terminate();
      }
    });
  });
}

/** Per language: code that replaces the session's files with links to `$T` and ends the session. */
const PLANT: Record<string, { language: string; plant: string; check: string; next: string }> = {
  python: {
    language: "python",
    plant: "import os, re, signal\n" +
      "d = os.path.dirname(re.search(rb'\\0(/[^\\0]*driver\\.py)\\0', open('/proc/self/cmdline', 'rb').read()).group(1).decode())\n" +
      "for name in ('driver.py', '_interpreter_mpl_backend.py', 'figure-1.png'):\n" +
      "    p = os.path.join(d, name)\n" +
      "    if os.path.lexists(p): os.remove(p)\n" +
      "    os.symlink(os.environ['T'], p)\n" +
      "print('LINK', os.path.realpath(os.path.join(d, 'driver.py')))\n" +
      "if os.environ.get('WRITE'): open(os.path.join(d, 'driver.py'), 'w').write('written through the link')\n" +
      "os.kill(os.getpid(), signal.SIGKILL)",
    check: "",
    next: "print('ok')",
  },
  bash: {
    language: "shell",
    plant:
      'for f in driver.sh cell.sh stdin; do rm -f "$__oi_dir/$f"; ln -s "$T" "$__oi_dir/$f"; done\n' +
      'echo "LINK $(realpath "$__oi_dir/driver.sh")"\n' +
      '[ -n "$WRITE" ] && printf "written through the link" > "$__oi_dir/driver.sh"\n' +
      "kill -9 $$",
    check: "",
    next: "echo ok",
  },
  perl: {
    language: "perl",
    plant: 'use File::Basename; use Cwd "abs_path"; my $d = dirname($0);\n' +
      'for my $f ("code.pl", "driver.sh") { unlink "$d/$f"; symlink($ENV{T}, "$d/$f"); }\n' +
      'print "LINK " . abs_path("$d/code.pl") . "\\n";\n' +
      'if ($ENV{WRITE}) { open(my $h, ">", "$d/code.pl"); print $h "written through the link"; }\n',
    check: "",
    next: 'print "ok\\n";',
  },
  javascript: {
    language: "javascript",
    plant: "const d = new URL('.', Deno.mainModule).pathname;\n" +
      "Deno.removeSync(d + 'driver.js'); Deno.symlinkSync(Deno.env.get('T'), d + 'driver.js');\n" +
      "console.log('LINK ' + Deno.realPathSync(d + 'driver.js'));\n" +
      "if (Deno.env.get('WRITE')) Deno.writeTextFileSync(d + 'driver.js', 'written through the link');\n" +
      "Deno.exit(9);",
    check: "",
    next: "console.log('ok')",
  },
};

for (const mode of MODES) {
  for (const [name, attack] of Object.entries(PLANT)) {
    // Deno's own permission flags keep sandboxed JavaScript out of the session folder anyway.
    if (name === "javascript" && mode.sandboxed) continue;
    Deno.test(`escape host class 2: links planted in the session folder are never written through (${name}, ${mode.name})`, async () => {
      await withPlace(async (place) => {
        const target = join(place.outside, "target.txt");
        await Deno.writeTextFile(target, "ORIGINAL");
        // The attack's variables go in through the computer's base environment (never Deno.env).
        const env = { ...Deno.env.toObject(), T: target };
        if (!mode.sandboxed) {
          // Control: the code itself can write through its link (so the links reach the target).
          const control = computerFor(place, mode.sandboxed, { env: { ...env, WRITE: "1" } });
          try {
            const text = textOf(await control.run(attack.language, attack.plant));
            assertStringIncludes(text, `LINK ${target}`);
            assertEquals(await Deno.readTextFile(target), "written through the link");
          } finally {
            await control.terminate();
          }
          await Deno.writeTextFile(target, "ORIGINAL");
        }
        const computer = computerFor(place, mode.sandboxed, { env });
        try {
          const text = textOf(await computer.run(attack.language, attack.plant));
          assertStringIncludes(text, `LINK ${target}`, "the link points at the target");
          for (let i = 0; i < 2; i++) {
            assertStringIncludes(textOf(await computer.run(attack.language, attack.next)), "ok\n");
          }
          assertEquals(await Deno.readTextFile(target), "ORIGINAL", "the host wrote nothing there");
        } finally {
          await computer.terminate();
        }
      });
    });
  }
}

Deno.test("escape host class 2: interrupting a shell `read` writes nothing through a planted stdin link (bash)", async () => {
  await withPlace(async (place) => {
    const target = join(place.outside, "target.txt");
    await Deno.writeTextFile(target, "ORIGINAL");
    const computer = computerFor(place, false, { inputIdleTimeout: 1 });
    try {
      // control: the link reaches the target (code may write it here: no sandbox)
      const link = `rm -f "$__oi_dir/stdin"; ln -s '${target}' "$__oi_dir/stdin"`;
      const text = textOf(await computer.run("shell", `${link}\ncat "$__oi_dir/stdin"`));
      assertStringIncludes(text, "ORIGINAL");
      // attack: the run is stopped while bash's own `read` waits; the host used to release it
      // by opening that path and writing a newline
      const stopped = textOf(await computer.run("shell", `${link}\nread x\necho "got [$x]"`));
      assertStringIncludes(stopped, "waiting for input");
      assertEquals(await Deno.readTextFile(target), "ORIGINAL");
      assertEquals(textOf(await computer.run("shell", "echo still here")), "still here\n");
    } finally {
      await computer.terminate();
    }
  });
});

/** The full-output file a run's note names (undefined when none). */
function fullOutputFile(text: string): string | undefined {
  return text.match(/Full output: (\S+\.log)/)?.[1];
}

const FLOOD: Record<string, { language: string; endless: string; bounded: string }> = {
  bash: {
    language: "shell",
    endless: "cat /dev/zero | tr '\\0' 'z'",
    bounded: "head -c 12000000 /dev/zero | tr '\\0' 'z'; echo; echo THE-END",
  },
  python: {
    language: "python",
    endless: "import sys\nwhile True: sys.stdout.write('z' * 65536)",
    bounded:
      "import sys\nfor i in range(183): sys.stdout.write('z' * 65536)\nprint()\nprint('THE-END')",
  },
  perl: {
    language: "perl",
    endless: '$| = 1; while (1) { print "z" x 65536 }',
    bounded: 'print "z" x 65536 for 1 .. 183; print "\\nTHE-END\\n";',
  },
};

for (const [name, flood] of Object.entries(FLOOD)) {
  Deno.test(`escape host class 11: a run's full-output file is capped while it is written (${name})`, async () => {
    await withPlace(async (place) => {
      const cap = 2 * 1024 * 1024;
      // Control: with a cap far above it, the bounded flood is kept whole (12 MB on disk).
      const control = computerFor(place, true, { maxOutputFile: 1024 ** 3 });
      try {
        const text = textOf(await control.run(flood.language, flood.bounded));
        const path = fullOutputFile(text);
        assert(path, text);
        assert((await Deno.stat(path)).size > 11_000_000, "the control keeps everything");
      } finally {
        await control.terminate();
      }
      const computer = computerFor(place, true, { maxOutputFile: cap, timeout: 3 });
      try {
        // The bounded flood: first part and end kept, a line saying what was dropped.
        let text = textOf(await computer.run(flood.language, flood.bounded));
        let path = fullOutputFile(text)!;
        assertStringIncludes(text, "capped");
        let size = (await Deno.stat(path)).size;
        assert(size <= cap + 400, `${size} bytes`);
        const file = await Deno.readTextFile(path);
        assert(file.startsWith("zzzz"));
        assertStringIncludes(file, "bytes of output were left out here");
        assert(file.endsWith("THE-END\n"), file.slice(-40));
        // The endless one (`cat /dev/zero`), stopped by the time limit: still within the cap.
        text = textOf(await computer.run(flood.language, flood.endless));
        assertStringIncludes(text, "stopped after 3 s");
        path = fullOutputFile(text)!;
        size = (await Deno.stat(path)).size;
        assert(size <= cap + 400, `${size} bytes after an endless flood`);
      } finally {
        await computer.terminate();
      }
    });
  });
}

/** A script run as its own process (its own PATH): a Computer under `-A` runs `code`. */
const CLASS3_CHILD = `
import { Computer } from ${JSON.stringify(new URL("../lib/computer/mod.ts", import.meta.url).href)};
import { which } from ${
  JSON.stringify(new URL("../lib/computer/languages.ts", import.meta.url).href)
};
import { allowAll } from ${
  JSON.stringify(new URL("../lib/sandbox/permissions.ts", import.meta.url).href)
};
const [mode, language, code, program] = Deno.args;
if (mode === "control") {
  // what a plain PATH lookup (the old one) finds and runs
  const found = which(program);
  const out = await new Deno.Command(found, { args: ["-c", "exit 0"], stdout: "null", stderr: "null" }).output();
  console.log(JSON.stringify({ found, code: out.code }));
} else {
  const computer = new Computer({ cwd: Deno.env.get("WORK"), dataDir: Deno.env.get("DATA"), permissions: allowAll() });
  const messages = await computer.run(language, code);
  await computer.terminate();
  console.log(JSON.stringify({ text: messages.map((m) => m.content).join("") }));
}
`;

const PROGRAMS: [string, string, string][] = [
  ["python3", "python", "print('hello from python')"],
  ["bash", "shell", "echo hello from bash"],
  ["perl", "perl", 'print "hello from perl\\n";'],
];

for (const [program, language, code] of PROGRAMS) {
  Deno.test(`escape host class 3: a ${program} planted in a workspace folder on PATH never runs unsandboxed (-A)`, async () => {
    await withPlace(async (place) => {
      const bin = join(place.work, ".venv", "bin");
      await Deno.mkdir(bin, { recursive: true });
      const marker = join(place.outside, "planted.txt");
      const real = ["/usr/bin", "/bin"].map((d) => `${d}/${program}`).find((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      })!;
      // The plant: notes that it ran outside any sandbox, then behaves like the real one.
      await Deno.writeTextFile(
        join(bin, program),
        `#!/bin/sh\necho "ran $0" >> '${marker}'\nexec ${real} "$@"\n`,
      );
      await Deno.chmod(join(bin, program), 0o755);
      const script = join(place.root, "child.ts");
      await Deno.writeTextFile(script, CLASS3_CHILD);
      const env = {
        PATH: `${bin}:${Deno.env.get("PATH")}`,
        WORK: place.work,
        DATA: place.data,
        HOME: Deno.env.get("HOME") ?? "/root",
      };
      const child = (mode: string) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", script, mode, language, code, program],
          env,
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
      // Control: a plain PATH lookup finds the plant first, and running it leaves the marker.
      let out = await child("control");
      const control = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEquals(control.found, join(bin, program), new TextDecoder().decode(out.stderr));
      assertStringIncludes(await Deno.readTextFile(marker), "ran ");
      await Deno.remove(marker);
      // Attack: the computer under -A with that PATH.
      out = await child("run");
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      assertStringIncludes(result.text, `hello from ${language === "shell" ? "bash" : language}`);
      assertStringIncludes(result.text, `${join(bin, program)} was not used`);
      let ran = "";
      try {
        ran = await Deno.readTextFile(marker);
      } catch { /* not there: good */ }
      assertEquals(ran, "", "the planted program never ran");
    });
  });
}
