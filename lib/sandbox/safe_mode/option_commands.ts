/**
 * Commands that run shell code given in one of their options (GTFOBins-style):
 * `sed '1e cmd'`, `vim -c ':!cmd'`, `tar --checkpoint-action=exec=cmd`,
 * `zip -TT cmd`, `git -c core.pager=cmd`, `ssh -o ProxyCommand=cmd`,
 * `rsync -e cmd`, `tcpdump -z cmd`, `man -P cmd`, `gdb -ex '!cmd'`,
 * `socat … EXEC:cmd`, `parallel cmd ::: …`. Also `rsync --delete` into a
 * folder, read as deleting that folder's contents, and `mv` of the home folder
 * or a top-level folder, read as deleting it.
 *
 * @module
 */

import { HOLE } from "./types.ts";

/** One word of a command: its text, and whether that text is known before it runs. */
export interface OptionWord {
  text: string;
  known: boolean;
}

/** Shell code a command runs (`code`), or null when it is built at run time; `via` names how. */
export interface OptionCommand {
  via: string;
  code: string | null;
}

const GIT_COMMAND_KEYS =
  /^(?:core\.(?:pager|sshcommand|editor|fsmonitor|askpass|hookspath)|sequence\.editor|diff\.external|credential\.helper|gpg\.program|pager\..+|alias\..+|uploadpack\.packobjectshook|filter\..+\.(?:clean|smudge|process))$/i;
const SSH_COMMAND_OPTIONS = /^(?:proxycommand|localcommand|knownhostscommand)$/i;

/** The value of `-x value`, `-xvalue`, `--long=value` or `--long value` at `k`, and the next index. */
function valueAt(
  args: readonly OptionWord[],
  k: number,
  short: string[],
  long: string[],
): { value: OptionWord; next: number } | undefined {
  const t = args[k].text;
  for (const l of long) {
    if (t === l && args[k + 1]) return { value: args[k + 1], next: k + 2 };
    if (t.startsWith(l + "=")) {
      return { value: { ...args[k], text: t.slice(l.length + 1) }, next: k + 1 };
    }
  }
  for (const s of short) {
    if (t === s && args[k + 1]) return { value: args[k + 1], next: k + 2 };
    if (t.startsWith(s) && t.length > s.length && s.length === 2) {
      return { value: { ...args[k], text: t.slice(2) }, next: k + 1 };
    }
  }
  return undefined;
}

/** Values of the given options, in order. */
function values(args: readonly OptionWord[], short: string[], long: string[]): OptionWord[] {
  const out: OptionWord[] = [];
  for (let k = 0; k < args.length;) {
    const v = valueAt(args, k, short, long);
    if (v) {
      out.push(v.value);
      k = v.next;
    } else k++;
  }
  return out;
}

const code = (via: string, w: OptionWord, text = w.text): OptionCommand => ({
  via,
  code: w.known ? text : null,
});

/** The commands a sed script runs: `e cmd`, a bare `e`, and the `e` flag of `s///e`. */
function sedScript(word: OptionWord): OptionCommand[] {
  // A value made at run time inside a script (`s/x/$v/`) is read as data: the rest is scanned.
  if (!word.known && word.text.replaceAll(HOLE, "").trim() === "") {
    return [{ via: "a sed script", code: null }];
  }
  const w = word.known ? word : { text: word.text.replaceAll(HOLE, "x"), known: true };
  const out: OptionCommand[] = [];
  const address = String.raw`(?:\d+|\$|/(?:[^/\\\n]|\\.)*/)`;
  const command = new RegExp(
    String
      .raw`(?:^|[;\n{}])\s*(?:${address}(?:\s*,\s*${address})?\s*!?\s*)?e(?:[ \t]+([^;\n}]*))?(?=$|[;\n}])`,
    "g",
  );
  for (const m of w.text.matchAll(command)) {
    out.push({ via: "sed's e command", code: m[1]?.trim() ? m[1].trim() : null });
    if (out.length >= MAX_PIECES) return out;
  }
  if (
    /(?:^|[;\n{}\s])s([^\w\s\\])(?:\\.|(?!\1)[^\n\\])*\1(?:\\.|(?!\1)[^\n\\])*\1[gpiImM0-9w]*e/
      .test(
        w.text,
      )
  ) {
    out.push({ via: "sed's s///e", code: null });
  }
  return out;
}

