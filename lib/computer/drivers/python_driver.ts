/**
 * The Python session driver: a small program run by python3 that keeps one
 * namespace alive across runs. Code arrives on the command channel (the
 * original stdin, moved away from fd 0 so user code can never read it);
 * fd 0 becomes a pipe nobody writes to, so `input()` blocks and is detected.
 * Code runs as written: it is parsed only to find a trailing expression to
 * display like a REPL, and line tracing is limited to the run's own code.
 *
 * @module
 */

/** Source of the driver (`python3 -u driver.py <nonce> <dir>`). */
export const PYTHON_DRIVER: string = String.raw`
import ast, builtins, linecache, os, signal, sys, time, traceback, types

NONCE, DIR = sys.argv[1], sys.argv[2]

if sys.platform.startswith("linux"):
    # Die with the program that started us, however it ends: prctl(PR_SET_PDEATHSIG,
    # SIGKILL), in case the launcher's setpriv is missing.
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass
sys.argv = [""]  # as in the REPL
MARK = ("\x1e" + NONCE).encode()
sys.path[0] = ""
sys.path.append(DIR)

_cmd = os.fdopen(os.dup(0), "rb", buffering=0)
_r, _w = os.pipe()
os.dup2(_r, 0)
os.close(_r)


def _emit(kind, payload=""):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os.write(1, MARK + (kind + payload + "\n").encode("utf-8", "replace"))


_state = {"running": False, "cell": None, "line": None, "at": 0.0, "records": 0}


def _on_int(signum, frame):
    if _state["running"]:
        raise KeyboardInterrupt


signal.signal(signal.SIGINT, _on_int)

_input = builtins.input


def _patched_input(prompt=""):
    _emit("W")
    return _input(prompt)


builtins.input = _patched_input


def _local_trace(frame, event, arg):
    if event == "line":
        n = frame.f_lineno
        if n != _state["line"]:
            now = time.monotonic()
            # the first lines always, then at most one record per 5 ms (tight loops stay fast)
            _state["records"] += 1
            if _state["records"] <= 100 or now - _state["at"] >= 0.005:
                _state["line"] = n
                _state["at"] = now
                _emit("L", str(n))
    return _local_trace


def _global_trace(frame, event, arg):
    if frame.f_code.co_filename == _state["cell"]:
        return _local_trace
    return None


_module = types.ModuleType("__main__")
_module.__dict__["__builtins__"] = builtins
sys.modules["__main__"] = _module
_namespace = _module.__dict__
try:  # the Computer API's client (calls fail with one line while it is off)
    from _interpreter_computer import computer as _computer
    _namespace["computer"] = _computer
except Exception:
    pass
_loop = None
_count = 0
_FLAGS = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)


def _print_error(name, exc):
    # Show the user's frames only: drop the driver's own (the run loop, the input and SIGINT hooks).
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if f.filename != __file__]
    )
    sys.stderr.write("".join(te.format()))


def _show_figures():
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None or not pyplot.get_fignums():
        return
    if "_interpreter_mpl_backend" in str(pyplot.get_backend()):
        pyplot.show()


def _run(src):
    global _count, _loop
    _count += 1
    name = "<cell-%d>" % _count
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    try:
        tree = compile(src, name, "exec", ast.PyCF_ONLY_AST | _FLAGS)
    except (SyntaxError, ValueError) as exc:
        traceback.print_exception(type(exc), exc, None)
        return 1
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
    codes = []
    if tree.body:
        codes.append(compile(tree, name, "exec", _FLAGS))
    if last is not None:
        codes.append(compile(ast.Interactive([last]), name, "single", _FLAGS))
    status = 0
    _state["cell"] = name
    _state["line"] = None
    _state["records"] = 0
    _state["running"] = True
    try:
        sys.settrace(_global_trace)
        for code in codes:
            result = eval(code, _namespace)
            if code.co_flags & 0x80:  # CO_COROUTINE: top-level await
                import asyncio
                if _loop is None:
                    _loop = asyncio.new_event_loop()
                _loop.run_until_complete(result)
        sys.settrace(None)
        _show_figures()
    except SystemExit as exc:
        sys.settrace(None)
        if exc.code not in (None, 0):
            print("SystemExit: %s" % (exc.code,), file=sys.stderr)
            status = 1
    except KeyboardInterrupt as exc:
        sys.settrace(None)
        _print_error(name, exc)
        status = 130
    except BaseException as exc:
        sys.settrace(None)
        _print_error(name, exc)
        status = 1
    finally:
        sys.settrace(None)
        _state["running"] = False
    return status


def _read_exact(n):
    chunks = []
    while n > 0:
        data = _cmd.read(n)
        if not data:
            raise EOFError
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


_emit("R")
while True:
    try:
        header = _cmd.readline()
        if not header:
            break
        code = _read_exact(int(header)).decode("utf-8", "replace")
    except (EOFError, KeyboardInterrupt, ValueError):
        break
    status = 1
    try:
        status = _run(code)
    except BaseException as exc:
        try:
            traceback.print_exception(type(exc), exc, None)
        except BaseException:
            pass
    _emit("E", str(status))
`;

/** A matplotlib backend whose `show()` hands each figure over as a PNG file. */
export function mplBackend(nonce: string, dir: string): string {
  return String.raw`
import itertools, os, sys
from matplotlib.backend_bases import _Backend
from matplotlib.backends.backend_agg import _BackendAgg

_MARK = ("\x1e" + ${JSON.stringify(nonce)}).encode()
_DIR = ${JSON.stringify(dir)}
_ids = itertools.count(1)


@_Backend.export
class _BackendInterpreter(_BackendAgg):
    @classmethod
    def show(cls, *args, **kwargs):
        from matplotlib._pylab_helpers import Gcf
        for manager in Gcf.get_all_fig_managers():
            path = os.path.join(_DIR, "figure-%d-%d.png" % (os.getpid(), next(_ids)))
            manager.canvas.figure.savefig(path, format="png")
            sys.stdout.flush()
            os.write(1, _MARK + ("I" + path + "\n").encode())
        Gcf.destroy_all()
`;
}
