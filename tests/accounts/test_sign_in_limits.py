"""Sign-in limits hold across web processes: the counters live where every process sees them
(the database on the embedded default, Redis on the services), and an unreachable store
neither locks anyone out nor lifts the limits."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from advocacy.accounts.models import User
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WRONG = "not the password at all"


def _attempt(app: Flask, user: User, password: str = WRONG, *, api: bool = False) -> int:
    """One sign-in attempt from 127.0.0.1 (the form, or the token API: one budget)."""
    client = app.test_client()
    if api:
        return client.post("/api/v1/tokens",
                           json={"email": user.email, "password": password}).status_code
    return client.post("/login", data={"email": user.email, "password": password}).status_code


def test_the_eleventh_wrong_password_across_two_processes_is_refused(
    process_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    user = make_user()
    first = process_app()
    statuses = [_attempt(first, user) for _ in range(5)]
    # The second process starts only now: had the counts been kept in memory, it would
    # begin from zero (and the first would see the second's fresh store).
    second = process_app()
    statuses += [_attempt(second, user, api=True) for _ in range(5)]
    assert statuses == [401] * 10

    assert _attempt(first, user) == 429
    assert _attempt(second, user, api=True) == 429
    assert _attempt(second, user, PASSWORD) == 429  # even the right password waits
    assert _attempt(first, make_user(), PASSWORD) == 302  # other accounts sign in as usual


def test_the_address_limit_counts_across_processes_too(
    process_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    first = process_app(LOGIN_ADDRESS_RATE_LIMIT="4 per minute")
    assert [_attempt(first, make_user()) for _ in range(2)] == [401, 401]
    second = process_app(LOGIN_ADDRESS_RATE_LIMIT="4 per minute")
    assert [_attempt(second, make_user()) for _ in range(2)] == [401, 401]
    assert _attempt(first, make_user(), PASSWORD) == 429


@contextlib.contextmanager
def _hung_server() -> Iterator[str]:
    """A port that accepts connections and never answers, like a Redis that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.mark.timeout(60)
def test_sign_in_goes_on_while_the_limit_store_hangs_and_limits_still_hold(
    process_app: Callable[..., Flask], make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    someone, attacked = make_user(), make_user()
    with _hung_server() as url:
        hub = process_app(RATELIMIT_STORAGE_URL=url)
        assert _attempt(hub, someone, PASSWORD) == 302  # nobody is locked out
        # Meanwhile this process counts on its own: the limit does not fall away.
        statuses = [_attempt(hub, attacked) for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    assert "Rate limit storage unreachable" in caplog.text


# -- a real server with two worker processes --------------------------------------------


def _post_json(url: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], tmp: Path) -> Iterator[tuple[str, Path]]:
    """``gunicorn -w 2 wsgi:app`` on a free port of 127.0.0.1 (as bench/_harness.py starts
    it); yields its address and its access log, which names the worker of each request."""
    log, access = tmp / "gunicorn.log", tmp / "access.log"
    command = [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT),
               "-b", "127.0.0.1:0", "-w", "2", "--no-control-socket", "--error-logfile",
               str(log), "--access-logfile", str(access), "--access-logformat", "%(p)s %(s)s",
               "wsgi:app"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,  # noqa: S603
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = log.read_text() if log.exists() else ""
            port = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if port and text.count("Booting worker") >= 2:
                base = f"http://127.0.0.1:{port.group(1)}"
                with contextlib.suppress(OSError):
                    if urllib.request.urlopen(base + "/healthz", timeout=5).status == 200:  # noqa: S310
                        yield base, access
                        return
            assert process.poll() is None, text[-3000:]
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start:\n" + log.read_text()[-3000:])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_limit_holds_across_gunicorn_workers(
    app: Flask, backend_config: dict[str, Any], make_user: Callable[..., User], tmp_path: Path
) -> None:
    """The measurement of issue 10 (20 wrong passwords before the first 429 with -w 2), as a
    test: on the session's own database and limit store, two workers answer in turn."""
    user = make_user()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOCACY_")}
    env.update({f"ADVOCACY_{k}": str(v) for k, v in backend_config.items()})
    env.update(ADVOCACY_SECRET_KEY="test-secret", ADVOCACY_LOGIN_RATE_LIMIT="10 per minute",
               ADVOCACY_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    wrong = {"email": user.email, "password": WRONG}
    with _gunicorn(env, tmp_path) as (base, access):
        url = base + "/api/v1/tokens"
        # Two at a time, so that both workers take requests (each one is busy hashing).
        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = list(pool.map(lambda _: _post_json(url, wrong), range(10)))
        later = [_post_json(url, wrong) for _ in range(4)]
    assert statuses == [401] * 10
    assert later == [429] * 4
    workers = {line.split()[0] for line in access.read_text().splitlines()
               if line.split()[1] in {"401", "429"}}
    assert len(workers) == 2, "both workers answered sign-in attempts"
