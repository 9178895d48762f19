"""What the HTTP benchmarks share: a throwaway hub, gunicorn, wrk, and the comparison.

``bench/pages.py``, ``bench/redirect.py`` and ``bench/feed.py`` each build a hub in a temporary
directory (fresh SQLite database and task queue, local uploads, ``advocacy db upgrade``), seed
it, and then serve it and a bare Flask hello world with the same gunicorn settings (2 workers,
sync by default) on 127.0.0.1. wrk loads them in alternation (hello, hub, hello, hub, ...)
after an untimed warm-up; the medians and their ratio are what the benchmarks report, because
machines differ and ratios travel better than absolute figures.

Not a test module: the benchmarks import it as ``_harness`` (the script's own directory is on
``sys.path`` when a script runs).
"""

from __future__ import annotations

import argparse
import cProfile
import http.cookiejar
import importlib.metadata
import io
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

#: What a person's browser sends (Chrome on Windows); the hub tells people from robots by it.
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
#: What a browser sends when it opens a page.
BROWSER_HEADERS = {"User-Agent": BROWSER_UA,
                   "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                   "Accept-Language": "en-GB,en;q=0.9"}

HELLO_APP = '''"""A bare Flask hello world: the baseline."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
'''

# done() runs once after the run; it does not slow wrk down (a response() callback would).
DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH-JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,\\"status\\":%d," ..
    "\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d," ..
    "\\"p50_us\\":%d,\\"p99_us\\":%d}\\n",
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

# One path drawn at random for every request, each wrk thread with its own seed. The -H
# headers given to wrk go with every request (wrk.format merges wrk.headers).
PATHS_LUA = """
local paths = {%s}
local count = #paths
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

init = function(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
end

request = function()
  return wrk.format(nil, paths[math.random(count)])
end
"""


class BenchError(Exception):
    """The benchmark could not measure what it set out to measure."""


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


# -- the throwaway hub -------------------------------------------------------------------


def hub_environment(tmp: Path, **settings: str) -> dict[str, str]:
    """Environment of every hub process: its own database, queue, uploads and secret key.

    ``settings`` are further ``ADVOCACY_*`` settings without the prefix (``FEED_PER_PAGE``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOCACY_")}
    env.update(
        ADVOCACY_DATABASE_URL=f"sqlite:///{tmp / 'hub.db'}",
        ADVOCACY_QUEUE_URL=f"sqlite:///{tmp / 'queue.sqlite3'}",  # not instance/queue.sqlite3
        ADVOCACY_UPLOADS_DIR=str(tmp / "uploads"),
        ADVOCACY_SECRET_KEY=os.urandom(24).hex(),  # shared by both workers, not in instance/
        ADVOCACY_STORAGE="local",
        PYTHONPATH=str(ROOT),
    )
    env.update({f"ADVOCACY_{name}": value for name, value in settings.items()})
    return env


def advocacy_command() -> list[str]:
    """The ``advocacy`` command of this virtualenv."""
    advocacy = VENV_BIN / "advocacy"
    return ([str(advocacy)] if advocacy.exists()
            else [sys.executable, "-c", "from advocacy.cli import main; main()"])


def upgrade_database(env: dict[str, str]) -> None:
    """``advocacy db upgrade`` on the fresh database, as an operator would run it."""
    result = subprocess.run([*advocacy_command(), "db", "upgrade"], env=env, cwd=ROOT,
                            check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"advocacy db upgrade failed:\n{result.stderr[-3000:]}")


def make_app(env: dict[str, str]) -> Any:
    """The hub in this process, configured exactly like the served one.

    Also puts the hub's ``ADVOCACY_*`` variables (and only those) into this process's
    environment, so that nothing read from the environment later differs either.
    """
    for name in [k for k in os.environ if k.startswith("ADVOCACY_")]:
        del os.environ[name]
    os.environ.update({k: v for k, v in env.items() if k.startswith("ADVOCACY_")})

    from advocacy import create_app
    from advocacy.config import from_environment

    config = from_environment(env)  # parsed like the served hub's (FEED_PER_PAGE an int)
    config["LOG_LEVEL"] = "WARNING"  # keep the script's output readable; no effect on SQL
    return create_app(config)


def prepare_hub(tmp: Path, **settings: str) -> tuple[dict[str, str], Any]:
    """Environment, upgraded database and in-process app of a fresh hub in ``tmp``."""
    env = hub_environment(tmp, **settings)
    upgrade_database(env)
    return env, make_app(env)


def csrf_from(html: str) -> str:
    """The value of the hidden ``csrf_token`` input of a form page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise BenchError("no csrf_token input on the login page")
    return match.group(1)


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    """The SQL statements ``engine`` executes inside the block."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def timing(engine: Any) -> Iterator[list[tuple[str, float]]]:
    """Each SQL statement ``engine`` executes inside the block, with its seconds (from
    handing it to the driver to the driver's answer; fetching rows not included)."""
    from sqlalchemy import event

    timed: list[tuple[str, float]] = []

    def before(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        timed.append((statement, time.perf_counter() - conn.info["bench_started"].pop()))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield timed
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def statement_label(statement: str, width: int = 90) -> str:
    """A one-line summary of an SQL statement: what it selects from which table."""
    flat = re.sub(r"\s+", " ", statement).strip()
    found = re.match(r"SELECT (.*?) FROM (\S+)(.*)", flat)
    if found:
        columns, table, rest = found.groups()
        columns = columns if len(columns) <= 30 else columns[:27] + "..."
        flat = " ".join(("SELECT", columns, "FROM", table + rest))  # a label, never run
    return flat if len(flat) <= width else flat[:width - 3] + "..."


def test_client_signed_in(app: Any, email: str, password: str, next_path: str = "",
                          user_agent: str | None = None) -> Any:
    """Flask's test client, signed in through the login form (CSRF on); with ``user_agent``
    it sends that User-Agent with every request (the session is bound to it)."""
    client = app.test_client()
    if user_agent is not None:
        client.environ_base["HTTP_USER_AGENT"] = user_agent
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": email,
                                           "password": password, "next": next_path})
    if response.status_code != 302:
        raise BenchError(f"in-process sign-in answered {response.status_code}")
    return client


def engine_of(app: Any) -> Any:
    return app.extensions["advocacy.db"]


# -- servers and HTTP --------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    base_url: str = ""


def stop(process: subprocess.Popen[Any], term_wait: float = 10.0) -> None:
    """Stop a process we started in its own process group (gunicorn: master and workers)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, term_wait), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _no_control_socket() -> list[str]:
    """Gunicorn 27+ opens ~/.gunicorn/gunicorn.ctl; two masters must not share it."""
    try:
        major = int(importlib.metadata.version("gunicorn").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return []
    return ["--no-control-socket"] if major >= 27 else []


@contextmanager
def background(name: str, command: Sequence[str], env: dict[str, str], cwd: Path,
               tmp: Path) -> Iterator[Server]:
    """``command`` in its own process group with its output in ``tmp/name.log``; stopped
    (SIGTERM, then SIGKILL) when the block ends."""
    log = tmp / f"{name}.log"
    with log.open("ab") as sink:  # append, like gunicorn's own error log: no overwriting
        process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, process, log)
    try:
        yield server
    finally:
        stop(process)


@contextmanager
def gunicorn(name: str, app_spec: str, chdir: Path, env: dict[str, str], tmp: Path,
             args: argparse.Namespace) -> Iterator[Server]:
    """``gunicorn app_spec`` on 127.0.0.1 (a free port), ``--workers`` workers."""
    worker = ["-k", args.worker_class]
    if args.worker_class == "gthread":
        worker += ["--threads", str(args.threads)]
    command = [str(VENV_BIN / "gunicorn"), "--chdir", str(chdir), "-b", "127.0.0.1:0",
               "-w", str(args.workers), *worker, "--log-level", "info",
               "--error-logfile", str(tmp / f"{name}.log"), *_no_control_socket(), app_spec]
    with background(name, command, env, chdir, tmp) as server:
        yield server


def wait_ready(server: Server, path: str, workers: int, timeout: float = 60.0) -> None:
    """Until the port is known, every worker booted and ``path`` answered 200; then ~2 s more.

    With gthread, keep-alive connections stay with the worker that accepted them; a worker
    still importing the app when wrk connects would leave all the load to the other one.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} gunicorn exited:\n{server.log.read_text()[-3000:]}")
        text = server.log.read_text(errors="replace")
        port = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        booted = text.count("Booting worker with pid")
        if port and booted >= workers:
            server.base_url = f"http://127.0.0.1:{port.group(1)}"
            try:
                status, _body, _url = fetch(server.base_url + path)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status = 0
            if status == 200:
                time.sleep(2.0)
                return
        time.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {timeout:.0f} s:\n"
                     f"{server.log.read_text()[-3000:]}")


