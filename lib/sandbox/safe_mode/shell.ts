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

import { substitutionsIn, type Word } from "./shell_lex.ts";
import { argvToShell } from "./sinks.ts";
import {
  awk,
  basename,
  DECODERS,
  DOWNLOADERS,
  downloads,
  interpreter,
  POSITIONAL,
  PRIVILEGED,
  RUNS_STRING,
  WRAPPERS,
} from "./shell_commands.ts";
import { optionCommands } from "./option_commands.ts";
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

interface Context {
  values: Values;
  aliases: Map<string, string>;
  downloads: Set<string>;
  executed: { name: string; line: number }[];
  findings: Finding[];
  views: TextView[];
  nested: NestedCode[];
  budget: number;
  /** Programs copied or linked under another name: new name → program (a hole if unknown). */
  renamed: Map<string, string>;
  /** Where `cd` went (`~`, `/tmp/x`, `build`, a hole), when it did. */
  dir?: string;
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
    renamed: new Map(),
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
  // An unquoted here-document is expanded: its command substitutions run, whatever reads it.
  for (const r of c.redirs) {
    if (r.heredoc && !r.heredoc.quoted) substitutionsIn(r.heredoc.body).forEach(hooks.onSub);
  }
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
  // A program copied or linked under another name (`ln -s /bin/rm x; ./x -rf ~`) is that program.
  const renamed = words[0]?.known ? ctx.renamed.get(basename(words[0].text)) : undefined;
  if (renamed !== undefined) {
    words[0] = { ...words[0], text: renamed, known: !renamed.includes(HOLE) };
  }
  const head0 = words[0]?.known ? basename(words[0].text) : "";
  if (/^(?:ln|cp|mv|install)$/.test(head0)) {
    const paths = words.slice(1).filter((w, k, all) =>
      !w.text.startsWith("-") && !/^-[mog]$/.test(all[k - 1]?.text ?? "")
    );
    const [src, dst] = paths.slice(-2);
    if (src && dst?.known && paths.length === 2 && !dst.text.endsWith("/")) {
      const program = src.known ? basename(src.text) : HOLE;
      if (program !== basename(dst.text)) ctx.renamed.set(basename(dst.text), program);
    }
  }
  if (head0 === "cd" || head0 === "pushd") {
    const to = words.slice(1).find((w) => !w.text.startsWith("-") || w.text === "-");
    const target = !to ? "~" : !to.known || to.text === "-" ? HOLE : to.text;
    ctx.dir = /^[/~]/.test(target) || !ctx.dir ? target : `${ctx.dir}/${target}`;
  } else if (head0 === "rm" && ctx.dir !== undefined) {
    // After `cd ~`, `rm -rf .` deletes the home folder: relative paths are read from there.
    for (let k = 1; k < words.length; k++) {
      const w = words[k];
      if (!w.text.startsWith("-") && !/^[/~]/.test(w.text)) {
        words[k] = { ...w, text: `${ctx.dir}/${w.text}` };
      }
    }
  }
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
    } else if (input && /^[<>]\(/.test(input.raw)) script(input, language, ctx, line, info);
    else if (input) ctx.executed.push({ name: basename(input.text), line });
    else if (redirs.some((r) => r.op === "<&" || r.op === "<>")) {
      unsafe(
        ctx,
        line,
        `runs code read from another file descriptor (${
          excerpt(info.shown)
        }), so what it runs cannot be checked`,
      );
    } else info.stdinLanguage = language;
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
  } else if (RUNS_STRING[name] !== undefined && args.length > 0) {
    const flag = RUNS_STRING[name];
    const at = flag ? args.findIndex((a) => a.text === flag) + 1 : 0;
    let from = at;
    // watch's own options (`-n 1`, `-d`) come before the command.
    while (!flag && args[from]?.text.startsWith("-") && args[from].text !== "-") {
      from += /^(?:-n|--interval|-q|--equexit)$/.test(args[from].text) ? 2 : 1;
    }
    const rest = at > 0 || !flag ? args.slice(from) : [];
    const code = name === "watch" ? rest : rest.slice(0, 1);
    if (code.length > 0 && (name !== "trap" || code[0].text !== "-")) {
      if (code.every((a) => a.known)) inline(code.map((a) => a.text).join(" "), ctx, line);
      else {unsafe(
          ctx,
          line,
          `runs shell code built at run time (${
            excerpt(info.shown)
          }), so what it runs cannot be checked`,
        );}
    }
  } else if (name === "find") {
    // `find … -exec cmd {} ;` runs cmd for each file found (`{}` is not known).
    for (let k = 0; k < args.length; k++) {
      if (!/^-(?:exec|execdir|ok|okdir)$/.test(args[k].text)) continue;
      const end = args.findIndex((a, j) => j > k && (a.text === ";" || a.text === "+"));
      const sub = args.slice(k + 1, end < 0 ? args.length : end);
      const argv = sub.map((a) => a.text.replaceAll("{}", HOLE));
      if (sub[0] && !sub[0].known) {
        unsafe(
          ctx,
          line,
          `builds a command name at run time (${
            excerpt(sub[0].raw)
          }), so what it runs cannot be checked`,
        );
      } else if (argv.length > 0) inline(argvToShell(argv), ctx, line);
      k = end < 0 ? args.length : end;
    }
  } else if (/^(?:g|m|n)?awk$/.test(name)) {
    awk(args.map((a) => a.known ? a.text : null), info.shown, {
      run: (code) => inline(code, ctx, line),
      flag: (reason) => unsafe(ctx, line, reason),
    });
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
    const got = downloads(name, args.map((a) => a.text));
    got.files.forEach((f) => ctx.downloads.add(f));
    info.download = got.stdout || name === "wget" || name === "curl";
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
  // Shell code given in an option (`sed '1e cmd'`, `git -c core.pager=cmd`, `tar
  // --checkpoint-action=exec=cmd`…), and `rsync --delete`/`mv` read as the deletes they are.
  for (const piece of optionCommands(name, args)) {
    if (piece.code !== null) inline(piece.code, ctx, line);
    else {
      unsafe(
        ctx,
        line,
        `runs a command given through ${piece.via} that cannot be read here (${
          excerpt(info.shown)
        }), so what it runs cannot be checked`,
      );
    }
  }
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
