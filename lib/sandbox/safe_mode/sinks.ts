/**
 * What the Python, JavaScript, Perl and Ruby analysers do with the places
 * where code runs other code: a command whose text is known becomes shell code
 * to scan; code given to `exec`/`eval` becomes code to scan; what cannot be
 * known is flagged.
 *
 * @module
 */

import type { Folded } from "./fold.ts";
import { type Analysis, excerpt, HOLE } from "./types.ts";

/** The findings, views and nested code an analyser collects. */
export interface Collector extends Analysis {
  /** The line of a index of the normalised code. */
  lineAt: (index: number) => number;
}

/** A new collector. */
export function collector(lineAt: (index: number) => number): Collector {
  return { findings: [], shellViews: [], sourceViews: [], nested: [], lineAt };
}

/** Adds an unsafe finding. */
export function flag(c: Collector, line: number, reason: string): void {
  c.findings.push({ level: "unsafe", reason, line });
}

/** Shell words for an argv (holes kept, so the shell analysis sees them as unknown). */
export function argvToShell(argv: string[]): string {
  return argv.map((a) =>
    a.includes(HOLE) || /^[\w@%+=:,./~-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`
  )
    .join(" ");
}

/**
 * A command run through a language's API: `shell` text or an `argv`. Known
 * command names are scanned as shell; a name that is not known is flagged.
 */
export function commandSink(
  c: Collector,
  line: number,
  call: string,
  command: { shell?: string | null; argv?: string[] | null },
): void {
  const text = command.argv ? argvToShell(command.argv) : command.shell;
  const head = command.argv ? command.argv[0] ?? HOLE : (command.shell ?? HOLE).trimStart();
  if (text === null || text === undefined || head.startsWith(HOLE) || head === "") {
    flag(
      c,
      line,
      `runs a command built at run time (${excerpt(call)}), so what it runs cannot be checked`,
    );
    return;
  }
  c.nested.push({ language: "shell", code: text, line });
}

/** Code given to `exec`/`eval`/`Function`: scanned when known, flagged when built at run time. */
export function codeSink(
  c: Collector,
  line: number,
  language: string,
  call: string,
  code: Folded | null,
): void {
  const label = language === "javascript"
    ? "JavaScript"
    : language[0].toUpperCase() + language.slice(1);
  if (!code || code.value.includes(HOLE)) {
    flag(
      c,
      line,
      `runs ${label} code built at run time (${excerpt(call)}), so what it runs cannot be checked`,
    );
    return;
  }
  if (code.decoded) {
    flag(
      c,
      line,
      `runs decoded text as code (${excerpt(call)}), so what it runs cannot be checked`,
    );
  }
  c.nested.push({ language, code: code.value, line });
}

/** The language a bare shell or interpreter reads from its stdin (`sh`, `bash -s`, `python3 -`), or null. */
export function stdinInterpreter(argv: string[]): string | null {
  const name = (argv[0] ?? "").replace(/^.*\//, "");
  const language = /^(?:ba|z|da|k|mk|r)?sh$|^ash$|^fish$/.test(name)
    ? "shell"
    : /^python(?:[23](?:\.\d+)?)?$/.test(name)
    ? "python"
    : /^(?:perl|ruby)$/.test(name)
    ? name
    : /^(?:node|nodejs|bun)$/.test(name)
    ? "javascript"
    : null;
  if (!language) return null;
  const rest = argv.slice(1);
  if (rest.some((a) => a !== "-" && !/^-[a-zA-Z]*$/.test(a) || /^-\w*[ceE]\w*$/.test(a))) {
    return null;
  }
  return language;
}

/** Text a program gives to a bare shell or interpreter on its stdin: scanned, or flagged when built. */
export function stdinSink(
  c: Collector,
  line: number,
  call: string,
  language: string,
  input: string | null,
): void {
  if (input === null || input.includes(HOLE)) {
    flag(
      c,
      line,
      `feeds text made at run time to ${language === "shell" ? "a shell" : language} (${
        excerpt(call)
      }), so what it runs cannot be checked`,
    );
  } else c.nested.push({ language, code: input, line });
}
