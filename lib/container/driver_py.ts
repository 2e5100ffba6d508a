/**
 * The driver that runs inside a session's container (`python3 -c DRIVER NONCE`), PID 1.
 * It makes a named pipe, `/run/oi/in`, and holds it open itself (read and write), so the
 * pipe never reaches end of file: a host writes commands into it through a short-lived exec
 * (`cat > /run/oi/in` with its stdin attached), and when that host instance goes away, the
 * driver and the code's state stay for another instance to reattach. Output (and the
 * driver's records, `\x1e<nonce><kind><payload>\n`, see lib/computer/framing.ts) goes to the
 * container's standard output, which the host reads through an attach.
 *
 * A command is one line of JSON: `{"id": N, "language": "python" | "shell", "code": "..."}`.
 * Python runs in one `__main__` namespace (a trailing expression is shown like a REPL); shell
 * code is sourced by one persistent bash (cwd, variables and functions kept). Records: `R`
 * ready, `P<token>` the answer to a `{"ping": token}` line (a host that attached knows the
 * pipe works), `L<n>` active line (Python, throttled), `W` code asked for input (there is none:
 * `input()` raises EOFError), `E<id> <status>` end of a run. SIGINT (the engine's kill API)
 * interrupts the run: Python gets KeyboardInterrupt, the shell's run returns 130, and every
 * other process the run started is killed. Everything here is inside the sandbox: the host
 * reads only these records, as data.
 *
 * @module
 */

