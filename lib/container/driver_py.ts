/**
 * The driver that runs inside a session's container (`python3 -c DRIVER NONCE`), PID 1.
 * It makes a named pipe, `/run/oi/in`, and holds it open itself (read and write), so the
 * pipe never reaches end of file: a host writes commands into it through a short-lived exec
 * (`cat > /run/oi/in` with its stdin attached), and when that host instance goes away, the
 * driver and the code's state stay for another instance to reattach. Output (and the
 * driver's records, `\x1e<nonce><kind><payload>\n`, see lib/computer/framing.ts) goes to the
 * container's standard output, which the host reads through an attach.
 *
 * A command is one line of JSON: `{"id": N, "language": "python" | "shell", "code": "..."}`,
 * `{"id": N, "language": "javascript", "code" | "error": "...", "driver": "..."}` (code the host
 * already turned into JavaScript, and the source of the local computer's Deno driver,
 * lib/computer/drivers/js_driver.ts), or `{"id": N, "language": "oneshot", "program": "perl",
 * "extension": "pl", "code": "..."}`. Python runs in one `__main__` namespace (a trailing
 * expression is shown like a REPL); shell code is sourced by one persistent bash (cwd,
 * variables and functions kept); JavaScript goes to one `deno` started on the first JavaScript
 * run (nothing of it runs before: an idle session stays small), which keeps its variables
 * across runs, writes its own output and records to the box's output, and tells this driver
 * each run's end over a pipe; a one-shot language runs `program file` once per run. Records:
 * `R` ready, `P<token>` the answer to a `{"ping": token, "programs": [...]}` line (a host that
 * attached knows the pipe works; answered by a reader thread at once, even while a run goes
 * on, so another instance can take a session over mid-run; runs queue behind), preceded by `A<names>`, the programs of that list found on
 * the box's PATH; `L<n>` active line (Python, throttled; JavaScript), `W` code asked for input
 * (there is none: `input()` raises EOFError, `prompt()` gets null), `S<id>` a run starts (its
 * output follows; what came before is an earlier run's), `E<id> <status>` end of a run. SIGINT (the engine's kill API) interrupts the run: Python gets KeyboardInterrupt, the
 * shell's run returns 130, a one-shot program is killed, and every other process the run
 * started is killed; a busy JavaScript cannot be interrupted, so its deno is killed and the
 * next JavaScript run starts a new one (as the local computer does). Everything here is
 * inside the sandbox: the host reads only these records, as data.
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
        # The shell's and deno's sessions stay (their state is not this run's).
        kill_run_processes({p.pid for p in (SHELL, DENO and DENO[0]) if p})
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
def find_program(name):
    if not isinstance(name, str) or not name or "/" in name:
        return None
    for d in os.environ.get("PATH", "").split(":"):
        path = os.path.join(d, name)
        if d.startswith("/") and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None
def find_programs(names):
    return [n for n in (names if isinstance(names, list) else [])[:32]
            if find_program(n) and all(c.isalnum() or c in "._-" for c in n)]
DENO = None  # [process, command pipe (write end), done pipe (read end)]
PART = []
def load_part(cmd):
    # The code for JavaScript and one-shot languages comes with their commands and is
    # compiled on the first one: an idle session holds none of it.
    if not PART:
        exec(compile(str(cmd.get("part", "")), "<oi-languages>", "exec"), globals())
        PART.append(True)
QUEUE = []
QUEUE_LOCK = _thread.allocate_lock()
# Held while the queue is empty: the reader releases it when it queues a command.
QUEUE_READY = _thread.allocate_lock()
QUEUE_READY.acquire()
def read_commands():
    # Its own thread: a ping is answered while a run goes on, so a host that reattaches (a
    # takeover during a long run) connects at once; runs are queued for the main thread.
    buf = b""
    while True:
        try:
            chunk = os.read(CMD.fileno(), 65536)
        except OSError:
            chunk = b""
        if not chunk:
            time.sleep(0.05); continue
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                cmd = json.loads(line)
                if "ping" in cmd:
                    record("A", " ".join(find_programs(cmd.get("programs"))))
                    record("P", str(cmd["ping"])[:64])
                    continue
                int(cmd["id"])
            except Exception:
                continue
            with QUEUE_LOCK:
                QUEUE.append(cmd)
            try:
                QUEUE_READY.release()
            except RuntimeError:
                pass  # already released: the main thread will find the queue non-empty
def next_command():
    while True:
        with QUEUE_LOCK:
            if QUEUE:
                return QUEUE.pop(0)
        try:
            QUEUE_READY.acquire()
        except KeyboardInterrupt:
            pass
def main():
    record("R")
    _thread.start_new_thread(read_commands, ())
    while True:
        cmd = next_command()
        rid = int(cmd["id"])
        status = 1
        record("S", str(rid))  # what is printed from here on is this run's
        RUNNING[0] = True
        try:
            if cmd.get("language") == "shell":
                status = run_shell(rid, cmd.get("code", ""))
            elif cmd.get("language") == "javascript":
                load_part(cmd)
                status = run_deno(rid, cmd)
            elif cmd.get("language") == "oneshot":
                load_part(cmd)
                status = run_oneshot(rid, cmd)
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

/**
 * The driver's code for JavaScript (a deno it starts and relays to) and one-shot languages,
 * sent as `part` with each of their commands and compiled on the first: an idle session (only
 * Python and shell) holds none of it.
 */
