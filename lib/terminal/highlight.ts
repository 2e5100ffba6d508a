/**
 * A small line-at-a-time syntax highlighter for code blocks. Streaming code
 * arrives line by line, so each line is coloured on its own (no multi-line
 * state): keywords, strings, comments, numbers. Good enough to read code at a
 * glance and cheap enough to run on every chunk.
 *
 * @module
 */

import type { Style } from "./ansi.ts";

interface LanguageRules {
  keywords: Set<string>;
  builtins: Set<string>;
  /** Line-comment marker. */
  comment: string;
}

function words(s: string): Set<string> {
  return new Set(s.split(/\s+/).filter(Boolean));
}

const PYTHON: LanguageRules = {
  keywords: words(
    "and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield None True False match case",
  ),
  builtins: words(
    "print len range open str int float list dict set tuple type isinstance enumerate zip map filter sorted sum min max abs input super self",
  ),
  comment: "#",
};

const SHELL: LanguageRules = {
  keywords: words(
    "if then else elif fi for while until do done case esac in function return export local readonly unset exit break continue",
  ),
  builtins: words(
    "echo cd ls cat grep sed awk printf test set source pwd mkdir rm cp mv touch chmod find xargs sort head tail wc curl git sudo apt pip python3 deno node",
  ),
  comment: "#",
};

const JAVASCRIPT: LanguageRules = {
  keywords: words(
    "async await break case catch class const continue debugger default delete do else export extends finally for from function if import in instanceof let new of return super switch this throw try typeof var void while with yield null undefined true false interface type enum implements",
  ),
  builtins: words("console Math JSON Object Array String Number Promise Deno process require"),
  comment: "//",
};

const RUBY: LanguageRules = {
  keywords: words(
    "def end if elsif else unless while until for in do return class module yield begin rescue ensure nil true false self require puts",
  ),
  builtins: new Set(),
  comment: "#",
};

const R: LanguageRules = {
  keywords: words(
    "function if else for while repeat break next return TRUE FALSE NULL NA in library",
  ),
  builtins: words("print cat paste c list data.frame sum mean length"),
  comment: "#",
};

const C_LIKE: LanguageRules = {
  keywords: words(
    "if else for while do switch case default break continue return class struct public private protected static final void int long double float char bool boolean new try catch throw import package fn let mut pub use impl func go defer var const true false null nil",
  ),
  builtins: new Set(),
  comment: "//",
};

const RULES: Record<string, LanguageRules> = {
  python: PYTHON,
  py: PYTHON,
  shell: SHELL,
  bash: SHELL,
  sh: SHELL,
  zsh: SHELL,
  powershell: SHELL,
  javascript: JAVASCRIPT,
  js: JAVASCRIPT,
  typescript: JAVASCRIPT,
  ts: JAVASCRIPT,
  deno: JAVASCRIPT,
  node: JAVASCRIPT,
  ruby: RUBY,
  rb: RUBY,
  r: R,
  java: C_LIKE,
  c: C_LIKE,
  cpp: C_LIKE,
  go: C_LIKE,
  rust: C_LIKE,
};

const TOKEN_RE =
  /("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`(?:[^`\\]|\\.)*`?)|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_$][\w$.]*)/g;

/** Colours one line of code in `language`; unknown languages come back unchanged. */
export function highlightLine(line: string, language: string, style: Style): string {
  if (!style.enabled) return line;
  const rules = RULES[language.toLowerCase()];
  if (!rules) return line;
  let code = line;
  let comment = "";
  const at = findComment(line, rules.comment);
  if (at >= 0) {
    code = line.slice(0, at);
    comment = style.gray(line.slice(at));
  }
  const colored = code.replace(TOKEN_RE, (match, str, num, word) => {
    if (str) return style.green(match);
    if (num) return style.yellow(match);
    if (word) {
      if (rules.keywords.has(word)) return style.magenta(match);
      if (rules.builtins.has(word)) return style.cyan(match);
    }
    return match;
  });
  return colored + comment;
}

/** Index of a line comment outside quotes, or -1. */
function findComment(line: string, marker: string): number {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = "";
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") {
      quote = ch;
      continue;
    }
    if (line.startsWith(marker, i)) {
      // `$#` and `${#x}` in shell are not comments; a comment starts a word.
      if (marker === "#" && i > 0 && !/\s/.test(line[i - 1])) continue;
      return i;
    }
  }
  return -1;
}
