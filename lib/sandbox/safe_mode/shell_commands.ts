/**
 * What safe mode knows about shell commands: wrappers that run the command
 * after them, commands that run a string as shell code, shells, interpreters
 * and their code options, downloaders and decoders, and where a download
 * writes.
 *
 * @module
 */

import { decodeEscapes } from "./shell_lex.ts";
import { stdinInterpreter } from "./sinks.ts";
import { excerpt } from "./types.ts";

/** Wrappers that run the command after them, and their options that take a value. */
export const WRAPPERS: Record<string, string[]> = {
  command: [],
  builtin: [],
  exec: ["-a"],
  nohup: [],
  env: ["-u", "-C", "--unset", "--chdir"],
  nice: ["-n", "--adjustment"],
  time: ["-f", "-o"],
  stdbuf: ["-i", "-o", "-e"],
  timeout: ["-s", "-k", "--signal", "--kill-after"],
  setsid: [],
  sudo: ["-u", "-g", "-h", "-p", "-U", "-C", "-D", "-r", "-t"],
  doas: ["-u", "-C"],
  pkexec: ["--user"],
  xargs: ["-I", "-n", "-P", "-d", "-L", "-s", "-E", "-a", "--max-args", "--max-procs"],
  busybox: [],
  ionice: ["-c", "-n", "-p"],
  taskset: [],
  chrt: [],
  unbuffer: [],
  flock: ["-w", "-E"],
  strace: ["-o", "-e", "-p", "-s", "-u", "-E", "-a", "-P"],
  ltrace: ["-o", "-e", "-p", "-s", "-u", "-n"],
  chroot: ["--userspec", "--groups"],
  unshare: [],
  nsenter: ["-t", "--target"],
  "systemd-run": ["-u", "--unit", "-p", "--property", "-E", "--setenv", "--uid", "--gid", "-M"],
  "xvfb-run": ["-n", "-s", "-f", "-e", "-p"],
  firejail: [],
  fakeroot: [],
  valgrind: [],
  "dbus-launch": [],
  caffeinate: [],
  coproc: [],
  toybox: [],
};
/** Wrappers with positional arguments before the command (`timeout 5 rm`). */
export const POSITIONAL: Record<string, number> = {
  timeout: 1,
  taskset: 1,
  chrt: 1,
  flock: 1,
  chroot: 1,
};
/** Commands that run a string argument as shell code: the option before it ("" = first argument). */
export const RUNS_STRING: Record<string, string> = {
  trap: "",
  watch: "",
  script: "-c",
  su: "-c",
  runuser: "-c",
  flock: "-c",
};
/** Wrappers that run the command with root rights. */
export const PRIVILEGED = new Set(["sudo", "doas", "pkexec"]);
/** Shells. */
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "rbash"]);
/** Programs that download. */
export const DOWNLOADERS = new Set([
  "curl",
  "wget",
  "fetch",
  "aria2c",
  "http",
  "https",
  "lynx",
  "nc",
  "ncat",
]);
/** Programs that turn text into other text (what they print cannot be read). */
export const DECODERS =
  /^(?:base64|base32|basenc|xxd|rev|tr|openssl|gzip|gunzip|zcat|bzcat|xzcat|bunzip2|uudecode|od|iconv|sed|awk|perl)$/;

/** Interpreters with an option that takes code, and the language of that code. */
export function interpreter(name: string): { language: string; flags: RegExp } | undefined {
  if (/^python(?:[23](?:\.\d+)?)?$/.test(name)) return { language: "python", flags: /^-\w*c$/ };
  if (name === "perl") return { language: "perl", flags: /^-\w*[eE]$/ };
  if (name === "ruby") return { language: "ruby", flags: /^-\w*e$/ };
  if (name === "node" || name === "nodejs" || name === "bun") {
    return { language: "javascript", flags: /^(?:-e|-p|--eval|--print|-pe)$/ };
  }
  if (SHELLS.has(name)) return { language: "shell", flags: /^-\w*c\w*$/ };
  if (name === "php") return { language: "php", flags: /^-r$/ };
  if (name === "lua" || name === "luajit") return { language: "lua", flags: /^-e$/ };
  if (name === "osascript") return { language: "applescript", flags: /^-e$/ };
  if (name === "pwsh" || name === "powershell") {
    return { language: "powershell", flags: /^-(?:c|Command|EncodedCommand|e|enc)$/i };
  }
  return undefined;
}

