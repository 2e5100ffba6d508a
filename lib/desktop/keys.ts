/**
 * Key names as Open Interpreter (pyautogui) spells them — `enter`, `command`, `option`, `ctrl`,
 * `pagedown`, `f5`, single characters — mapped to X11 keysym names for xdotool and to macOS
 * key codes / modifiers for osascript.
 *
 * @module
 */

const X11_NAMES: Record<string, string> = {
  enter: "Return",
  return: "Return",
  "\n": "Return",
  tab: "Tab",
  "\t": "Tab",
  space: "space",
  " ": "space",
  backspace: "BackSpace",
  delete: "Delete",
  del: "Delete",
  esc: "Escape",
  escape: "Escape",
  up: "Up",
  down: "Down",
  left: "Left",
  right: "Right",
  home: "Home",
  end: "End",
  pageup: "Prior",
  pgup: "Prior",
  pagedown: "Next",
  pgdn: "Next",
  insert: "Insert",
  capslock: "Caps_Lock",
  numlock: "Num_Lock",
  printscreen: "Print",
  prtsc: "Print",
  pause: "Pause",
  shift: "shift",
  shiftleft: "Shift_L",
  shiftright: "Shift_R",
  ctrl: "ctrl",
  control: "ctrl",
  ctrlleft: "Control_L",
  ctrlright: "Control_R",
  alt: "alt",
  option: "alt",
  altleft: "Alt_L",
  altright: "Alt_R",
  command: "super",
  cmd: "super",
  win: "super",
  winleft: "Super_L",
  winright: "Super_R",
  super: "super",
  fn: "super",
  volumeup: "XF86AudioRaiseVolume",
  volumedown: "XF86AudioLowerVolume",
  volumemute: "XF86AudioMute",
};

const X11_PUNCTUATION: Record<string, string> = {
  "!": "exclam",
  '"': "quotedbl",
  "#": "numbersign",
  $: "dollar",
  "%": "percent",
  "&": "ampersand",
  "'": "apostrophe",
  "(": "parenleft",
  ")": "parenright",
  "*": "asterisk",
  "+": "plus",
  ",": "comma",
  "-": "minus",
  ".": "period",
  "/": "slash",
  ":": "colon",
  ";": "semicolon",
  "<": "less",
  "=": "equal",
  ">": "greater",
  "?": "question",
  "@": "at",
  "[": "bracketleft",
  "\\": "backslash",
  "]": "bracketright",
  "^": "asciicircum",
  _: "underscore",
  "`": "grave",
  "{": "braceleft",
  "|": "bar",
  "}": "braceright",
  "~": "asciitilde",
};

/** The X11 keysym name xdotool takes for an Open Interpreter key name; throws on unknown keys. */
export function x11Key(name: string): string {
  if (typeof name !== "string" || name.length === 0) throw new Error("a key name is required");
  if (name.length === 1) {
    if (/^[A-Za-z0-9]$/.test(name)) return name;
    const p = X11_PUNCTUATION[name] ?? X11_NAMES[name];
    if (p) return p;
    throw new Error(`unknown key ${JSON.stringify(name)}`);
  }
  const lower = name.toLowerCase();
  if (X11_NAMES[lower]) return X11_NAMES[lower];
  if (/^f([1-9]|1[0-9]|2[0-4])$/.test(lower)) return lower.toUpperCase();
  throw new Error(
    `unknown key ${JSON.stringify(name)}: use a character or a name such as enter, tab, esc, ` +
      "up, command, option, ctrl, shift, f1",
  );
}

/** macOS key codes (System Events `key code`) for the named keys that have no character. */
const MAC_KEY_CODES: Record<string, number> = {
  enter: 36,
  return: 36,
  tab: 48,
  space: 49,
  backspace: 51,
  delete: 117,
  esc: 53,
  escape: 53,
  left: 123,
  right: 124,
  down: 125,
  up: 126,
  home: 115,
  end: 119,
  pageup: 116,
  pagedown: 121,
  f1: 122,
  f2: 120,
  f3: 99,
  f4: 118,
  f5: 96,
  f6: 97,
  f7: 98,
  f8: 100,
  f9: 101,
  f10: 109,
  f11: 103,
  f12: 111,
};

const MAC_MODIFIERS: Record<string, string> = {
  command: "command down",
  cmd: "command down",
  win: "command down",
  super: "command down",
  ctrl: "control down",
  control: "control down",
  option: "option down",
  alt: "option down",
  shift: "shift down",
};

/** A key for macOS System Events: a modifier, a key code, or a character to `keystroke`. */
export type MacKey =
  | { modifier: string }
  | { keyCode: number }
  | { character: string };

/** Maps an Open Interpreter key name to how System Events presses it; throws on unknown keys. */
export function macKey(name: string): MacKey {
  const lower = name.toLowerCase();
  if (MAC_MODIFIERS[lower]) return { modifier: MAC_MODIFIERS[lower] };
  if (MAC_KEY_CODES[lower] !== undefined) return { keyCode: MAC_KEY_CODES[lower] };
  if (name.length === 1) return { character: name };
  throw new Error(`unknown key ${JSON.stringify(name)}`);
}