def worker_pids(server: Server) -> list[int]:
    """The process ids of a gunicorn's workers (from its log)."""
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)",
                                           server.log.read_text(errors="replace"))]


def live_worker_pids(server: Server) -> list[int]:
    """The process ids of a gunicorn's workers alive now: booted (from its log) and still
    children of its master (Linux ``/proc``), so a worker that was replaced is left out."""
    alive = []
    for pid in worker_pids(server):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == server.process.pid:
            alive.append(pid)
    return alive


def _local(url: str) -> None:
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError(f"refusing to fetch {url}: only the local servers started here")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # the 3xx comes back as an HTTPError, which fetch answers with


def fetch(url: str, headers: dict[str, str] | None = None,
          opener: urllib.request.OpenerDirector | None = None,
          data: bytes | None = None) -> tuple[int, str, str]:
    """Status, body and final URL (redirects followed) of one request to our own servers."""
    status, _headers, body, final = fetch_full(url, headers, opener, data)
    return status, body, final


def fetch_full(url: str, headers: dict[str, str] | None = None,
               opener: urllib.request.OpenerDirector | None = None,
               data: bytes | None = None, follow: bool = True,
               ) -> tuple[int, dict[str, str], str, str]:
    """Status, headers, body and final URL of one request to our own servers; with
    ``follow=False`` a redirect is answered as it is (status 3xx, ``Location`` header)."""
    _local(url)
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only, checked above
        url, data=data, headers={"User-Agent": "advocacy-bench/1", **(headers or {})})
    if opener is None:
        opener = (urllib.request.build_opener() if follow
                  else urllib.request.build_opener(_NoRedirect))
    try:
        with opener.open(request, timeout=10) as response:
            return (response.status, dict(response.headers.items()),
                    response.read().decode("utf-8", "replace"), response.url)
    except urllib.error.HTTPError as exc:
        return (exc.code, dict(exc.headers.items()), exc.read().decode("utf-8", "replace"),
                url)


