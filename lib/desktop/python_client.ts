/**
 * The `computer` object of the Python session: each call goes over the channel (`channel.ts`) to
 * the host, except `files`, which runs here in the session so the sandbox's write grants apply.
 * Without a channel (`INTERPRETER_COMPUTER_SOCKET` unset) every call fails with one line.
 *
 * @module
 */

import { CHANNEL_ENV } from "./channel.ts";
import { API_OFF_MESSAGE } from "./host.ts";
import { SESSION_METHODS, SIGNATURES } from "./signatures.ts";

export { API_OFF_MESSAGE };

function specTable(): string {
  const table: Record<string, Record<string, [string, string]>> = {};
  for (const [name, spec] of Object.entries({ ...SIGNATURES, ...SESSION_METHODS })) {
    const [ns, method] = name.split(".");
    (table[ns] ??= {})[method] = [spec.signature, spec.doc];
  }
  return JSON.stringify(table);
}

/** Python source defining `computer` (exec it in the session's namespace). */
export function pythonClientSource(): string {
  return String.raw`
import base64 as _b64, difflib as _difflib, json as _json, os as _os, socket as _socket, threading as _threading

class ComputerError(Exception):
    """A Computer API call failed (the message says why)."""

class Image:
    """A PNG image from the Computer API: .png bytes, .width, .height, .save(path)."""
    def __init__(self, data, width, height):
        self.png = _b64.b64decode(data)
        self.width, self.height = width, height
    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.png)
        return path
    def _repr_png_(self):
        return self.png
    def __repr__(self):
        return "<Image %dx%d PNG>" % (self.width, self.height)

class _Channel:
    def __init__(self):
        self._lock = _threading.Lock()
        self._sock = None
        self._file = None
        self._id = 0
    def call(self, method, args, kwargs):
        path = _os.environ.get(${JSON.stringify(CHANNEL_ENV)})
        if not path:
            raise ComputerError(${JSON.stringify(API_OFF_MESSAGE)})
        with self._lock:
            if self._sock is None:
                try:
                    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                    s.connect(path)
                except OSError as e:
                    raise ComputerError("the Computer API is not reachable: %s" % e.strerror) from None
                self._sock, self._file = s, s.makefile("rb")
            self._id += 1
            line = _json.dumps({"id": self._id, "method": method, "args": list(args), "kwargs": kwargs}, default=_encode)
            try:
                self._sock.sendall(line.encode() + b"\n")
                reply = self._file.readline()
            except OSError as e:
                self._sock = None
                raise ComputerError("the Computer API connection broke: %s" % e) from None
            if not reply:
                self._sock = None
                raise ComputerError("the Computer API connection closed")
        answer = _json.loads(reply)
        if not answer.get("ok"):
            raise ComputerError(answer.get("error") or "failed")
        return _decode(answer.get("result"))

def _encode(value):
    if isinstance(value, Image):
        return {"$image": "base64.png", "data": _b64.b64encode(value.png).decode(), "width": value.width, "height": value.height}
    if isinstance(value, (bytes, bytearray)):
        return _b64.b64encode(bytes(value)).decode()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError("cannot send %s to the Computer API" % type(value).__name__)

def _decode(value):
    if isinstance(value, dict) and value.get("$image") == "base64.png":
        return Image(value["data"], value["width"], value["height"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value

_channel = _Channel()
_SPEC = _json.loads(${JSON.stringify(specTable())})

def _method(ns, name, signature, doc):
    full = ns + "." + name
    def call(self, *args, **kwargs):
        # display.view()'s screenshot also joins the run's output (the host adds it).
        return _channel.call(full, args, kwargs)
    call.__name__ = name
    call.__doc__ = signature + ": " + doc
    return call

def _require_on():
    if not _os.environ.get(${JSON.stringify(CHANNEL_ENV)}):
        raise ComputerError(${JSON.stringify(API_OFF_MESSAGE)})

class _Files:
    """computer.files: runs in this session, so the sandbox's grants apply."""
    def search(self, query, path=".", limit=200):
        """search(query, path="."): lines containing query in the files under path."""
        _require_on()
        query = str(query)
        found = []
        for root, dirs, files in _os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__")]
            for name in files:
                p = _os.path.join(root, name)
                try:
                    with open(p, encoding="utf-8", errors="strict") as f:
                        for n, line in enumerate(f, 1):
                            if query.lower() in line.lower():
                                found.append({"path": p, "line": n, "text": line.rstrip("\n")[:300]})
                                if len(found) >= limit:
                                    return found
                except (OSError, UnicodeDecodeError):
                    continue
        return found
    def edit(self, path, old, new):
        """edit(path, old, new): replace the one occurrence of old in the file."""
        _require_on()
        with open(path, encoding="utf-8") as f:
            text = f.read()
        count = text.count(old)
        if count == 1:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))
            return "edited %s" % path
        if count > 1:
            raise ComputerError("the text to replace is in %s %d times: give more of it so it is unique" % (path, count))
        lines = text.splitlines()
        width = max(1, len(old.splitlines()))
        windows = ["\n".join(lines[i:i + width]) for i in range(max(1, len(lines) - width + 1))]
        close = _difflib.get_close_matches(old, windows, n=3, cutoff=0.5)
        hint = ("; close matches:\n" + "\n---\n".join(close)) if close else ""
        raise ComputerError("the text to replace is not in %s%s" % (path, hint))

def _make():
    spaces = {}
    for ns, methods in _SPEC.items():
        attrs = {"__doc__": "computer." + ns}
        for name, (signature, doc) in methods.items():
            if ns == "files" or (ns == "skills" and name == "import_skills"):
                continue
            attrs[name] = _method(ns, name, signature, doc)
        spaces[ns] = attrs
    files = _Files()
    class _Skills(type("_SkillsBase", (), spaces.pop("skills"))):
        def import_skills(self):
            """Run every saved Python skill here so its functions are defined."""
            import __main__
            names = []
            for s in self.list():
                if s["language"] == "python":
                    exec(compile(self.get(s["name"])["code"], "<skill %s>" % s["name"], "exec"), __main__.__dict__)
                    names.append(s["name"])
            return names
    class Computer:
        """The Computer API: display, mouse, keyboard, clipboard, os, browser, files, ai, skills."""
        pass
    c = Computer()
    for ns, attrs in spaces.items():
        setattr(c, ns, type("_" + ns.capitalize(), (), attrs)())
    c.files = files
    c.skills = _Skills()
    return c

computer = _make()
del _make
`;
}
