"""Benchmark: "My stories" (GET /stories, 500 stories) under wrk, beside a bare Flask hello world.

Builds a throwaway hub in a temporary directory (fresh SQLite database, local uploads), runs
``advocacy db upgrade``, seeds one employee with 500 stories (one to three topics each, a photo
on every fifth), signs in through the real login form (CSRF on) and then serves

* the hub: ``gunicorn wsgi:app``, and
* a bare Flask hello world written to the same temporary directory,

both with the same gunicorn settings (2 workers, gthread by default) on 127.0.0.1. It runs
``wrk -t2 -c32 -d10s --latency`` against each in alternation (hello, hub, hello, hub, ...),
after an untimed warm-up, and prints the median req/s, p50/p99 latency, the ratio hub/hello
and the target (hub >= 40 % of hello) as PASS or MISS. It checks that the hub's answers are
the real My stories page with 20 stories (a urllib fetch with the same headers, and wrk's
bytes per response) and that wrk counted no errors.

It also counts the SQL queries of one My stories page at 5, 20 and 100 stories per page
(in-process, Flask's test client, an SQLAlchemy ``before_cursor_execute`` listener) and says
whether the number is constant.

    .venv/bin/python bench/pages.py [--duration 10] [--connections 32] [--rounds 2]
                                    [--worker-class gthread|sync] [--threads 4]

Exit code 0 when both targets are met, 1 when one is missed, 2 when it could not measure.
Everything it starts is stopped and the temporary directory removed, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import importlib.metadata
import io
import json
import os
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
STORIES = 500
PHOTO_EVERY = 5
PAGE_SIZE = 20  # the default ADVOCACY_STORIES_PER_PAGE, which the served hub uses
COUNTED_PAGE_SIZES = (5, 20, 100)
TARGET = 0.40
EMAIL = "bench@example.org"
PASSWORD = "bench horse battery staple"
USER_AGENT = "advocacy-bench/1"  # Flask-Login's "strong" session protection hashes it
TOPICS = [("customers", "Customers"), ("sustainability", "Sustainability"),
          ("life-at-work", "Life at work"), ("innovation", "Innovation"),
          ("community", "Community"), ("careers", "Careers")]

HELLO_APP = '''"""A bare Flask hello world: the baseline."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
'''

# done() runs once after the run; it does not slow wrk down (a response() callback would).
WRK_SCRIPT = """
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


class BenchError(Exception):
    """The benchmark could not measure what it set out to measure."""


# -- the throwaway hub -------------------------------------------------------------------


def hub_environment(tmp: Path) -> dict[str, str]:
    """Environment of every hub process: its own database, uploads and secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOCACY_")}
    env.update(
        ADVOCACY_DATABASE_URL=f"sqlite:///{tmp / 'hub.db'}",
        ADVOCACY_UPLOADS_DIR=str(tmp / "uploads"),
        ADVOCACY_SECRET_KEY=os.urandom(24).hex(),  # shared by both workers, not in instance/
        ADVOCACY_STORAGE="local",
        PYTHONPATH=str(ROOT),
    )
    return env


def upgrade_database(env: dict[str, str]) -> None:
    """``advocacy db upgrade`` on the fresh database, as an operator would run it."""
    advocacy = VENV_BIN / "advocacy"
    command = ([str(advocacy)] if advocacy.exists()
               else [sys.executable, "-c", "from advocacy.cli import main; main()"])
    result = subprocess.run([*command, "db", "upgrade"], env=env, cwd=ROOT, check=False,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"advocacy db upgrade failed:\n{result.stderr[-3000:]}")


def make_app(env: dict[str, str]) -> Any:
    """The hub in this process, configured exactly like the served one."""
    from advocacy import create_app
    from advocacy.config import PREFIX

    overrides = {k.removeprefix(PREFIX): v for k, v in env.items() if k.startswith(PREFIX)}
    overrides["LOG_LEVEL"] = "WARNING"  # keep this script's output readable; no effect on SQL
    return create_app(overrides)


def sample_photo() -> bytes:
    """A 1600x1200 JPEG with some structure, so the renditions look like real ones."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (70, 120, 170))
    draw = ImageDraw.Draw(image)
    for n in range(40):
        x, y = (n * 97) % 1600, (n * 61) % 1200
        draw.ellipse((x, y, x + 180, y + 140), fill=((n * 53) % 256, (n * 29) % 256, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def seed(app: Any) -> float:
    """One employee with ``STORIES`` stories; returns the seconds it took.

    Stories go in through ``create_story``; one photo goes through the real photo pipeline
    and storage, and every fifth story gets a MediaAsset row pointing at those renditions.
    """
    from werkzeug.datastructures import FileStorage

    from advocacy import database as db
    from advocacy.accounts.models import Role
    from advocacy.accounts.operations import create_user
    from advocacy.media.models import MediaAsset
    from advocacy.stories.models import Topic
    from advocacy.stories.operations import create_story
    from advocacy.stories.states import StoryStatus

    started = time.perf_counter()
    statuses = [StoryStatus.DRAFT, StoryStatus.SUBMITTED, StoryStatus.APPROVED,
                StoryStatus.DRAFT, StoryStatus.WITHDRAWN, StoryStatus.CHANGES_REQUESTED]
    slugs = [slug for slug, _ in TOPICS]
    with app.app_context():
        db.session.add_all(Topic(slug=slug, name=name) for slug, name in TOPICS)
        author = create_user(EMAIL, role=Role.EMPLOYEE, password=PASSWORD, name="Bench Author")
        first = create_story(
            author, title="Story 0: the first one, with a photo", body="A photo story.",
            topics=slugs[:2], consent=True,
            photos=[FileStorage(io.BytesIO(sample_photo()), filename="photo.jpg",
                                content_type="image/jpeg")],
        )
        template = first.media[0]
        base = datetime.now(UTC) - timedelta(days=STORIES)
        first.updated_at = base
        for n in range(1, STORIES):
            story = create_story(
                author, title=f"Story {n}: what happened at work this week",
                body=f"Story {n}. " + "Something worth telling colleagues about. " * 8,
                topics=[slugs[(n + k) % len(slugs)] for k in range(1 + n % 3)],
                consent=n % PHOTO_EVERY == 0,
            )
            story.status = statuses[n % len(statuses)]
            story.updated_at = base + timedelta(hours=n)
            if n % PHOTO_EVERY == 0:
                db.session.add(MediaAsset(
                    story=story, kind="photo", position=0,
                    source_format=template.source_format, width=template.width,
                    height=template.height, bytes=template.bytes,
                    renditions=dict(template.renditions),
                    removed_metadata=list(template.removed_metadata),
                    consent_confirmed_at=story.updated_at, consent_confirmed_by_id=author.id,
                    created_by_id=author.id,
                ))
        db.commit()
    return time.perf_counter() - started


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


def count_queries(app: Any) -> dict[int, int]:
    """SQL queries of one My stories page (page 1) per page size, signed in via the form."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": EMAIL,
                                           "password": PASSWORD, "next": ""})
    if response.status_code != 302:
        raise BenchError(f"in-process sign-in answered {response.status_code}")
    engine = app.extensions["advocacy.db"]
    previous = app.config["STORIES_PER_PAGE"]
    counts: dict[int, int] = {}
    try:
        for size in COUNTED_PAGE_SIZES:
            app.config["STORIES_PER_PAGE"] = size
            client.get("/stories")  # warm-up: template compilation, statement cache
            with counting(engine) as statements:
                response = client.get("/stories")
            rows = response.get_data(as_text=True).count('class="story-row"')
            if response.status_code != 200 or rows != size:
                raise BenchError(f"My stories at {size} per page: HTTP "
                                 f"{response.status_code}, {rows} stories")
            counts[size] = len(statements)
    finally:
        app.config["STORIES_PER_PAGE"] = previous
    return counts


# -- servers and HTTP --------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    base_url: str = ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn we started (its own process group: master and workers)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
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
def gunicorn(name: str, app_spec: str, chdir: Path, env: dict[str, str], tmp: Path,
             args: argparse.Namespace) -> Iterator[Server]:
    """``gunicorn app_spec`` on 127.0.0.1 (a free port), 2 workers, stopped on exit."""
    log = tmp / f"{name}.log"
    worker = ["-k", args.worker_class]
    if args.worker_class == "gthread":
        worker += ["--threads", str(args.threads)]
    command = [str(VENV_BIN / "gunicorn"), "--chdir", str(chdir), "-b", "127.0.0.1:0",
               "-w", str(args.workers), *worker, "--log-level", "info",
               "--error-logfile", str(log), *_no_control_socket(), app_spec]
    with log.open("ab") as sink:  # append, like gunicorn's own error log: no overwriting
        process = subprocess.Popen(command, env=env, cwd=chdir, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, process, log)
    try:
        yield server
    finally:
        _stop(process)


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


def fetch(url: str, headers: dict[str, str] | None = None,
          opener: urllib.request.OpenerDirector | None = None,
          data: bytes | None = None) -> tuple[int, str, str]:
    """Status, body and final URL (redirects followed) of one request to our own servers."""
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError(f"refusing to fetch {url}: only the local servers started here")
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only, checked above
        url, data=data, headers={"User-Agent": USER_AGENT, **(headers or {})})
    open_ = (opener or urllib.request.build_opener()).open
    try:
        with open_(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace"), response.url
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), url


def sign_in(base_url: str) -> str:
    """Sign in through the login form over HTTP; the ``session`` cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, html, _ = fetch(base_url + "/login", opener=opener)
    if status != 200:
        raise BenchError(f"GET /login answered {status}")
    form = urllib.parse.urlencode({"csrf_token": csrf_from(html), "email": EMAIL,
                                   "password": PASSWORD, "next": ""}).encode()
    status, _html, url = fetch(base_url + "/login", opener=opener, data=form)
    if status != 200 or urllib.parse.urlsplit(url).path != "/stories":
        raise BenchError(f"sign-in did not land on /stories (HTTP {status}, {url})")
    cookie = next((c.value for c in jar if c.name == "session"), None)
    if not cookie:
        raise BenchError("no session cookie after sign-in")
    return cookie


def check_my_stories(url: str, headers: dict[str, str]) -> int:
    """Fetch My stories with wrk's headers; it must be the real page with 20 stories."""
    status, html, final = fetch(url, headers=headers)
    rows = html.count('class="story-row"')
    if status != 200 or final != url or "<h1>My stories</h1>" not in html or rows != PAGE_SIZE:
        raise BenchError(f"{url} is not My stories with {PAGE_SIZE} stories "
                         f"(HTTP {status}, ended at {final}, {rows} stories)")
    return len(html.encode())


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


def wrk(url: str, headers: dict[str, str], seconds: float, args: argparse.Namespace,
        script: Path) -> Run:
    command = ["wrk", f"-t{args.threads_wrk}", f"-c{args.connections}", f"-d{seconds:g}s",
               "--latency", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=False)
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


# -- the run -----------------------------------------------------------------------------


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def describe(run: Run) -> str:
    return (f"{run.rps:8.0f} req/s  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms  "
            f"{run.bytes_per_response / 1024:6.1f} KiB/response")


def measure(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    env = hub_environment(tmp)
    upgrade_database(env)
    for name in [k for k in os.environ if k.startswith("ADVOCACY_")]:
        del os.environ[name]  # the in-process app must see exactly what the served one sees
    os.environ.update({k: v for k, v in env.items() if k.startswith("ADVOCACY_")})
    app = make_app(env)
    seconds = seed(app)
    print(f"seeded {STORIES} stories ({STORIES // PHOTO_EVERY} with a photo) in {seconds:.1f} s")

    counts = count_queries(app)
    constant = len(set(counts.values())) == 1
    print("SQL queries for one My stories page: "
          + ", ".join(f"{size} per page -> {n}" for size, n in counts.items())
          + f"  ({'constant' if constant else 'NOT constant'})")

    (tmp / "hello.py").write_text(HELLO_APP)
    script = tmp / "done.lua"
    script.write_text(WRK_SCRIPT)
    hello = stack.enter_context(gunicorn("hello", "hello:app", tmp, env, tmp, args))
    hub = stack.enter_context(gunicorn("hub", "wsgi:app", ROOT, env, tmp, args))
    wait_ready(hello, "/", args.workers)
    wait_ready(hub, "/login", args.workers)

    cookie = sign_in(hub.base_url)
    hub_headers = {"Cookie": f"session={cookie}", "User-Agent": USER_AGENT}
    hello_headers = {"User-Agent": USER_AGENT}
    targets = {"hello": (hello.base_url + "/", hello_headers),
               "hub": (hub.base_url + "/stories", hub_headers)}
    page_bytes = check_my_stories(*targets["hub"])

    mode = (f"{args.worker_class}, {args.threads} threads" if args.worker_class == "gthread"
            else args.worker_class)
    print(f"gunicorn: {args.workers} workers ({mode}) for each; wrk -t{args.threads_wrk} "
          f"-c{args.connections} -d{args.duration:g}s --latency; {os.cpu_count()} CPUs")
    for url, headers in targets.values():  # warm-up, not reported
        wrk(url, headers, args.warmup, args, script)
    runs: dict[str, list[Run]] = {"hello": [], "hub": []}
    for round_ in range(1, args.rounds + 1):
        for name, (url, headers) in targets.items():
            run = wrk(url, headers, args.duration, args, script)
            runs[name].append(run)
            print(f"  round {round_} {name:5s} {describe(run)}")
    check_my_stories(*targets["hub"])  # still signed in after the runs

    problems = []
    for name, name_runs in runs.items():
        bad = sum(r.errors + r.non_2xx for r in name_runs)
        if bad:
            problems.append(f"{name}: {bad} errors or non-2xx/3xx responses counted by wrk")
    smallest = min(r.bytes_per_response for r in runs["hub"])
    if smallest < 0.9 * page_bytes:  # a redirect to /login would be a few hundred bytes
        problems.append(f"hub: {smallest:.0f} bytes per response, the page has {page_bytes}")
    if problems:
        raise BenchError("; ".join(problems))

    median = {name: statistics.median(r.rps for r in name_runs)
              for name, name_runs in runs.items()}
    best = {name: max(r.rps for r in name_runs) for name, name_runs in runs.items()}
    ratio = median["hub"] / median["hello"]
    p50 = {name: statistics.median(r.p50_ms for r in rs) for name, rs in runs.items()}
    p99 = {name: statistics.median(r.p99_ms for r in rs) for name, rs in runs.items()}
    print(f"verified: /stories is My stories with {PAGE_SIZE} of {STORIES} stories "
          f"({page_bytes / 1024:.1f} KiB); wrk counted no errors and no non-2xx/3xx")
    for name, label in (("hello", "hello world"), ("hub", "My stories")):
        print(f"{label:12s} median {median[name]:8.0f} req/s (best {best[name]:.0f})  "
              f"p50 {p50[name]:6.2f} ms  p99 {p99[name]:6.2f} ms")
    passed = ratio >= TARGET
    print(f"ratio hub/hello (medians): {ratio:.1%}  target >= {TARGET:.0%}: "
          f"{'PASS' if passed else 'MISS'}")
    print(f"queries per page constant (5/20/100 per page): {'PASS' if constant else 'MISS'}")
    return 0 if passed and constant else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads-wrk", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating hello/hub rounds; medians are reported (2)")
    parser.add_argument("--warmup", type=float, default=3, help="untimed wrk seconds (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread",
                        help="gunicorn worker class for both apps (gthread)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per gthread worker (4)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing
    # Ctrl+C and kill both end in the clean-up below (SIGINT is set explicitly: a shell
    # starts background jobs with it ignored, and Python then installs no handler).
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    tmp = Path(tempfile.mkdtemp(prefix="advocacy-bench-pages-"))
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


if __name__ == "__main__":
    raise SystemExit(main())
