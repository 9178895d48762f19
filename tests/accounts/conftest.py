"""Fixtures of the accounts tests: apps built as other web processes would build them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from advocacy.extensions import limiter
from tests.conftest import make_app


@pytest.fixture()
def process_app(app: Flask, backend_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """``process_app(**settings)``: a fresh app on the session's database, holding what a
    separate web process holds in memory. CSRF is off, sign-in limits are as in production
    (10 per minute per account) unless ``settings`` say otherwise.

    Flask-Limiter keeps one storage per process, set by the app built last; afterwards the
    session app's is put back, and the limiter is told its store is answering again.
    """

    def build(**settings: Any) -> Flask:
        return make_app(backend_config, WTF_CSRF_ENABLED=False,
                        LOGIN_RATE_LIMIT="10 per minute", **settings)

    yield build
    limiter.init_app(app)
    limiter._storage_dead = False  # set while a test's store was unreachable