/** The driver's Python source. */
export const CONTAINER_DRIVER = String.raw`
import _ast, json, os, signal, sys, time
# ast, subprocess, traceback and linecache load only when needed: an idle session stays small.
SOURCES = {}
NONCE = sys.argv[1]
os.dup2(1, 2)  # one stream: stderr stays in order with stdout and the records
REC = os.dup(1)
def record(kind, payload=""):
    os.write(REC, ("\x1e" + NONCE + kind + payload + "\n").encode())
os.makedirs("/run/oi", exist_ok=True)
FIFO = "/run/oi/in"
if not os.path.exists(FIFO):
    os.mkfifo(FIFO, 0o600)
CMD = os.fdopen(os.open(FIFO, os.O_RDWR), "rb", buffering=0)
# The container's own stdin (the first host's attach, when it has one) feeds the pipe too,
# until that host goes away; later hosts write through an exec. User code gets /dev/null.
STDIN = os.dup(0)
def feed_pipe():
    try:
        while True:
            data = os.read(STDIN, 65536)
            if not data:
                break
            os.write(CMD.fileno(), data)
    except OSError:
        pass
import _thread
_thread.start_new_thread(feed_pipe, ())
def start_proxy_relay(port):
    # Host lists: the network is off; 127.0.0.1:port (HTTP_PROXY) is relayed to the host's
    # proxy socket, bound read-only into the box. The host proxy decides what is allowed.
    import socket
    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
    def serve():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        while True:
            conn, _ = listener.accept()
            try:
                up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                up.connect("/run/oi-proxy/proxy.sock")
            except OSError:
                conn.close()
                continue
            _thread.start_new_thread(pump, (conn, up))
            _thread.start_new_thread(pump, (up, conn))
    _thread.start_new_thread(serve, ())
if os.environ.get("OI_PROXY_PORT"):
    start_proxy_relay(int(os.environ["OI_PROXY_PORT"]))
NULL = os.open("/dev/null", os.O_RDONLY)
os.dup2(NULL, 0)
sys.stdin = open(0, "r")
MAIN = type(sys)("__main__")
MAIN.__dict__["__builtins__"] = __builtins__
sys.modules["__main__"] = MAIN
def no_input(prompt=""):
    sys.stdout.write(str(prompt)); sys.stdout.flush()
    record("W")
    raise EOFError("no input: code in a container session cannot read from the keyboard")
__builtins__.input = no_input
SHELL = None
SHELL_DONE = None
def shell():
    global SHELL, SHELL_DONE
    if SHELL and SHELL.poll() is None:
        return SHELL
    r, w = os.pipe()
    loop = ("__oi_w=$1; shift; exec 3<&0 0</dev/null\n"
            "while IFS= read -r -u 3 __oi_f; do\n"
            "  trap 'return 130 2>/dev/null' INT\n"
            "  source \"$__oi_f\"\n"
            "  __oi_s=$?; trap - INT; rm -f \"$__oi_f\"; echo \"$__oi_s\" >&\"$__oi_w\"\n"
            "done\n")
    import subprocess
    SHELL = subprocess.Popen(["/bin/bash", "--noprofile", "--norc", "-c", loop, "bash", str(w)],
        stdin=subprocess.PIPE, pass_fds=(w,), start_new_session=True, env=dict(os.environ))
    os.close(w)
    SHELL_DONE = os.fdopen(r, "rb", buffering=0)
    return SHELL
def descendants(root):
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        try:
            with open("/proc/%s/stat" % p) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except Exception:
            continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k); todo.append(k)
    return out
def kill_run_processes(keep):
    for pid in descendants(os.getpid()):
        if pid in keep: continue
        try: os.kill(pid, signal.SIGKILL)
        except Exception: pass
def show_error(etype=None, value=None, tb=None, limit=None):
    import linecache, traceback
    for name, code in SOURCES.items():
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    if etype is None:
        traceback.print_exc(limit=limit)
    else:
        traceback.print_exception(etype, value, tb)
LAST = [0.0, 0]
def tracer(filename):
    def local(frame, event, arg):
        if event == "line" and frame.f_code.co_filename == filename:
            LAST[1] += 1
            now = time.monotonic()
            if LAST[1] <= 100 or now - LAST[0] >= 0.005:
                LAST[0] = now
                record("L", str(frame.f_lineno))
        return local
    def glob(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None
    return glob
def run_python(rid, code):
    filename = "<cell-%d>" % rid
    SOURCES[filename] = code
    try:
        tree = compile(code, filename, "exec", 0x400)  # ast.PyCF_ONLY_AST, without the ast module
    except SyntaxError:
        show_error(limit=0)
        return 1
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr):
        last = _ast.Expression(tree.body.pop().value)
    try:
        sys.settrace(tracer(filename))
        exec(compile(tree, filename, "exec"), MAIN.__dict__)
        if last is not None:
            value = eval(compile(last, filename, "eval"), MAIN.__dict__)
            sys.settrace(None)
            if value is not None:
                print(repr(value))
        return 0
    except KeyboardInterrupt:
        sys.settrace(None)
        kill_run_processes({SHELL.pid} if SHELL else set())
        print("KeyboardInterrupt")
        return 130
    except SystemExit as e:
        sys.settrace(None)
        return e.code if isinstance(e.code, int) else 0
    except BaseException:
        sys.settrace(None)
        etype, value, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next
        show_error(etype, value, tb)
        return 1
    finally:
        sys.settrace(None)
        sys.stdout.flush(); sys.stderr.flush()
def run_shell(rid, code):
    sh = shell()
    path = "/run/oi/cell-%d.sh" % rid
    with open(path, "w") as f:
        f.write(code + "\n")
    sh.stdin.write((path + "\n").encode()); sh.stdin.flush()
    line = b""
    interrupted = False
    while True:
        try:
            b = SHELL_DONE.read(1)
        except KeyboardInterrupt:
            interrupted = True
            try: os.killpg(sh.pid, signal.SIGINT)
            except Exception: pass
            continue
        if not b:
            return 137
        if b == b"\n":
            break
        line += b
    if interrupted:
        # Background jobs ignore SIGINT in a non-interactive shell: the run's processes end.
        for pid in descendants(sh.pid):
            try: os.kill(pid, signal.SIGKILL)
            except Exception: pass
    try:
        return int(line)
    except ValueError:
        return 1
def main():
    record("R")
    buf = b""
    while True:
        try:
            chunk = CMD.read(65536)
        except KeyboardInterrupt:
            continue
        if not chunk:
            time.sleep(0.05); continue
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                cmd = json.loads(line)
                if "ping" in cmd:
                    record("P", str(cmd["ping"])[:64])
                    continue
                rid = int(cmd["id"])
            except Exception:
                continue
            status = 1
            RUNNING[0] = True
            try:
                if cmd.get("language") == "shell":
                    status = run_shell(rid, cmd.get("code", ""))
                else:
                    status = run_python(rid, cmd.get("code", ""))
            except KeyboardInterrupt:
                status = 130
            finally:
                RUNNING[0] = False
            sys.stdout.flush(); sys.stderr.flush()
            record("E", "%d %d" % (rid, status))
RUNNING = [False]
def on_interrupt(sig, frame):
    if RUNNING[0]:
        raise KeyboardInterrupt
signal.signal(signal.SIGINT, on_interrupt)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
main()
`;

/** The command that writes stdin into the driver's pipe (one per attached host). */
export const FORWARDER_CMD = ["/bin/sh", "-c", "exec cat > /run/oi/in"];