def sign_in(base_url: str, email: str, password: str, user_agent: str,
            next_path: str = "", lands_on: str = "/stories") -> str:
    """Sign in through the login form over HTTP; the ``session`` cookie's value.

    ``user_agent`` must be the one the load later sends: Flask-Login's "strong" session
    protection hashes it into the session.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    headers = {"User-Agent": user_agent}
    status, html, _ = fetch(base_url + "/login", headers=headers, opener=opener)
    if status != 200:
        raise BenchError(f"GET /login answered {status}")
    form = urllib.parse.urlencode({"csrf_token": csrf_from(html), "email": email,
                                   "password": password, "next": next_path}).encode()
    status, _html, url = fetch(base_url + "/login", headers=headers, opener=opener, data=form)
    if status != 200 or urllib.parse.urlsplit(url).path != lands_on:
        raise BenchError(f"sign-in did not land on {lands_on} (HTTP {status}, {url})")
    cookie = next((c.value for c in jar if c.name == "session"), None)
    if not cookie:
        raise BenchError("no session cookie after sign-in")
    return cookie


# -- wrk ---------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bytes_per_response: float
    errors: int
    non_2xx: int


@dataclass
class Target:
    """What wrk loads: a URL, the headers of every request and a Lua script."""

    url: str
    headers: dict[str, str]
    script: Path
    label: str = ""


def write_script(path: Path, paths: Sequence[str] | None = None) -> Path:
    """A wrk script: ``done`` (the figures as JSON) and, given ``paths``, a ``request``
    function that picks one of them at random for every request."""
    text = DONE_LUA
    if paths:
        text = PATHS_LUA % ", ".join(json.dumps(p) for p in paths) + text
    path.write_text(text)
    return path


def wrk(target: Target, seconds: float, args: argparse.Namespace) -> Run:
    command = ["wrk", f"-t{args.threads_wrk}", f"-c{args.connections}", f"-d{seconds:g}s",
               f"--timeout={args.timeout:g}s", "--latency", "-s", str(target.script)]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, target.url], capture_output=True, text=True,
                            check=False)
    out = result.stdout
    found = re.search(r"BENCH-JSON (\{.*\})", out)
    if result.returncode != 0 or not found:
        raise BenchError(f"wrk failed ({result.returncode}):\n{out}\n{result.stderr}")
    data = json.loads(found.group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    requests = max(1, data["requests"])
    return Run(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        bytes_per_response=data["bytes"] / requests,
        errors=sum(data[k] for k in ("connect", "read", "write", "timeout", "status")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def describe(run: Run) -> str:
    return (f"{run.rps:8.0f} req/s  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms  "
            f"{run.bytes_per_response / 1024:6.1f} KiB/response")


def print_setup(args: argparse.Namespace) -> None:
    mode = (f"{args.worker_class}, {args.threads} threads" if args.worker_class == "gthread"
            else args.worker_class)
    print(f"gunicorn: {args.workers} workers ({mode}) for each; wrk -t{args.threads_wrk} "
          f"-c{args.connections} -d{args.duration:g}s --timeout {args.timeout:g}s --latency; "
          f"{os.cpu_count()} CPUs")


def alternate(targets: dict[str, Target], args: argparse.Namespace,
              warmups: dict[str, list[Run]] | None = None) -> dict[str, list[Run]]:
    """An untimed warm-up of each target, then ``--rounds`` rounds of each in turn.

    The warm-up runs are appended to ``warmups`` when given (to count every request sent).
    """
    width = max(len(name) for name in targets)
    for name, target in targets.items():
        run = wrk(target, args.warmup, args)
        if warmups is not None:
            warmups.setdefault(name, []).append(run)
    runs: dict[str, list[Run]] = {name: [] for name in targets}
    for round_ in range(1, args.rounds + 1):
        for name, target in targets.items():
            run = wrk(target, args.duration, args)
            runs[name].append(run)
            print(f"  round {round_} {name:{width}s} {describe(run)}", flush=True)
    return runs


def wrk_problems(runs: dict[str, list[Run]]) -> list[str]:
    """Socket errors and 4xx/5xx answers wrk counted, per target."""
    problems = []
    for name, name_runs in runs.items():
        bad = sum(r.errors + r.non_2xx for r in name_runs)
        if bad:
            problems.append(f"{name}: {bad} errors or non-2xx/3xx responses counted by wrk")
    return problems


@dataclass
class Summary:
    rps: float  # median
    best: float
    p50_ms: float  # median of the runs' p50
    p99_ms: float  # median of the runs' p99
    requests: int = 0
    runs: list[Run] = field(default_factory=list)


def summarise(runs: dict[str, list[Run]]) -> dict[str, Summary]:
    return {name: Summary(rps=statistics.median(r.rps for r in rs),
                          best=max(r.rps for r in rs),
                          p50_ms=statistics.median(r.p50_ms for r in rs),
                          p99_ms=statistics.median(r.p99_ms for r in rs),
                          requests=sum(r.requests for r in rs), runs=rs)
            for name, rs in runs.items()}


def print_summary(summary: dict[str, Summary], labels: dict[str, str]) -> None:
    width = max(len(label) for label in labels.values())
    for name, label in labels.items():
        s = summary[name]
        print(f"{label:{width}s} median {s.rps:8.0f} req/s (best {s.best:.0f})  "
              f"p50 {s.p50_ms:6.2f} ms  p99 {s.p99_ms:6.2f} ms")


# -- profiling ---------------------------------------------------------------------------


def profile_requests(app: Any, make_environ: Callable[[int], dict[str, Any]], count: int,
                     top: int = 15, expect: Callable[[int], bool] = lambda s: s < 400,
                     warmup: int = 200) -> None:
    """Call the WSGI app ``count`` times in this process under cProfile and print the ``top``
    entries by cumulative time.

    No server and no test client: ``make_environ(n)`` builds each request's WSGI environ
    (all of them before profiling starts), after ``warmup`` unprofiled ones (caches,
    template compilation). One thread, so no GIL contention with other requests: what one
    request costs the app.
    """
    statuses: list[int] = []

    def start_response(status: str, _headers: list[tuple[str, str]], _exc: Any = None) -> Any:
        statuses.append(int(status.split()[0]))
        return lambda _data: None

    def call(environ: dict[str, Any]) -> None:
        body = app(environ, start_response)
        try:
            for _chunk in body:
                pass
        finally:
            close = getattr(body, "close", None)
            if close:
                close()

    for n in range(warmup):
        call(make_environ(n))
    statuses.clear()
    environs = [make_environ(n) for n in range(count)]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for environ in environs:
        call(environ)
    profiler.disable()
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if not expect(s)]
    print(f"profile: {count} requests in-process under cProfile in {elapsed:.2f} s "
          f"({elapsed / count * 1000:.2f} ms per request, profiling overhead included)"
          + (f"; {len(bad)} unexpected statuses, e.g. {bad[0]}" if bad else ""))
    for order, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        # pstats prints absolute paths; the project's and the virtualenv's are long and alike.
        text = out.getvalue().replace(
            str(VENV_BIN.parent) + "/lib/python3.11/site-packages/", "").replace(
            str(ROOT) + "/", "")
        lines = text.splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print(f"  top {top} by {title}:")
        print("\n".join(line.rstrip() for line in lines[start:]).rstrip())


def py_spy() -> Path | None:
    """The virtualenv's py-spy (``.venv/bin/pip install py-spy``), if installed."""
    found = VENV_BIN / "py-spy"
    return found if found.exists() else (Path(p) if (p := shutil.which("py-spy")) else None)


