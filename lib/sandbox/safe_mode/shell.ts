/**
 * Safe mode's shell analysis. Each command is normalised as the shell would
 * run it (quotes, `$'…'` escapes, variables with a single literal value,
 * `$(printf …)`/`$(echo …)` output, aliases, wrappers such as `env`, `sudo`,
 * `xargs`) and rendered as one line for the pattern rules. What cannot be read
 * statically is flagged: a command name built at run time (`$c$d`, `$(…)`),
 * `eval` or `sh -c`/`python -c` of text built at run time, `${!x}`, text made
 * at run time or decoded (`base64 -d`, `xxd -r`, `rev`, `tr`) piped into a
 * shell, `source <(…)`, and a file downloaded and then run anywhere in the code.
 *
 * @module
 */

import type { Word } from "./shell_lex.ts";
import { type Command, parseShell, type Pipeline } from "./shell_parse.ts";
import {
  assignment,
  collectValues,
  type Expanded,
  expandWord,
  printed,
  type Values,
} from "./shell_eval.ts";
import {
  type Analysis,
  excerpt,
  type Finding,
  HOLE,
  lineFinder,
  type NestedCode,
  type TextView,
} from "./types.ts";

/** Wrappers that run the command after them, and their options that take a value. */
const WRAPPERS: Record<string, string[]> = {
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
};
/** Wrappers with positional arguments before the command (`timeout 5 rm`). */
const POSITIONAL: Record<string, number> = { timeout: 1, taskset: 1, chrt: 1, flock: 1 };
const PRIVILEGED = new Set(["sudo", "doas", "pkexec"]);
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "rbash"]);
const DOWNLOADERS = new Set([
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
const DECODERS =
  /^(?:base64|base32|basenc|xxd|rev|tr|openssl|gzip|gunzip|zcat|bzcat|xzcat|bunzip2|uudecode|od|iconv|sed|awk|perl)$/;

/** Interpreters with an option that takes code, and the language of that code. */
function interpreter(name: string): { language: string; flags: RegExp } | undefined {
  if (/^python(?:[23](?:\.\d+)?)?$/.test(name)) return { language: "python", flags: /^-\w*c$/ };
  if (name === "perl") return { language: "perl", flags: /^-\w*[eE]$/ };
  if (name === "ruby") return { language: "ruby", flags: /^-\w*e$/ };
  if (name === "node" || name === "nodejs" || name === "bun") {
    return { language: "javascript", flags: /^(?:-e|-p|--eval|--print|-pe)$/ };
  }
  if (SHELLS.has(name)) return { language: "shell", flags: /^-\w*c\w*$/ };
  return undefined;
}

interface Context {
  values: Values;
  aliases: Map<string, string>;
  downloads: Set<string>;
  executed: { name: string; line: number }[];
  findings: Finding[];
  views: TextView[];
  nested: NestedCode[];
  budget: number;
}

/** What a command does, for the pipeline it is part of. */
interface CommandInfo {
  name?: string;
  download: boolean;
  decoder: boolean;
  output?: string;
  stdinLanguage?: string;
  files?: Expanded[];
  rendered: string;
  shown: string;
}

const unsafe = (ctx: Context, line: number, reason: string) =>
  ctx.findings.push({ level: "unsafe", reason, line });

const basename = (path: string) =>
  path.replace(/\/+$/, "").slice(path.replace(/\/+$/, "").lastIndexOf("/") + 1);

/** Analyses shell code: findings of its own, and one normalised line per pipeline for the rules. */
export function analyzeShell(code: string): Analysis {
  const ctx: Context = {
    values: new Map(),
    aliases: new Map(),
    downloads: new Set(),
    executed: [],
    findings: [],
    views: [],
    nested: [],
    budget: 64,
  };
  const lineAt = lineFinder(code);
  const pipelines = parseShell(code);
  collectValues(pipelines, ctx.values);
  for (const p of pipelines) pipeline(p, ctx, lineAt(p.at));
  for (const run of ctx.executed) {
    if (ctx.downloads.has(run.name)) {
      unsafe(
        ctx,
        run.line,
        `runs a file it downloaded (${excerpt(run.name)}) without showing it first`,
      );
    }
  }
  return { findings: ctx.findings, shellViews: ctx.views, sourceViews: [], nested: ctx.nested };
}

/** Shell code found inside shell code (`eval '…'`, `bash -c '…'`, `$(…)`): analysed in place. */
function inline(code: string, ctx: Context, line: number): void {
  if (--ctx.budget < 0) {
    if (ctx.budget === -1) unsafe(ctx, line, "nests code too deeply to check");
    return;
  }
  const pipelines = parseShell(code);
  const outer = ctx.values;
  ctx.values = new Map(outer);
  collectValues(pipelines, ctx.values);
  for (const p of pipelines) pipeline(p, ctx, line);
  ctx.values = outer;
}

/** Code of another language found in shell code, or shell code analysed in place. */
function nestedCode(language: string, code: string, ctx: Context, line: number): void {
  if (language === "shell") inline(code, ctx, line);
  else ctx.nested.push({ language, code, line });
}

function pipeline(p: Pipeline, ctx: Context, line: number): void {
  const infos = p.commands.map((c) => command(c, ctx, line));
  for (let k = 1; k < infos.length; k++) {
    const to = infos[k];
    if (!to.stdinLanguage) continue;
    const from = infos.slice(0, k);
    const shown = `${infos[k - 1].shown} | ${to.shown}`;
    let passed = from[k - 1];
    for (let j = k - 1; j > 0 && passed.name === "tee"; j--) passed = from[j - 1];
    if (from.some((f) => f.download)) {
      unsafe(ctx, line, "pipes a download straight into a shell (curl … | sh)");
    } else if (passed.output !== undefined) {
      nestedCode(to.stdinLanguage, passed.output, ctx, line);
    } else if (passed.name === "cat" && passed.files?.every((f) => f.known)) {
      for (const f of passed.files) ctx.executed.push({ name: basename(f.text), line });
    } else if (from.some((f) => f.decoder)) {
      unsafe(
        ctx,
        line,
        `runs decoded text as code (${excerpt(shown)}), so what it runs cannot be checked`,
      );
    } else {
      unsafe(
        ctx,
        line,
        `pipes text made at run time into ${to.name} (${
          excerpt(shown)
        }), so what it runs cannot be checked`,
      );
    }
  }
  // Whatever a pipeline holding a download writes (`curl … | tee f`, `> f`) is a download too.
  if (infos.some((f) => f.download)) {
    for (const c of p.commands) {
      const name = c.words.length > 0
        ? basename(expandWord(c.words[0], ctx.values)[0]?.text ?? "")
        : "";
      const targets = [
        ...c.redirs.filter((r) => /^(?:>|>>|>\||&>)$/.test(r.op) && r.target).map((r) => r.target!),
        ...(name === "tee" ? c.words.slice(1) : []),
      ];
      for (const t of targets) {
        for (const e of expandWord(t, ctx.values)) ctx.downloads.add(basename(e.text));
      }
    }
  }
  ctx.views.push({ text: infos.map((i) => i.rendered).join(" | "), lineAt: () => line });
}

function command(c: Command, ctx: Context, line: number): CommandInfo {
  const hooks = {
    onSub: (code: string) => inline(code, ctx, line),
    onIndirect: (raw: string) =>
      unsafe(
        ctx,
        line,
        `reads a variable named by another variable (${
          excerpt(raw)
        }), so what it holds cannot be checked`,
      ),
  };
  const expand = (w: Word) => expandWord(w, ctx.values, hooks);
  const info: CommandInfo = { download: false, decoder: false, rendered: "", shown: "" };
  if (c.listOnly) {
    c.words.forEach(expand);
    return info;
  }
  let k = 0;
  while (k < c.words.length && assignment(c.words[k])) expand(c.words[k++]);
  const argv = c.words.slice(k).flatMap(expand);
  const redirs = c.redirs.map((r) => ({ ...r, expanded: r.target ? expand(r.target) : [] }));
  // Aliases (`alias x='rm -rf'`), then wrappers (`env -i A=1 nohup rm`).
  const alias = argv[0]?.known ? ctx.aliases.get(argv[0].text) : undefined;
  if (alias !== undefined) {
    argv.splice(
      0,
      1,
      ...alias.split(/\s+/).filter(Boolean).map((t) => ({ text: t, known: true, raw: t })),
    );
  }
  let privileged = false;
  let stdinArgs = false;
  let i = 0;
  while (i < argv.length && argv[i].known) {
    const name = basename(argv[i].text);
    const options = WRAPPERS[name];
    if (!options) break;
    if (name === "command" && argv.slice(i + 1).some((a) => /^-\w*[vV]/.test(a.text))) return info;
    privileged ||= PRIVILEGED.has(name);
    stdinArgs ||= name === "xargs";
    i++;
    let positional = POSITIONAL[name] ?? 0;
    while (i < argv.length) {
      const t = argv[i].text;
      if (t === "--") {
        i++;
        break;
      }
      if (name === "env" && (t === "-S" || t === "--split-string") && argv[i + 1]) {
        const split = argv[i + 1].text.split(/\s+/).filter(Boolean);
        argv.splice(
          i,
          2,
          ...split.map((s) => ({ text: s, known: argv[i + 1].known, raw: argv[i + 1].raw })),
        );
        continue;
      }
      if (t.startsWith("-") && t.length > 1) {
        i += options.includes(t) ? 2 : 1;
      } else if (name === "env" && /^[A-Za-z_]\w*=/.test(t)) i++;
      else if (positional > 0) {
        positional--;
        i++;
      } else break;
    }
  }
  const words = argv.slice(i);
  const render = (e: Expanded) =>
    e.known && /[\s;&|()<>`'"]/.test(e.text) ? `'${e.text.replace(/'/g, `'\\''`)}'` : e.text;
  const out = [
    ...(privileged ? ["sudo"] : []),
    ...words.map((w, k) => render(k === 0 && w.known ? { ...w, text: basename(w.text) } : w)),
    ...(stdinArgs ? [HOLE] : []),
    ...redirs.flatMap((r) => r.expanded.length > 0 ? [r.op, ...r.expanded.map(render)] : []),
  ];
  info.rendered = out.join(" ");
  info.shown = words.map((w) => w.known ? w.text : w.raw).join(" ");
  if (words.length === 0) return info;
  const head = words[0];
  if (!head.known) {
    unsafe(
      ctx,
      line,
      `builds a command name at run time (${excerpt(head.raw)}), so what it runs cannot be checked`,
    );
    return info;
  }
  const name = basename(head.text);
  const args = words.slice(1);
  info.name = name;
  if (head.text.includes("/")) ctx.executed.push({ name, line });
  const heredoc = c.redirs.find((r) => r.heredoc)?.heredoc;
  const herestring = redirs.find((r) => r.op === "<<<")?.expanded;
  const input = redirs.find((r) => r.op === "<")?.expanded[0];
  const stdin = (language: string) => {
    if (heredoc) nestedCode(language, heredoc.body, ctx, line);
    else if (herestring) {
      if (herestring.every((e) => e.known)) {
        nestedCode(language, herestring.map((e) => e.text).join(" "), ctx, line);
      } else {
        unsafe(
          ctx,
          line,
          `runs text built at run time as code (${
            excerpt(info.shown + " <<< …")
          }), so what it runs cannot be checked`,
        );
      }
    } else if (input) ctx.executed.push({ name: basename(input.text), line });
    else info.stdinLanguage = language;
  };
  if (name === "eval") {
    if (args.every((a) => a.known)) inline(args.map((a) => a.text).join(" "), ctx, line);
    else {
      unsafe(
        ctx,
        line,
        `runs a command string built at run time with eval (${
          excerpt(info.shown)
        }), so what it runs cannot be checked`,
      );
    }
  } else if (name === "source" || name === ".") {
    script(args[0], "shell", ctx, line, info) || stdin("shell");
  } else if (name === "alias") {
    for (const a of args) {
      const m = a.text.match(/^([^=\s]+)=(.*)$/s);
      if (m && a.known) ctx.aliases.set(m[1], m[2]);
    }
  } else if (interpreter(name)) {
    const { language, flags } = interpreter(name)!;
    const at = args.findIndex((a) => flags.test(a.text));
    if (at >= 0) {
      const codeArgs = language === "perl"
        ? args.filter((_, j) => j > 0 && flags.test(args[j - 1].text))
        : [
          args.slice(at + 1).find((a) => !a.text.startsWith("-")) ??
            { text: "", known: true, raw: "" },
        ];
      if (codeArgs.every((a) => a.known)) {
        nestedCode(language, codeArgs.map((a) => a.text).join("\n"), ctx, line);
      } else {
        const what = { shell: "shell", javascript: "JavaScript" }[language] ??
          language[0].toUpperCase() + language.slice(1);
        unsafe(
          ctx,
          line,
          `runs ${what} code built at run time (${
            excerpt(info.shown)
          }), so what it runs cannot be checked`,
        );
      }
    } else if (!args.some((a) => a.text === "-m" || a.text.startsWith("-m"))) {
      const file = args.find((a) => !a.text.startsWith("-") || a.text === "-");
      if (!file || file.text === "-" || file.text === "/dev/stdin") stdin(language);
      else script(file, language, ctx, line, info);
    }
  } else if (name === "deno") {
    const sub = args.findIndex((a) => !a.text.startsWith("-"));
    const rest = args.slice(sub + 1).filter((a) => !a.text.startsWith("-"));
    if (args[sub]?.text === "eval" && rest[0]) {
      if (rest[0].known) nestedCode("javascript", rest[0].text, ctx, line);
      else {unsafe(
          ctx,
          line,
          `runs JavaScript code built at run time (${
            excerpt(info.shown)
          }), so what it runs cannot be checked`,
        );}
    } else if (["run", "serve", "test"].includes(args[sub]?.text ?? "") && rest[0]) {
      if (/^(?:https?|data|npm|jsr):/i.test(rest[0].text)) {
        unsafe(
          ctx,
          line,
          `runs a script straight from the network (${excerpt(info.shown)}) without showing it`,
        );
      } else if (rest[0].text === "-") stdin("javascript");
      else script(rest[0], "javascript", ctx, line, info);
    }
  } else if (DOWNLOADERS.has(name)) {
    download(name, args, ctx, info);
    for (const r of redirs) {
      if (/^(?:>|>>|>\||&>)$/.test(r.op)) {
        r.expanded.forEach((e) => ctx.downloads.add(basename(e.text)));
      }
    }
  } else if (name === "echo" || name === "printf") {
    if (words.every((w) => w.known)) info.output = printed(words.map((w) => w.text)) ?? undefined;
  } else if (name === "cat") {
    if (heredoc && (heredoc.quoted || !/[$`]/.test(heredoc.body))) info.output = heredoc.body;
    else info.files = args.filter((a) => !a.text.startsWith("-"));
  } else if (DECODERS.test(name)) info.decoder = true;
  return info;
}

/** A script given to a shell or interpreter (`bash f`, `source <(…)`); false when there is none. */
function script(
  file: Expanded | undefined,
  language: string,
  ctx: Context,
  line: number,
  info: CommandInfo,
): boolean {
  if (!file || file.text === "/dev/stdin" || file.text === "-") return false;
  if (/^[<>]\(/.test(file.raw)) {
    const downloads = /\b(?:curl|wget|fetch)\b/.test(file.raw);
    unsafe(
      ctx,
      line,
      downloads
        ? `runs a downloaded script without showing it (${excerpt(info.shown)})`
        : `runs the output of a command as code (${
          excerpt(info.shown)
        }), so what it runs cannot be checked`,
    );
  } else if (!file.known) {
    unsafe(
      ctx,
      line,
      `runs a ${language} file whose name is built at run time (${
        excerpt(info.shown)
      }), so what it runs cannot be checked`,
    );
  } else ctx.executed.push({ name: basename(file.text), line });
  return true;
}

/** Records the files a download writes (`curl -o f`, `curl -O URL`, `wget URL`). */
function download(name: string, args: Expanded[], ctx: Context, info: CommandInfo): void {
  const urls = args.filter((a) => /^[a-z][a-z0-9+.-]*:\/\//i.test(a.text));
  const fromUrl = () =>
    urls.forEach((u) => ctx.downloads.add(basename(u.text.replace(/[?#].*$/, "")) || "index.html"));
  let toStdout = true;
  for (let j = 0; j < args.length; j++) {
    const t = args[j].text;
    const long = t.match(/^--(output|output-document)(?:=(.*))?$/);
    const letter = name === "wget" ? "O" : "o";
    const short = t.match(new RegExp(`^-([a-zA-Z]*?)${letter}(.*)$`));
    let file: string | undefined;
    if (long) file = long[2] ?? args[++j]?.text;
    else if (
      t === "--remote-name" || t === "--remote-name-all" ||
      (name !== "wget" && /^-[a-zA-Z]*O[a-zA-Z]*$/.test(t))
    ) {
      fromUrl();
      toStdout = false;
    } else if (short) file = short[2] !== "" ? short[2] : args[++j]?.text;
    if (file !== undefined) {
      if (file === "-") continue;
      ctx.downloads.add(basename(file));
      toStdout = false;
    }
  }
  if (name === "wget" && toStdout) {
    fromUrl();
    toStdout = false;
  }
  info.download = toStdout || name === "wget" || name === "curl";
}
