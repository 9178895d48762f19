"""The task queue: huey on SQLite (embedded) or on Redis (scaled out), one setting apart.

Features declare background work in their ``tasks.py`` with :func:`task` or
:func:`periodic`; the functions stay plain (callable directly, e.g. in tests) and are
bound to the app's queue when the app is built. A task runs inside an app context and
commits once when it succeeds, like a request. ``advocacy worker`` runs the consumer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey

from advocacy import database as db

EXTENSION_KEY = "advocacy.queue"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declared:
    function: Callable[..., Any]
    schedule: Callable[..., bool] | None  # a huey crontab for periodic work
    retries: int = 0
    retry_delay: int = 0

    @property
    def name(self) -> str:
        return task_name(self.function)


def task_name(function: Callable[..., Any]) -> str:
    """The name a declared function is queued under."""
    return f"{function.__module__}.{function.__qualname__}"


_DECLARED: dict[str, Declared] = {}


def task(*, retries: int = 0, retry_delay: int = 0) -> Callable[[F], F]:
    """Declare background work that :func:`enqueue` hands to a worker."""

    def declare(function: F) -> F:
        declared = Declared(function, None, retries, retry_delay)
        _DECLARED[declared.name] = declared
        return function

    return declare


def periodic(schedule: Callable[..., bool]) -> Callable[[F], F]:
    """Declare work a worker runs on ``schedule`` (``huey.crontab(...)``)."""

    def declare(function: F) -> F:
        declared = Declared(function, schedule)
        _DECLARED[declared.name] = declared
        return function

    return declare


@dataclass
class Queue:
    huey: Huey
    tasks: dict[str, Any] = field(default_factory=dict)


def queue_location(app: Flask) -> str | Path:
    """``ADVOCACY_QUEUE_URL``: a ``redis://`` URL, or the SQLite file (unset: in the instance
    folder; ``sqlite:///path``)."""
    url = app.config.get("QUEUE_URL") or ""
    if url.startswith("redis://") or url.startswith("rediss://"):
        return str(url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    elif not url:
        path = Path(app.instance_path) / "queue.sqlite3"
    else:
        raise SystemExit(f"ADVOCACY_QUEUE_URL: use redis://… or sqlite:///…, not {url!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def make_huey(app: Flask) -> Huey:
    """huey on the queue's storage; every call to Redis gives up within seconds."""
    location = queue_location(app)
    if isinstance(location, str):
        # read_timeout is how long a worker blocks waiting for work; the socket timeout must
        # exceed it, and bounds how long an enqueue may hang on a Redis that stopped answering.
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(location, socket_timeout=5, socket_connect_timeout=2)
        return RedisHuey("advocacy", connection_pool=pool, read_timeout=1)
    return SqliteHuey("advocacy", filename=str(location), timeout=5)


def _in_app_context(app: Flask, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            try:
                result = function(*args, **kwargs)
                db.commit()
            except BaseException:
                db.rollback()
                raise
            return result

    return run


def init_app(app: Flask) -> None:
    """Bind every declared task to this app's queue."""
    import advocacy.tasks  # noqa: F401  (every feature's tasks register on import)

    queue = Queue(make_huey(app))
    for name, declared in sorted(_DECLARED.items()):
        wrapped = _in_app_context(app, declared.function)
        if declared.schedule is not None:
            queue.tasks[name] = queue.huey.periodic_task(declared.schedule, name=name)(wrapped)
        else:
            queue.tasks[name] = queue.huey.task(retries=declared.retries,
                                                retry_delay=declared.retry_delay,
                                                name=name)(wrapped)
    app.extensions[EXTENSION_KEY] = queue


def queue_of(app: Flask | None = None) -> Queue:
    queue: Queue = (app or current_app).extensions[EXTENSION_KEY]
    return queue


def enqueue(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Hand ``function(*args, **kwargs)`` (declared with :func:`task`) to a worker."""
    return queue_of().tasks[task_name(function)](*args, **kwargs)
