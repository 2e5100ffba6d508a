/**
 * The Python session driver: a small program run by python3 that keeps one
 * namespace alive across runs. Code arrives on the command channel (the
 * original stdin, moved away from fd 0 so user code can never read it) as
 * `<run id> <length>\n<code>`; fd 0 becomes a pipe nobody writes to, so
 * `input()` blocks and is detected. Code runs as written: it is parsed only to
 * find a trailing expression to display like a REPL, and line tracing is
 * limited to the run's own code.
 *
 * Records go through the driver's own duplicate of the output pipe, so code
 * that closes or replaces fds 1 and 2 (`os.close(1)`, `sys.stdout = open(...)`)
 * does not lose them; each run starts with both pointing at the output again.
 * A process forked by user code that falls back into the driver (a daemon
 * that does not `os._exit`) exits instead of reporting or reading commands.
 *
 * @module
 */

/** A matplotlib backend whose `show()` hands each figure to the computer as PNG bytes. */
const MPL_BACKEND: string = String.raw`
import io
from matplotlib.backend_bases import _Backend
from matplotlib.backends.backend_agg import _BackendAgg
from _interpreter_images import send_png


@_Backend.export
class _BackendInterpreter(_BackendAgg):
    @classmethod
    def show(cls, *args, **kwargs):
        from matplotlib._pylab_helpers import Gcf
        for manager in Gcf.get_all_fig_managers():
            buffer = io.BytesIO()
            manager.canvas.figure.savefig(buffer, format="png")
            send_png(buffer.getvalue())
        Gcf.destroy_all()
`;

/** Source of the driver (`python3 -u driver.py <nonce>`). */
export const PYTHON_DRIVER: string = String.raw`
import ast, base64, builtins, linecache, os, signal, sys, time, traceback, types

NONCE = sys.argv[1]

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
sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # the Computer API's client

_cmd = os.fdopen(os.dup(0), "rb", buffering=0)
# User code's stdin: a FIFO in the session folder that only the host writes to (an answer the
# person typed in the chat); held open read-write, so it never reports end of input.
_stdin_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stdin")
os.mkfifo(_stdin_path, 0o600)
_r = os.open(_stdin_path, os.O_RDWR)
os.dup2(_r, 0)
os.close(_r)
# The output pipe: records go through a private duplicate (not inherited by programs).
_out = os.dup(1)
_pipe = (os.fstat(1).st_dev, os.fstat(1).st_ino)
_forked = []
os.register_at_fork(after_in_child=lambda: _forked.append(True))


def _is_pipe(fd):
    try:
        st = os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == _pipe


def _record_fd():
    global _out
    if _is_pipe(_out):
        return _out
    # Code closed (or reused) the driver's descriptor: take the pipe again from fd 1 or 2.
    for fd in (1, 2):
        if _is_pipe(fd):
            _out = os.dup(fd)
            return _out
    # Nothing leads to the output any more: end the session, so the run ends now.
    os._exit(70)


def _write_record(data):
    if _forked:
        return  # a forked child never speaks for the driver
    fd = _record_fd()
    while data:
        data = data[os.write(fd, data):]


def _emit(kind, payload=""):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    _write_record(MARK + (kind + payload + "\n").encode("utf-8", "replace"))


def _send_image(data):
    """Hands an image (PNG bytes) to the computer, in pieces a pipe writes whole."""
    encoded = base64.b64encode(bytes(data)).decode("ascii")
    _emit("I")  # any unfinished image before this one is dropped
    for start in range(0, len(encoded), 3000):
        _emit("I", encoded[start:start + 3000])
    _emit("I")


def _leads_to_output(stream):
    try:
        return not stream.closed and _is_pipe(stream.fileno())
    except Exception:
        return False


def _restore_streams():
    # Each run starts with fds 1 and 2 and sys.stdout / sys.stderr leading to the output.
    for fd in (1, 2):
        if not _is_pipe(fd):
            os.dup2(_record_fd(), fd)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        current = getattr(sys, name)
        if _leads_to_output(current):
            continue  # the original, or the code's own wrapper around it
        try:
            current.flush()
        except Exception:
            pass
        original = getattr(sys, "__%s__" % name)
        if not _leads_to_output(original):
            original = open(fd, "w", encoding="utf-8", errors="backslashreplace",
                            buffering=1, closefd=False)
            setattr(sys, "__%s__" % name, original)
        setattr(sys, name, original)


def _leave_child(status):
    # A process forked by the run's code came back here: it ends, as a script would.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status if isinstance(status, int) else 1)


_images = types.ModuleType("_interpreter_images")
_images.send_png = _send_image
sys.modules["_interpreter_images"] = _images
_MPL_BACKEND = r'''${MPL_BACKEND}'''


class _BackendFinder:
    # MPLBACKEND=module://_interpreter_mpl_backend: served from memory, no file anywhere.
    def find_spec(self, name, path=None, target=None):
        if name != "_interpreter_mpl_backend":
            return None
        import importlib.util
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(_MPL_BACKEND, "<interpreter mpl backend>", "exec"), module.__dict__)


sys.meta_path.insert(0, _BackendFinder())


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
        if _forked:
            _leave_child(0 if exc.code is None else exc.code)
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
        run_id, length = _cmd.readline().split()
        code = _read_exact(int(length)).decode("utf-8", "replace")
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
    if _forked:
        _leave_child(status)
    try:
        _restore_streams()
    except Exception:
        pass
    _emit("E", "%s %d" % (run_id.decode("ascii", "replace"), status))
`;