_FRAME_LINE = re.compile(r":\d+\)$")
#: Frames every sample of a gthread worker shares: left out of the tables.
_PLUMBING = re.compile(r"\((?:\S*/)?(?:threading|concurrent/futures/thread)\.py:\d+\)$")


def spy_under_load(server: Server, target: Target, args: argparse.Namespace, seconds: float,
                   tmp: Path, top: int = 15) -> Run | None:
    """Sample every gunicorn worker of ``server`` with py-spy (100 Hz, without pausing them)
    while wrk loads ``target`` for ``seconds``, and print the ``top`` functions by inclusive
    and by own share of the samples. py-spy leaves out idle threads (waiting for a
    connection or a lock), so the shares are of the time the workers' threads were busy.
    Answers the wrk run, or None when py-spy is missing or failed."""
    spy = py_spy()
    if spy is None:
        print("py-spy is not installed (.venv/bin/pip install py-spy): no profile under load")
        return None
    recorders = []
    for pid in worker_pids(server):
        out = tmp / f"py-spy-{pid}.txt"
        command = [str(spy), "record", "--pid", str(pid), "--duration", f"{seconds:.0f}",
                   "--rate", "100", "--format", "raw", "--nonblocking", "--output", str(out)]
        recorders.append((out, subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.PIPE, text=True)))
    time.sleep(0.5)  # py-spy attaches
    run = wrk(target, seconds, args)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for out, process in recorders:
        try:
            _stdout, stderr = process.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            stop(process)
            continue
        if process.returncode != 0 or not out.exists():
            print(f"py-spy failed ({process.returncode}): {stderr.strip()[-500:]}")
            continue
        for line in out.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_FRAME_LINE.sub(")", frame) for frame in stack.split(";")
                      if not _PLUMBING.search(frame)]
            if not frames:
                continue
            total += count
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + count
            own[frames[-1]] = own.get(frames[-1], 0) + count
    if not total:
        print("py-spy recorded no samples")
        return run
    trim = [str(VENV_BIN.parent) + "/lib/python3.11/site-packages/", str(ROOT) + "/",
            "/usr/lib/python3.11/", "/usr/local/lib/python3.11/"]

    def short(frame: str) -> str:
        for prefix in trim:
            frame = frame.replace(prefix, "")
        return frame

    print(f"py-spy under load: {total} samples of busy threads in {len(recorders)} workers "
          f"over {seconds:.0f} s ({run.rps:.0f} req/s meanwhile); thread plumbing "
          f"(threading, concurrent.futures) left out")
    for title, table in (("inclusive (cumulative)", inclusive), ("own (self)", own)):
        print(f"  top {top} by {title} share of the samples:")
        for frame, count in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {count / total:6.1%}  {short(frame)}")
    return run