export const LANGUAGES_PART = String.raw`
def end_tree(proc):
    for pid in descendants(proc.pid) + [proc.pid]:
        try: os.kill(pid, signal.SIGKILL)
        except Exception: pass
    try: proc.wait()
    except BaseException: pass
def deno_session(source):
    global DENO
    if DENO and DENO[0].poll() is None:
        return DENO
    import subprocess
    if DENO:
        for fd in DENO[1:]:
            try: os.close(fd)
            except OSError: pass
    DENO = None
    program = find_program("deno")
    if program is None:
        return None
    folder = "/run/oi/deno"
    os.makedirs(folder, exist_ok=True)
    driver = os.path.join(folder, "driver.js")
    with open(driver, "w") as f:
        f.write(source)
    cmd_r, cmd_w = os.pipe()
    done_r, done_w = os.pipe()
    env = dict(os.environ, NO_COLOR="1", DENO_NO_UPDATE_CHECK="1")
    try:
        proc = subprocess.Popen([program, "run", "--quiet", "-A", driver, NONCE,
            "/dev/fd/%d" % cmd_r, "/dev/fd/%d" % done_w], stdin=subprocess.DEVNULL,
            pass_fds=(cmd_r, done_w), start_new_session=True, env=env)
    finally:
        os.close(cmd_r); os.close(done_w)
    DENO = [proc, cmd_w, done_r]
    return DENO
def read_done(fd, proc):
    import select
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                return None
            continue
        data = os.read(fd, 256)
        if not data:
            return None
        line += data
    return line
def run_deno(rid, cmd):
    global DENO
    session = None
    try:
        session = deno_session(str(cmd.get("driver", "")))
        if session is None:
            print("JavaScript and TypeScript need deno in the session image "
                  "(/usr/local/bin/deno): rebuild the image with 'deno task image'.")
            return 127
        proc, cmd_w, done_r = session
        line = {"id": rid}
        if "error" in cmd:
            line["error"] = str(cmd["error"])
        else:
            line["code"] = str(cmd.get("code", ""))
        data = (json.dumps(line) + "\n").encode()
        while data:
            data = data[os.write(cmd_w, data):]
        done = read_done(done_r, proc)
        if done is None:
            end_tree(proc)
            code = proc.returncode
            print("The JavaScript session ended (%s); the next run starts a new one, so its "
                  "variables are gone." % ("exit code %d" % code if code >= 0 else "signal %d" % -code))
            return 1
        try:
            return int(done.split()[1])
        except Exception:
            return 1
    except KeyboardInterrupt:
        if DENO:
            end_tree(DENO[0])
        print("KeyboardInterrupt: a busy JavaScript cannot be interrupted, so its session was "
              "ended; the next JavaScript run starts a new one (its variables are gone).")
        return 130
def run_oneshot(rid, cmd):
    name = cmd.get("program")
    program = find_program(name)
    if program is None:
        print("%s is not in the session image: add its Debian package to the image "
              "(lib/container/image.sh) and rebuild it with 'deno task image'." % name)
        return 127
    ext = "".join(c for c in str(cmd.get("extension", "txt")) if c.isalnum())[:8]
    path = "/run/oi/cell-%d.%s" % (rid, ext)
    with open(path, "w") as f:
        f.write(str(cmd.get("code", "")))
    proc = None
    try:
        import subprocess
        proc = subprocess.Popen([program, path], stdin=subprocess.DEVNULL,
            start_new_session=True)
        status = proc.wait()
        if status != 0:
            print("[exit status %d]" % status)
        return status
    except KeyboardInterrupt:
        if proc:
            end_tree(proc)
        print("KeyboardInterrupt")
        return 130
    finally:
        try: os.remove(path)
        except OSError: pass
`;

/** The command that writes stdin into the driver's pipe (one per attached host). */
export const FORWARDER_CMD = ["/bin/sh", "-c", "exec cat > /run/oi/in"];
