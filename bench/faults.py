"""Faults lose nothing and hang nothing: the tracked redirect and the hub under crashes and outages.

On the scaled-out setting, on 127.0.0.1 only: throwaway PostgreSQL, Redis and SeaweedFS (S3)
from ``tests/services.py``, the hub under ``gunicorn -w 2`` (sync) with
``ADVOCACY_DATABASE_URL``, ``ADVOCACY_STORAGE=s3``, ``ADVOCACY_RATELIMIT_STORAGE_URL`` and
``ADVOCACY_QUEUE_URL`` (Redis: the click journal is a Redis stream) set, and ``advocacy worker``.
It seeds one approved story with 1,000 shares (as ``bench/redirect.py`` does) and then runs, one
after another, each under the same steady load:

0. a baseline without any fault;
1. ``advocacy worker`` killed with SIGKILL three times in 40 s (restarted each time);
2. one gunicorn web worker killed with SIGKILL (gunicorn starts another);
3. PostgreSQL away for 60 s (stopped, then started again);
4. the bucket hung for 30 s (SIGSTOP of the SeaweedFS process, SIGCONT after) while two
   threads upload photos through the API.

The load is an open loop: ``GET /l/<code>`` on 20 tracked links at a fixed rate (200/s), each
request with one of 5,000 browser User-Agents (so the clicks count as people), and ``GET
/healthz`` at 5/s. Every answer is recorded with its latency, counted from when the request was
due (not from when a free client thread sent it), so a stalled hub shows in the figures
instead of slowing the load down. After each scenario the load stops, and the script waits
(bounded) until the click journal is empty and the clicks stored no longer change, then
compares the clicks stored with the 302s answered.

Targets: no answered click lost in the baseline, the worker kills and the outages; a killed web
worker loses at most what it received in one flush interval (0.5 s); while the bucket hangs,
the p99 of ``/l/<code>`` and of ``/healthz`` under 100 ms, every upload answered meanwhile a
503 ``storage_unavailable``, and none waiting longer than 10 s (a third of gunicorn's worker
timeout).

    .venv/bin/python bench/faults.py [--quick] [--keep] [--rate 200] [--links 20]

About four minutes (``--quick``: shorter outages, about two and a half). Exit code 0 when
every target passes, 1 when one is missed, 2 when it could not measure. Everything it starts
is stopped (and a stopped bucket continued first), also on Ctrl+C and on errors.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import math
import os
import queue
import random
import secrets
import signal
import threading
import time
import traceback
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _harness import (
    BROWSER_HEADERS,
    ROOT,
    BenchError,
    Server,
    advocacy_command,
    background,
    gunicorn,
    live_worker_pids,
    prepare_hub,
    run,
    verdict,
    wait_ready,
)
from redirect import PASSWORD, check_redirect, seed, stored_clicks, wait_for_worker

#: What the redirect must answer within while the bucket hangs (p99).
LATENCY_TARGET_MS = 100.0
#: Gunicorn's default worker timeout: a request held longer gets its worker killed.
GUNICORN_TIMEOUT = 30.0
#: An upload that finds the bucket hung must be answered well inside that.
UPLOAD_LIMIT = GUNICORN_TIMEOUT / 3
#: Longest wait for one answer; longer than gunicorn's timeout, so its kills show as such.
REQUEST_TIMEOUT = GUNICORN_TIMEOUT + 10
#: Seconds before a batch a killed worker claimed is taken over (the default is 30).
CLAIM_SECONDS = 5
#: Longest wait for the clicks to be stored after a scenario: the storer's longest pause
#: between tries (30 s) after an outage, a claim to be taken over, and the storing itself.
SETTLE_TIMEOUT = 90.0
AGENTS = 5_000
AUTHOR = "author@example.org"  # seeded by redirect.seed, with PASSWORD


def agent(n: int) -> str:
    """The ``n``-th of ``AGENTS`` browser User-Agents (Chrome builds): a person each."""
    return ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/131.0.{6700 + n // 100}.{n % 100} Safari/537.36")


# -- the load ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    due: float  # time.monotonic() when the request was due
    seconds: float  # from then until the answer was read (or the request failed)
    status: int  # 0: no answer (connection refused or reset, timeout)


class Load:
    """``GET`` requests at a fixed rate from a pool of threads (an open loop, as wrk2 does it).

    A scheduler puts each request's due time on a queue; a free thread sends it. When the hub
    stalls and every thread waits, the requests that fall due meanwhile wait on the queue, and
    their latency counts from their due time: the stall shows in full instead of being
    sampled once per thread ("coordinated omission"). Each request opens its own connection
    (``Connection: close``), as the sync workers want anyway: a kept-alive connection that the
    server closes as idle just when a request goes out would count as a request unanswered.
    """

    def __init__(self, base_url: str, paths: Sequence[str], rate: float, threads: int,
                 headers: Callable[[random.Random], dict[str, str]]) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.hostname != "127.0.0.1" or parts.port is None:
            raise BenchError(f"refusing to load {base_url}: only the hub started here")
        self.host, self.port = parts.hostname, parts.port
        self.paths = list(paths)
        self.rate = rate
        self.headers = headers
        self.answers: list[Answer] = []  # list.append is atomic: no lock needed
        self._due: queue.SimpleQueue[float | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True,
                                          name=f"load-{n}") for n in range(threads)]
        self._scheduler = threading.Thread(target=self._schedule, daemon=True, name="schedule")

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        self._scheduler.start()
        return self

    def stop(self) -> float:
        """Stop scheduling, let every request that fell due finish; answers when it stopped."""
        self.abandon()
        self._scheduler.join(timeout=5)
        deadline = time.monotonic() + REQUEST_TIMEOUT + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            raise BenchError("a load thread did not finish its request: the count is not exact")
        return time.monotonic()

    def abandon(self) -> None:
        """Stop scheduling without waiting (the run is over anyway: an error, Ctrl+C)."""
        self._stop.set()

    def _schedule(self) -> None:
        started = time.monotonic()
        n = 0
        while not self._stop.is_set():
            due = started + n / self.rate
            if self._stop.wait(max(0.0, due - time.monotonic())):
                break
            self._due.put(due)
            n += 1
        for _thread in self._threads:
            self._due.put(None)

    def _send(self, number: int) -> None:
        rng = random.Random(number * 7919 + os.getpid())
        connection: http.client.HTTPConnection | None = None
        while (due := self._due.get()) is not None:
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(self.host, self.port,
                                                            timeout=REQUEST_TIMEOUT)
                connection.request("GET", rng.choice(self.paths),
                                   headers={**self.headers(rng), "Connection": "close"})
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                status = 0
                if connection is not None:
                    connection.close()
                    connection = None
            self.answers.append(Answer(due, time.monotonic() - due, status))
        if connection is not None:
            connection.close()


def click_headers(rng: random.Random) -> dict[str, str]:
    """A click from a LinkedIn post by one of ``AGENTS`` people."""
    return {**BROWSER_HEADERS, "User-Agent": agent(rng.randrange(AGENTS)),
            "Referer": "https://www.linkedin.com/"}


def probe_headers(_rng: random.Random) -> dict[str, str]:
    return {"User-Agent": "advocacy-bench/1 (health probe)"}


# -- uploads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    started: float
    seconds: float
    status: int  # 0: no answer
    code: str  # the error code of a JSON error answer, else ""


def sample_photo() -> bytes:
    """A 1024 x 768 JPEG (a gradient): small enough that processing it hardly loads a worker."""
    from PIL import Image

    image = Image.merge("RGB", [Image.linear_gradient("L").resize((1024, 768)),
                                Image.radial_gradient("L").resize((1024, 768)),
                                Image.new("L", (1024, 768), 96)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def multipart(fields: Sequence[tuple[str, str]],
              files: Sequence[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type: ``fields`` are (name, value),
    ``files`` (field name, file name, content type, bytes)."""
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields]
    parts += [(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
               f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n').encode()
              + data + b"\r\n" for name, filename, kind, data in files]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def api_call(base_url: str, method: str, path: str, body: bytes, headers: dict[str, str],
             ) -> tuple[int, Any]:
    """Status and JSON body (None when not JSON) of one API request to the hub started here;
    status 0 when no answer came."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.hostname != "127.0.0.1" or parts.port is None:
        raise BenchError(f"refusing to call {base_url}: only the hub started here")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body,
                           headers={"User-Agent": "advocacy-bench/1", **headers})
        response = connection.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, None


def api_token(base_url: str) -> str:
    status, answer = api_call(base_url, "POST", "/api/v1/tokens",
                              json.dumps({"email": AUTHOR, "password": PASSWORD,
                                          "name": "bench"}).encode(),
                              {"Content-Type": "application/json"})
    if status != 201 or not isinstance(answer, dict) or "token" not in answer:
        raise BenchError(f"POST /api/v1/tokens answered {status}: {answer!r:.300}")
    return str(answer["token"])


class Uploader:
    """Threads that each create a story with a photo through the API, one after another with
    a pause between, recording every answer."""

    def __init__(self, base_url: str, token: str, photo: bytes, threads: int = 2,
                 pause: float = 1.0) -> None:
        self.base_url = base_url
        self.token = token
        self.photo = photo
        self.pause = pause
        self.threads = threads
        self.uploads: list[Upload] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True, name=f"upload-{n}")
                         for n in range(threads)]

    def once(self) -> Upload:
        body, kind = multipart(
            [("title", "A night at the harbour, in pictures"),
             ("body", "The cranes, the pilots and the coffee at three in the morning."),
             ("topics", "customers"), ("consent", "true")],
            [("media", "harbour.jpg", "image/jpeg", self.photo)])
        started = time.monotonic()
        status, answer = api_call(self.base_url, "POST", "/api/v1/stories", body,
                                  {"Content-Type": kind,
                                   "Authorization": f"Bearer {self.token}"})
        code = ""
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            code = str(answer["error"].get("code", ""))
        return Upload(started, time.monotonic() - started, status, code)

    def start(self) -> Uploader:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        for thread in self._threads if wait else []:
            thread.join(timeout=REQUEST_TIMEOUT + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.uploads.append(self.once())
            self._stop.wait(self.pause)


# -- figures -----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.99 for p99) of non-empty ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


@dataclass
class Window:
    """When a fault lasted (``time.monotonic()``), and what happened on the way."""

    start: float
    end: float
    notes: list[str] = field(default_factory=list)
    label: str = "during the fault"

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Latency:
    count: int
    statuses: Counter[int]
    p50: float
    p99: float
    most: float

    def describe(self, expected: int, seconds: float) -> str:
        if not self.count:
            return "no requests fell due"
        others = ", ".join(f"{'no answer' if s == 0 else s} x{n}"
                           for s, n in sorted(self.statuses.items()) if s != expected)
        good = self.statuses[expected]
        return (f"{good} x {expected} ({good / seconds:.0f}/s)"
                f"{'; ' + others if others else ''};  p50 {ms(self.p50)}  p99 {ms(self.p99)}  "
                f"max {ms(self.most)}")


def latency(answers: Sequence[Answer], start: float, end: float) -> Latency:
    """The requests that fell due between ``start`` and ``end``: statuses and latencies."""
    inside = [a for a in answers if start <= a.due < end]
    if not inside:
        return Latency(0, Counter(), 0.0, 0.0, 0.0)
    seconds = [a.seconds for a in inside]
    return Latency(len(inside), Counter(a.status for a in inside), percentile(seconds, 0.5),
                   percentile(seconds, 0.99), max(seconds))


# -- the hub's processes -----------------------------------------------------------------


class Workers:
    """``advocacy worker`` processes, each in its own process group and log; stopped with the
    stack."""

    def __init__(self, stack: ExitStack, env: dict[str, str], tmp: Path) -> None:
        self.stack = stack
        self.env = env
        self.tmp = tmp
        self.started = 0
        self.current: Server | None = None

    def start(self) -> float:
        """Start one and wait until it stores clicks; answers the seconds that took."""
        self.started += 1
        began = time.monotonic()
        self.current = self.stack.enter_context(background(
            f"worker-{self.started}", [*advocacy_command(), "worker"], self.env, ROOT,
            self.tmp))
        wait_for_worker(self.current)
        return time.monotonic() - began

    def kill(self) -> None:
        """SIGKILL, as the out-of-memory killer or a lost machine would end it."""
        assert self.current is not None
        os.killpg(self.current.process.pid, signal.SIGKILL)
        self.current.process.wait(timeout=10)

    def check(self) -> None:
        """Only the script ends a worker: one that exited by itself is a failure to report."""
        assert self.current is not None
        code = self.current.process.poll()
        if code is not None:
            raise BenchError(f"advocacy worker exited by itself (code {code}); "
                             f"{self.current.log}:\n{self.current.log.read_text()[-3000:]}")


@dataclass
class Hub:
    """Everything the scenarios act on."""

    app: Any
    web: Server
    workers: Workers
    journal: Any  # advocacy.analytics.journal.ClickJournal
    paths: list[str]
    args: argparse.Namespace
    postgres: Any  # tests.services.Postgres
    s3: Any  # tests.services.S3
    token: str = ""
    photo: bytes = b""

    def stored(self) -> int:
        """Clicks in the database; waits (bounded) while the database does not answer."""
        from sqlalchemy.exc import DBAPIError

        deadline = time.monotonic() + 60
        while True:
            try:
                return stored_clicks(self.app)[0]
            except DBAPIError as exc:
                if time.monotonic() > deadline:
                    raise BenchError(f"cannot count the stored clicks: {exc}") from exc
                time.sleep(1.0)

    def settle(self, stopped: float) -> tuple[int, float, int]:
        """After the load stopped at ``stopped``: wait until every web process handed over
        its clicks, the journal is empty (nothing waiting, nothing claimed) and the count of
        stored clicks has not moved for 2 s. Answers that count, the seconds from
        ``stopped`` until it last grew, and the clicks still in the journal (0 unless
        ``SETTLE_TIMEOUT`` ran out)."""
        from advocacy.analytics.journal import JournalError

        time.sleep(max(0.0, stopped + 1.5 - time.monotonic()))  # two flush intervals
        last, since = -1, time.monotonic()
        waiting = -1
        while time.monotonic() - stopped < SETTLE_TIMEOUT:
            self.workers.check()
            stored = self.stored()
            if stored != last:
                last, since = stored, time.monotonic()
            try:
                waiting = self.journal.waiting()
                empty = waiting == 0 and self.journal.claimed() == 0
            except JournalError:
                empty = False
            if empty and time.monotonic() - since >= 2.0:
                return stored, since - stopped, 0
            time.sleep(0.25)
        return last, since - stopped, waiting


# -- the scenarios -----------------------------------------------------------------------


@dataclass
class Outcome:
    name: str  # "1. worker SIGKILL x3": for the list of targets
    window: Window
    clicks: Latency
    health: Latency
    answered: int
    unanswered: int  # /l/ requests that got no answer: may or may not have been counted
    stored: int
    settled_after: float
    left: int
    rate: float  # 302s per second during the whole load of the scenario
    uploads: list[Upload] = field(default_factory=list)
    targets: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.answered - self.stored


def under_load(hub: Hub, name: str, title: str, fault: Callable[[], Window], lead: float,
               tail: float) -> Outcome:
    """``fault`` under the steady load, ``lead`` seconds after the load started and with
    ``tail`` seconds of load after it; then the clicks are counted."""
    args = hub.args
    print(f"\n{name}: {title}", flush=True)
    before = hub.stored()
    clicks = Load(hub.web.base_url, hub.paths, args.rate, args.load_threads, click_headers)
    probe = Load(hub.web.base_url, ["/healthz"], args.probe_rate, 8, probe_headers)
    began = time.monotonic()
    clicks.start()
    probe.start()
    try:
        time.sleep(lead)
        window = fault()
        time.sleep(tail)
    except BaseException:
        clicks.abandon()
        probe.abandon()
        raise
    stopped = clicks.stop()
    probe.stop()
    stored, settled_after, left = hub.settle(stopped)
    answered = sum(1 for a in clicks.answers if a.status == 302)
    return Outcome(
        name=name, window=window,
        clicks=latency(clicks.answers, window.start, window.end),
        health=latency(probe.answers, window.start, window.end),
        answered=answered, unanswered=sum(1 for a in clicks.answers if a.status == 0),
        stored=stored - before, settled_after=settled_after, left=left,
        rate=answered / (stopped - began))


def report(outcome: Outcome) -> None:
    for note in outcome.window.notes:
        print(f"  {note}")
    seconds = max(outcome.window.seconds, 1e-9)
    print(f"  {outcome.window.label} ({seconds:.1f} s):")
    print(f"    /l/<code>  {outcome.clicks.describe(302, seconds)}")
    print(f"    /healthz   {outcome.health.describe(200, seconds)}")
    unanswered = (f" ({outcome.unanswered} requests got no answer: those may or may not "
                  f"have been counted)" if outcome.unanswered else "")
    print(f"  clicks: answered {outcome.answered}, stored {outcome.stored}, difference "
          f"(answered - stored) {outcome.lost:+d}{unanswered}")
    if outcome.left:
        print(f"  the click journal still held {outcome.left} clicks {SETTLE_TIMEOUT:.0f} s "
              f"after the load stopped")
    else:
        print(f"  the journal was empty and every click stored {outcome.settled_after:.1f} s "
              f"after the load stopped (polled from 1.5 s on)")


def none_lost(outcome: Outcome) -> tuple[str, bool]:
    """Every answered click stored, none twice (a request that got no answer may count)."""
    passed = outcome.left == 0 and 0 <= outcome.stored - outcome.answered <= outcome.unanswered
    return f"no click lost: {outcome.lost:+d} (target 0)", passed


def baseline(hub: Hub, seconds: float) -> Outcome:
    def nothing() -> Window:
        start = time.monotonic()
        time.sleep(seconds)
        return Window(start, time.monotonic(), label="during the run")

    outcome = under_load(hub, "0. baseline", f"the same load, no fault ({seconds:.0f} s)",
                         nothing, lead=0.5, tail=0.5)
    report(outcome)
    _total, shares, kinds = stored_clicks(hub.app)
    print(f"  stored so far: clicks on {shares} links, "
          f"{', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}")
    outcome.targets.append(none_lost(outcome))
    return outcome


def worker_kills(hub: Hub, kills: int, every: float, after: float) -> Outcome:
    def fault() -> Window:
        start = time.monotonic()
        window = Window(start, start)
        for n in range(kills):
            time.sleep(max(0.0, start + n * every - time.monotonic()))
            # Aim for the middle of a batch: between its claim and its acknowledgement (a
            # few milliseconds of the storer's time), watched for up to 3 s.
            aim = time.monotonic() + 3
            while hub.journal.claimed() == 0 and time.monotonic() < aim:
                time.sleep(0.002)
            at = time.monotonic() - start
            hub.workers.kill()
            # What the dead worker had claimed and not acknowledged: the batches the next
            # one must take over (0 when the kill fell between two batches).
            claimed = hub.journal.claimed()
            ready = hub.workers.start()
            window.notes.append(f"SIGKILL at +{at:.1f} s, leaving {claimed} "
                                f"batch{'' if claimed == 1 else 'es'} claimed and not "
                                f"acknowledged; the new worker stored clicks {ready:.1f} s "
                                f"later")
        time.sleep(max(0.0, start + (kills - 1) * every + after - time.monotonic()))
        window.end = time.monotonic()
        return window

    outcome = under_load(
        hub, f"1. worker SIGKILL x{kills}",
        f"advocacy worker SIGKILL {kills} times in {(kills - 1) * every + after:.0f} s "
        f"(restarted each time; claims taken over after {CLAIM_SECONDS} s)",
        fault, lead=3, tail=3)
    report(outcome)
    outcome.targets.append(none_lost(outcome))
    return outcome


def web_worker_kill(hub: Hub, after: float) -> Outcome:
    from advocacy.analytics.clicks import FLUSH_SECONDS

    def fault() -> Window:
        pids = live_worker_pids(hub.web)
        if len(pids) != hub.args.workers:
            raise BenchError(f"expected {hub.args.workers} gunicorn workers, found {pids}")
        victim = pids[0]
        os.kill(victim, signal.SIGKILL)
        start = time.monotonic()
        window = Window(start, start)
        deadline = start + 30
        while True:
            alive = live_worker_pids(hub.web)
            if len(alive) == hub.args.workers and victim not in alive:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"gunicorn did not replace worker {victim} within 30 s")
            time.sleep(0.05)
        window.notes.append(f"SIGKILL of web worker {victim}; gunicorn booted "
                            f"{sorted(set(alive) - set(pids))} {time.monotonic() - start:.1f} "
                            f"s later")
        time.sleep(max(0.0, start + after - time.monotonic()))
        window.end = time.monotonic()
        return window

    outcome = under_load(hub, "2. web worker SIGKILL",
                         "one gunicorn web worker SIGKILL (gunicorn starts another)",
                         fault, lead=5, tail=0)
    # What the killed worker can have held: at most every click the hub answered (it took
    # about one in --workers of them) during one flush interval; the load is steady.
    rate = outcome.rate
    bound = math.ceil(rate * FLUSH_SECONDS)
    report(outcome)
    print(f"  bound: the hub's whole rate x the flush interval = {rate:.0f}/s x "
          f"{FLUSH_SECONDS} s = {bound} clicks (the killed worker took about 1 in "
          f"{hub.args.workers} of them: {bound // hub.args.workers})")
    passed = outcome.left == 0 and 0 <= outcome.lost <= bound
    outcome.targets.append(
        (f"lost at most one flush interval: {outcome.lost} (target 0 to {bound})", passed))
    return outcome


def database_away(hub: Hub, seconds: float) -> Outcome:
    def fault() -> Window:
        start = time.monotonic()
        hub.postgres.stop()
        stopped = time.monotonic() - start
        try:
            time.sleep(max(0.0, start + seconds - time.monotonic()))
        finally:
            back = time.monotonic()
            hub.postgres.start()
        window = Window(start, time.monotonic())
        window.notes.append(f"PostgreSQL stopped (fast shutdown, {stopped:.1f} s), started "
                            f"again after {back - start:.1f} s, answering "
                            f"{window.end - back:.1f} s later")
        return window

    outcome = under_load(hub, "3. database away", f"PostgreSQL away for {seconds:.0f} s",
                         fault, lead=3, tail=5)
    report(outcome)
    outcome.targets.append(none_lost(outcome))
    return outcome


@contextmanager
def hung(pid: int) -> Iterator[None]:
    """The process group ``pid`` stopped (SIGSTOP) inside the block, continued after it."""
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def bucket_hung(hub: Hub, seconds: float, tail: float) -> Outcome:
    uploader = Uploader(hub.web.base_url, hub.token, hub.photo)

    def fault() -> Window:
        start = time.monotonic()
        with hung(hub.s3.pid):
            time.sleep(seconds)
        window = Window(start, time.monotonic())
        window.notes.append(f"SeaweedFS (pid {hub.s3.pid}) stopped with SIGSTOP for "
                            f"{window.seconds:.1f} s, then SIGCONT; {uploader.threads} "
                            f"threads upload a {len(hub.photo) // 1024} KiB photo each, "
                            f"{uploader.pause:.0f} s apart, from 3 s before")
        return window

    uploader.start()
    try:
        outcome = under_load(hub, "4. bucket hung", f"the bucket hung for {seconds:.0f} s "
                             f"(SIGSTOP) while photos are uploaded", fault, lead=3, tail=tail)
    except BaseException:
        uploader.stop(wait=False)
        raise
    uploader.stop()
    outcome.uploads = list(uploader.uploads)
    report(outcome)
    window = outcome.window
    # An upload under way when the bucket came back may well be stored: "during" is about
    # uploads answered while it hung, "across" about those it was still waiting for then.
    phases = {
        "before": [u for u in outcome.uploads if u.started + u.seconds < window.start],
        "during": [u for u in outcome.uploads
                   if u.started + u.seconds >= window.start and u.started + u.seconds < window.end],
        "across": [u for u in outcome.uploads
                   if u.started < window.end <= u.started + u.seconds],
        "after": [u for u in outcome.uploads if u.started >= window.end],
    }
    print("  uploads (POST /api/v1/stories with a photo), by when they were answered: before "
          "the hang, during it, after SIGCONT but begun during it (across), begun after:")
    for phase, uploads in phases.items():
        if not uploads:
            print(f"    {phase:6s} none")
            continue
        answers = Counter(f"{u.status or 'no answer'}{' ' + u.code if u.code else ''}"
                          for u in uploads)
        times = [u.seconds for u in uploads]
        slow = sum(1 for t in times if t > 1)
        print(f"    {phase:6s} {', '.join(f'{k} x{n}' for k, n in sorted(answers.items()))};"
              f"  p50 {ms(percentile(times, 0.5))}  max {ms(max(times))}"
              f"{f'  ({slow} over 1 s)' if slow else ''}")
    recovered = [u for u in phases["after"] if u.status == 201]
    if recovered:
        print(f"    the first upload stored after SIGCONT started "
              f"{recovered[0].started - window.end:.1f} s after it")
    during = phases["during"]
    hung_for = during + phases["across"]
    outcome.targets.append(none_lost(outcome))
    outcome.targets.append((f"/l/<code> p99 while the bucket hangs: {ms(outcome.clicks.p99)} "
                            f"(target < {LATENCY_TARGET_MS:.0f} ms)",
                            outcome.clicks.count > 0
                            and outcome.clicks.p99 * 1000 < LATENCY_TARGET_MS
                            and set(outcome.clicks.statuses) == {302}))
    outcome.targets.append((f"/healthz p99 while the bucket hangs: {ms(outcome.health.p99)} "
                            f"(target < {LATENCY_TARGET_MS:.0f} ms)",
                            outcome.health.count > 0
                            and outcome.health.p99 * 1000 < LATENCY_TARGET_MS
                            and set(outcome.health.statuses) == {200}))
    refused = [u for u in during if u.status == 503 and u.code == "storage_unavailable"]
    slowest = max((u.seconds for u in hung_for), default=0.0)
    outcome.targets.append((f"uploads answered while the bucket hangs: 503 storage_unavailable "
                            f"{len(refused)} of {len(during)}", bool(during)
                            and len(refused) == len(during)))
    outcome.targets.append((f"slowest upload while the bucket hangs: {ms(slowest)} "
                            f"(target <= {UPLOAD_LIMIT:.0f} s, a third of gunicorn's timeout)",
                            bool(hung_for) and slowest <= UPLOAD_LIMIT))
    return outcome


# -- the run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    baseline: float
    kills: int
    kill_every: float
    after_last_kill: float
    after_web_kill: float
    database_away: float
    bucket_hung: float
    after_bucket: float


FULL = Plan(baseline=20, kills=3, kill_every=18, after_last_kill=4, after_web_kill=10,
            database_away=60, bucket_hung=30, after_bucket=12)
# Even the quick run hangs the bucket for longer than one storage call may take (about 12 s
# with the hub's defaults), or no upload could give up during the hang.
QUICK = Plan(baseline=6, kills=3, kill_every=5, after_last_kill=3, after_web_kill=6,
             database_away=12, bucket_hung=20, after_bucket=12)


def start_services(stack: ExitStack) -> tuple[Any, Any, Any]:
    from tests.services import ServiceUnavailable, postgres, redis_server, seaweedfs

    try:
        pg = stack.enter_context(postgres())
        s3 = stack.enter_context(seaweedfs(bucket="advocacy-bench"))
        redis = stack.enter_context(redis_server())
    except ServiceUnavailable as exc:
        raise BenchError(str(exc)) from exc
    except RuntimeError as exc:
        raise BenchError(f"a service did not start: {exc}") from exc
    if not getattr(s3, "pid", 0):
        raise BenchError("tests/services.py does not say which process serves the bucket")
    return pg, s3, redis


def measure(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    try:
        return faults(args, tmp, stack)
    except BenchError:
        raise
    except Exception as exc:  # a surprise (a service that did not come back): no figures
        traceback.print_exc()
        raise BenchError(f"{type(exc).__name__}: {exc}") from exc


def faults(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    plan = QUICK if args.quick else FULL
    began = time.monotonic()
    pg, s3, redis = start_services(stack)
    print(f"services: PostgreSQL {pg.url.rsplit('@', 1)[1]}, Redis {redis.url}, SeaweedFS S3 "
          f"{s3.endpoint_url} (weed pid {s3.pid}), started in {time.monotonic() - began:.1f} s")
    env, app = prepare_hub(
        tmp, DATABASE_URL=pg.create_database("advocacy_bench"), STORAGE="s3",
        S3_ENDPOINT_URL=s3.endpoint_url, S3_BUCKET=s3.bucket, S3_REGION=s3.region,
        S3_ACCESS_KEY_ID=s3.access_key, S3_SECRET_ACCESS_KEY=s3.secret_key,
        RATELIMIT_STORAGE_URL=redis.url, QUEUE_URL=redis.url,
        CLICK_CLAIM_SECONDS=str(CLAIM_SECONDS))
    links, seconds = seed(app)
    chosen = links[::len(links) // args.links][:args.links]
    print(f"seeded 1 approved story and {len(links)} shares in {seconds:.1f} s; the load "
          f"follows {len(chosen)} of the tracked links")

    from advocacy.analytics.journal import RedisJournal, journal_for

    journal = journal_for(app)
    if not isinstance(journal, RedisJournal):
        raise BenchError(f"the click journal is {type(journal).__name__}, not the Redis stream")
    stack.callback(journal.close)
    web_args = argparse.Namespace(workers=args.workers, worker_class=args.worker_class,
                                  threads=args.threads)
    web = stack.enter_context(gunicorn("hub", "wsgi:app", ROOT, env, tmp, web_args))
    workers = Workers(stack, env, tmp)
    workers.start()
    wait_ready(web, "/login", args.workers)
    hub = Hub(app=app, web=web, workers=workers, journal=journal,
              paths=[f"/l/{code}" for _id, code in chosen], args=args, postgres=pg, s3=s3)

    check_redirect(web.base_url, *chosen[0])
    hub.token = api_token(web.base_url)
    hub.photo = sample_photo()
    sanity = Uploader(web.base_url, hub.token, hub.photo).once()
    if sanity.status != 201:
        raise BenchError(f"an upload with the bucket up answered {sanity.status} "
                         f"{sanity.code}: the upload path does not work to begin with")
    print(f"verified: /l/<code> answers 302 to the story's page; an upload (story with a "
          f"{len(hub.photo) // 1024} KiB photo) answers 201 in {ms(sanity.seconds)}")
    # Every link's first visit in each web worker reads the database: do them before timing
    # (and before the database goes away), and count only clicks made from here on.
    warm = Load(web.base_url, hub.paths, args.rate, args.load_threads, click_headers).start()
    time.sleep(3)
    hub.settle(warm.stop())

    mode = (f"gthread, {args.threads} threads" if args.worker_class == "gthread"
            else args.worker_class)
    print(f"hub: gunicorn -w {args.workers} ({mode}, worker timeout {GUNICORN_TIMEOUT:.0f} s), "
          f"1 advocacy worker, ADVOCACY_CLICK_CLAIM_SECONDS={CLAIM_SECONDS}, "
          f"ADVOCACY_S3_TIMEOUT={app.config.get('S3_TIMEOUT', '(not a setting yet)')}, "
          f"{os.cpu_count()} CPUs")
    print(f"load: GET /l/<code> at {args.rate:g}/s ({args.load_threads} threads, {AGENTS} "
          f"User-Agents), GET /healthz at {args.probe_rate:g}/s; an open loop: latency from "
          f"when each request fell due; {'--quick' if args.quick else 'full'} plan")

    outcomes = [
        baseline(hub, plan.baseline),
        worker_kills(hub, plan.kills, plan.kill_every, plan.after_last_kill),
        web_worker_kill(hub, plan.after_web_kill),
        database_away(hub, plan.database_away),
        bucket_hung(hub, plan.bucket_hung, plan.after_bucket),
    ]

    base = outcomes[0]
    print(f"\nbaseline: /l/<code> {base.rate:.0f} answers/s (offered {args.rate:g}/s), p50 "
          f"{ms(base.clicks.p50)}, p99 {ms(base.clicks.p99)}; /healthz p50 "
          f"{ms(base.health.p50)}, p99 {ms(base.health.p99)}")
    print("targets:")
    passed = True
    for outcome in outcomes:
        for label, ok in outcome.targets:
            passed = passed and ok
            print(f"  {outcome.name:22s} {label}: {verdict(ok)}")
    print(f"total {time.monotonic() - began:.0f} s")
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true",
                        help="shorter baseline, kills and outages: a smoke run (~2 minutes)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory with the gunicorn and worker logs")
    parser.add_argument("--rate", type=float, default=200,
                        help="GET /l/<code> per second, steady (200)")
    parser.add_argument("--probe-rate", type=float, default=5,
                        help="GET /healthz per second (5)")
    parser.add_argument("--load-threads", type=int, default=16,
                        help="client threads sending the clicks (16)")
    parser.add_argument("--links", type=int, default=20, help="tracked links loaded (20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    # sync is what the README's production command runs; gthread shows whether threads keep
    # the redirect answering while a storage call hangs.
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync",
                        help="gunicorn worker class (sync)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker with --worker-class gthread (4)")
    return run("faults", measure, parser.parse_args(argv), tools=())


if __name__ == "__main__":
    raise SystemExit(main())