/**
 * awk programs: `system("…")`, `print | "cmd"`, `"cmd" | getline` run shell commands. `args`
 * holds the known words (null for unknown ones); `run` gets shell code to scan, `flag` a reason.
 */
export function awk(
  args: (string | null)[],
  shown: string,
  on: { run: (code: string) => void; flag: (reason: string) => void },
): void {
  let k = 0;
  while (k < args.length && args[k]?.startsWith("-")) k += /^-[Fvf]$/.test(args[k]!) ? 2 : 1;
  if (args.includes("-f") || k >= args.length) return; // no program, or the program is a file
  const text = args[k];
  if (text === null) {
    on.flag(
      `runs an awk program built at run time (${
        excerpt(shown)
      }), so what it runs cannot be checked`,
    );
    return;
  }
  for (const m of text.matchAll(/\bsystem\s*\(\s*("(?:[^"\\]|\\.)*")?\s*([^)]*)\)/g)) {
    if (m[1] && m[2].trim() === "") on.run(awkString(m[1]));
    else {on.flag(
        `runs a command built at run time in awk (${
          excerpt(m[0])
        }), so what it runs cannot be checked`,
      );}
  }
  for (const m of text.matchAll(/\|\s*("(?:[^"\\]|\\.)*")|("(?:[^"\\]|\\.)*")\s*\|\s*getline/g)) {
    const command = awkString(m[1] ?? m[2]);
    if (m[1] && stdinInterpreter(command.trim().split(/\s+/))) {
      on.flag(
        `pipes text made at run time into ${command.trim()} from awk, so what it runs cannot be checked`,
      );
    } else on.run(command);
  }
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\|\|/g, "");
  if (/\|\s*[^"\s&|]|[^"\s]\s*\|\s*getline/.test(bare)) {
    on.flag(
      `pipes to or from a command built at run time in awk (${
        excerpt(shown)
      }), so what it runs cannot be checked`,
    );
  }
}

/** The value of an awk string literal (with its quotes). */
function awkString(literal: string): string {
  return decodeEscapes(literal.slice(1, -1), true);
}

/** The last part of a path. */
export const basename = (path: string) =>
  path.replace(/\/+$/, "").slice(path.replace(/\/+$/, "").lastIndexOf("/") + 1);

/** The files a download writes (`curl -o f`, `curl -O URL`, `wget URL`), and whether it prints. */
export function downloads(name: string, args: string[]): { files: string[]; stdout: boolean } {
  const files: string[] = [];
  const urls = args.filter((a) => /^[a-z][a-z0-9+.-]*:\/\//i.test(a));
  const fromUrl = () =>
    urls.forEach((u) => files.push(basename(u.replace(/[?#].*$/, "")) || "index.html"));
  let toStdout = true;
  for (let j = 0; j < args.length; j++) {
    const t = args[j];
    const long = t.match(/^--(output|output-document)(?:=(.*))?$/);
    const letter = name === "wget" ? "O" : "o";
    const short = t.match(new RegExp(`^-([a-zA-Z]*?)${letter}(.*)$`));
    let file: string | undefined;
    if (long) file = long[2] ?? args[++j];
    else if (
      t === "--remote-name" || t === "--remote-name-all" ||
      (name !== "wget" && /^-[a-zA-Z]*O[a-zA-Z]*$/.test(t))
    ) {
      fromUrl();
      toStdout = false;
    } else if (short) file = short[2] !== "" ? short[2] : args[++j];
    if (file !== undefined) {
      if (file === "-") continue;
      files.push(basename(file));
      toStdout = false;
    }
  }
  if (name === "wget" && toStdout) {
    fromUrl();
    toStdout = false;
  }
  return { files, stdout: toStdout };
}
