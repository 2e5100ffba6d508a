/**
 * The Computer API's signatures and one-line docs, by `namespace.name`: what the model is shown
 * (system message), what the session clients define, and what `methods.ts` implements. Plain data
 * with no imports, so listing the API loads nothing else.
 *
 * @module
 */

/** A method's Python-style signature and what it does. */
export interface MethodSignature {
  /** Python-style signature, e.g. `click(text=None, x=None, y=None, button="left", clicks=1)`. */
  signature: string;
  /** One line saying what it does. */
  doc: string;
}

/** The methods that run on the host (through the channel). */
export const SIGNATURES: Record<string, MethodSignature> = {
  "display.view": {
    signature: "view()",
    doc: "Screenshot shown to you and the user (screenshot pixels are the coordinates to use).",
  },
  "display.screenshot": {
    signature: "screenshot()",
    doc: "Screenshot returned as an image object (not shown).",
  },
  "display.size": {
    signature: "size()",
    doc: "[width, height] of the screen in screenshot pixels.",
  },
  "display.center": {
    signature: "center()",
    doc: "[x, y] of the screen's centre.",
  },
  "display.find_text": {
    signature: "find_text(text)",
    doc: "Where text is shown (OCR): a list of {text, x, y, left, top, width, height}.",
  },
  "display.get_text": {
    signature: "get_text()",
    doc: "All the text on the screen (OCR), line by line.",
  },
  "mouse.click": {
    signature: 'click(text=None, x=None, y=None, button="left", clicks=1)',
    doc:
      "Click on a text shown on screen, or at x, y; fails listing each place if text is there twice.",
  },
  "mouse.double_click": {
    signature: "double_click(text=None, x=None, y=None)",
    doc: "Double-click on a text or at x, y.",
  },
  "mouse.right_click": {
    signature: "right_click(text=None, x=None, y=None)",
    doc: "Right-click on a text or at x, y.",
  },
  "mouse.move": {
    signature: "move(text=None, x=None, y=None)",
    doc: "Move the pointer onto a text or to x, y.",
  },
  "mouse.position": {
    signature: "position()",
    doc: "[x, y] of the pointer.",
  },
  "mouse.scroll": {
    signature: "scroll(clicks, horizontal=0)",
    doc: "Scroll by wheel clicks: positive down, negative up.",
  },
  "mouse.down": {
    signature: 'down(button="left")',
    doc: "Press a mouse button.",
  },
  "mouse.up": {
    signature: 'up(button="left")',
    doc: "Release a mouse button.",
  },
  "mouse.drag": {
    signature: "drag(x1, y1, x2, y2)",
    doc: "Drag with the left button from x1, y1 to x2, y2.",
  },
  "keyboard.write": {
    signature: "write(text)",
    doc: "Type text.",
  },
  "keyboard.press": {
    signature: "press(*keys, presses=1)",
    doc: 'Press keys one after another, e.g. press("enter"); names: enter, tab, esc, up, f5...',
  },
  "keyboard.hotkey": {
    signature: "hotkey(*keys)",
    doc: 'Press keys together, e.g. hotkey("ctrl", "c"); command and option are the Mac names.',
  },
  "keyboard.down": {
    signature: "down(*keys)",
    doc: "Hold keys down.",
  },
  "keyboard.up": {
    signature: "up(*keys)",
    doc: "Release held keys.",
  },
  "clipboard.view": {
    signature: "view()",
    doc: "The clipboard's text.",
  },
  "clipboard.copy": {
    signature: "copy(text=None)",
    doc: "Put text on the clipboard (without text: copy the selection).",
  },
  "clipboard.paste": {
    signature: "paste()",
    doc: "Paste (ctrl/command+v).",
  },
  "os.get_selected_text": {
    signature: "get_selected_text()",
    doc: "The selected text, read without touching the clipboard.",
  },
  "os.notify": {
    signature: "notify(text)",
    doc: "Show a desktop notification.",
  },
  "browser.go_to_url": {
    signature: "go_to_url(url)",
    doc: "Open a web page in the headless browser (the network permissions apply).",
  },
  "browser.search": {
    signature: "search(query)",
    doc: "Search the web; returns the results page's text.",
  },
  "browser.read": {
    signature: "read()",
    doc: "The text of the open page.",
  },
  "browser.screenshot": {
    signature: "screenshot()",
    doc: "Screenshot of the open page.",
  },
  "ai.chat": {
    signature: "chat(text, image=None)",
    doc: "Ask the model (optionally about an image); returns its answer.",
  },
  "ai.summarize": {
    signature: "summarize(text)",
    doc: "A short summary of text.",
  },
  "ai.query": {
    signature: "query(text, question)",
    doc: "Answer a question about text.",
  },
  "skills.list": {
    signature: "list()",
    doc: "Saved skills: [{name, language, description}].",
  },
  "skills.search": {
    signature: "search(query)",
    doc: "Saved skills matching the words of query.",
  },
  "skills.save": {
    signature: 'save(name, code, language="python")',
    doc: "Save code as a skill for later sessions (first line: what it does).",
  },
  "skills.get": {
    signature: "get(name)",
    doc: "A skill's code.",
  },
};

/** Methods that run inside the session (their signatures, for the system message). */
export const SESSION_METHODS: Record<string, MethodSignature> = {
  "files.search": {
    signature: 'search(query, path=".")',
    doc: "Lines containing query in the files under path: [{path, line, text}].",
  },
  "files.edit": {
    signature: "edit(path, old, new)",
    doc: "Replace the one occurrence of old in a file; suggests close matches if old is not there.",
  },
  "skills.import_skills": {
    signature: "import_skills()",
    doc: "Run every saved skill of this language so its functions are defined.",
  },
};

/** The API as listed for the model: one line per method, grouped by namespace. */
export function describeApi(): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries({ ...SIGNATURES, ...SESSION_METHODS })) {
    const ns = name.split(".")[0];
    lines.push(`computer.${ns}.${spec.signature}  # ${spec.doc}`);
  }
  return lines.join("\n");
}