def wsgi_environ(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The WSGI environ of a GET of ``path`` from 127.0.0.1 with ``headers``."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, headers=list(headers.items()), base_url="http://127.0.0.1:8000",
                             environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


# -- command line and clean-up -----------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, rounds: int = 2) -> None:
    """The options every HTTP benchmark takes."""
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads-wrk", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--rounds", type=int, default=rounds,
                        help=f"alternating rounds; medians are reported ({rounds})")
    parser.add_argument("--warmup", type=float, default=3, help="untimed wrk seconds (3)")
    parser.add_argument("--timeout", type=float, default=10,
                        help="wrk's request timeout in seconds (10; wrk's own default of 2 "
                             "would drop a slow page's latencies from the figures)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    # sync is what the README's production command runs (gunicorn -w N wsgi:app).
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync",
                        help="gunicorn worker class for both apps (sync)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker with --worker-class gthread (4)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(name: str, measure: Callable[[argparse.Namespace, Path, ExitStack], int],
        args: argparse.Namespace, tools: Sequence[str] = ("wrk",)) -> int:
    """Run ``measure(args, tmp, stack)`` in a fresh temporary directory; everything entered
    on ``stack`` (servers, workers) stops before the directory is removed, also on Ctrl+C
    or SIGTERM. Exit code 2 when it could not measure (also when one of the Debian
    ``tools`` it needs is not installed)."""
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install {tool})", file=sys.stderr)
            return 2
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # run from a checkout without installing
    # Ctrl+C and kill both end in the clean-up below (SIGINT is set explicitly: a shell
    # starts background jobs with it ignored, and Python then installs no handler).
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    tmp = Path(tempfile.mkdtemp(prefix=f"advocacy-bench-{name}-"))
    try:
        with ExitStack() as stack:  # servers stop before the directory goes
            return measure(args, tmp, stack)
    except BenchError as exc:
        print(f"could not measure: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; stopping servers", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