function sed(args: readonly OptionWord[]): OptionCommand[] {
  const scripts = values(args, ["-e"], ["--expression"]);
  if (scripts.length === 0) {
    const first = args.find((a) => !a.text.startsWith("-"));
    if (first) scripts.push(first);
  }
  return scripts.flatMap(sedScript);
}

function vim(args: readonly OptionWord[]): OptionCommand[] {
  const out: OptionCommand[] = [];
  const commands = [
    ...values(args, ["-c"], ["--cmd"]),
    ...args.filter((a) => a.text.startsWith("+") && a.text.length > 1).map((a) => ({
      ...a,
      text: a.text.slice(1),
    })),
  ];
  for (const c of commands) {
    const text = c.text.replace(/^[:\s]+/, "");
    if (!c.known) out.push({ via: "a vim command", code: null });
    else if (text.startsWith("!")) out.push({ via: "a vim :! command", code: text.slice(1) });
    else if (
      /^(?:\S*!|sh(?:ell)?\b|te(?:rm(?:inal)?)?\b|py|lua|perl|rub|call\b|exe)|system\s*\(/.test(
        text,
      )
    ) {
      out.push({ via: "a vim command", code: null });
    }
  }
  return out;
}

function tar(args: readonly OptionWord[]): OptionCommand[] {
  const out: OptionCommand[] = [];
  for (const a of values(args, [], ["--checkpoint-action"])) {
    if (!a.known) out.push({ via: "tar --checkpoint-action", code: null });
    else if (a.text.startsWith("exec=")) {
      out.push(code("tar --checkpoint-action", a, a.text.slice(5)));
    }
  }
  for (
    const a of values(args, ["-I", "-F"], [
      "--to-command",
      "--use-compress-program",
      "--info-script",
      "--new-volume-script",
      "--rsh-command",
    ])
  ) {
    out.push(code("a tar option", a));
  }
  return out;
}

function git(args: readonly OptionWord[]): OptionCommand[] {
  const out: OptionCommand[] = [];
  for (const a of values(args, ["-c"], ["--config-env"])) {
    const m = a.text.match(/^([^=]+)=(.*)$/s);
    if (!a.known) out.push({ via: "git -c", code: null });
    else if (m && GIT_COMMAND_KEYS.test(m[1])) {
      const key = m[1].toLowerCase();
      if (key.startsWith("alias.") && !m[2].startsWith("!")) continue;
      out.push({
        via: `git -c ${m[1]}`,
        code: key === "core.hookspath" ? null : m[2].replace(/^!/, ""),
      });
    }
  }
  return out;
}

function ssh(args: readonly OptionWord[]): OptionCommand[] {
  const out: OptionCommand[] = [];
  for (const a of values(args, ["-o"], [])) {
    const m = a.text.match(/^(\w+)\s*[=\s]\s*(.*)$/s);
    if (!a.known) out.push({ via: "ssh -o", code: null });
    else if (m && SSH_COMMAND_OPTIONS.test(m[1])) out.push({ via: `ssh -o ${m[1]}`, code: m[2] });
  }
  return out;
}

function rsync(args: readonly OptionWord[]): OptionCommand[] {
  const out = values(args, ["-e"], ["--rsh"]).map((a) => code("rsync -e", a));
  if (args.some((a) => a.text.startsWith("--delete") || a.text === "--remove-source-files")) {
    const paths = args.filter((a) => !a.text.startsWith("-"));
    const dest = paths[paths.length - 1];
    if (paths.length >= 2 && dest && !/^[^/]*:/.test(dest.text)) {
      out.push({
        via: "rsync --delete",
        code: dest.known ? `rm -rf ${quote(dest.text.replace(/\/+$/, "") || "/")}/*` : null,
      });
    }
  }
  return out;
}

/** `mv` of the home folder, `/` or a top-level folder: that folder is gone from its place. */
function mv(args: readonly OptionWord[]): OptionCommand[] {
  const paths = args.filter((a) => !a.text.startsWith("-"));
  return paths.slice(0, -1).filter((a) =>
    !a.known || /^(?:~\/?|\$HOME\/?|\/[^/]*\/?)$/.test(a.text)
  ).map((a) => ({ via: "mv", code: a.known ? `rm -rf ${quote(a.text)}` : null }));
}

function quote(text: string): string {
  return /^[\w~/.$-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The shell code `name` runs from its options or arguments (empty for most commands). */
export function optionCommands(name: string, args: readonly OptionWord[]): OptionCommand[] {
  // A few are enough to judge the command (thousands of `1e;` must not cost seconds).
  return commandsOf(name, args).slice(0, MAX_PIECES);
}

/** The most pieces of code read from one command's options. */
const MAX_PIECES = 16;

function commandsOf(name: string, args: readonly OptionWord[]): OptionCommand[] {
  switch (name) {
    case "sed":
    case "gsed":
      return sed(args);
    case "vi":
    case "vim":
    case "nvim":
    case "ex":
    case "view":
    case "vimdiff":
      return vim(args);
    case "tar":
    case "gtar":
      return tar(args);
    case "zip":
      return values(args, ["-TT"], ["--unzip-command"]).map((a) => code("zip -TT", a));
    case "git":
      return git(args);
    case "ssh":
    case "scp":
    case "sftp":
      return ssh(args);
    case "rsync":
      return rsync(args);
    case "tcpdump":
      return values(args, ["-z"], []).map((a) => code("tcpdump -z", a));
    case "man":
      return values(args, ["-P"], ["--pager"]).map((a) => code("man -P", a));
    case "gdb":
      return values(args, ["-ex"], ["--ex", "--eval-command"]).flatMap((a): OptionCommand[] => {
        if (!a.known) return [{ via: "gdb -ex", code: null }];
        const m = a.text.match(/^\s*(?:!|shell\s+|pipe\s+.*\|)(.*)$/s);
        if (m) return [{ via: "gdb -ex", code: m[1] }];
        return /^\s*(?:python|pi|guile|source)\b/.test(a.text)
          ? [{ via: "gdb -ex", code: null }]
          : [];
      });
    case "socat":
      return args.filter((a) => /^(?:EXEC|SYSTEM):/i.test(a.text) || !a.known).map((a) => ({
        via: "socat EXEC:/SYSTEM:",
        code: a.known
          ? a.text.replace(/^\w+:/, "").replace(/,[\w-]+(?:=[^,]*)?(?=,|$)/g, "")
          : null,
      }));
    case "parallel": {
      const end = args.findIndex((a) => /^:::+$/.test(a.text));
      // parallel's own options come first; the command is everything from its first word on.
      const head = args.slice(0, end < 0 ? args.length : end);
      const start = head.findIndex((a, k) =>
        !a.text.startsWith("-") && !/^-[jSPnN]$/.test(head[k - 1]?.text ?? "")
      );
      const command = start < 0 ? [] : head.slice(start);
      if (command.length === 0) return [];
      const inputs = end < 0 ? [] : args.slice(end + 1).filter((a) => !/^:::+$/.test(a.text));
      const known = command.every((a) => a.known);
      const text = command.map((a) => a.text).join(" ");
      if (inputs.length === 0) return [{ via: "parallel", code: known ? text : null }];
      return inputs.map((a) => ({
        via: "parallel",
        code: known && a.known ? `${text} ${quote(a.text)}` : null,
      }));
    }
    case "mv":
      return mv(args);
    default:
      return [];
  }
}
