"""Background work of analytics: storing clicks and keeping the daily salts."""

from __future__ import annotations

from typing import Any

from huey import crontab
from sqlalchemy import insert

from advocacy import database as db
from advocacy.analytics.clicks import click_rows, prepare_salts
from advocacy.analytics.models import Click
from advocacy.queue import periodic, task


@task(retries=3, retry_delay=5)
def record_clicks(notes: list[dict[str, Any]]) -> int:
    """Store a batch of clicks noted by the redirects; answers how many were stored."""
    rows = click_rows(notes)
    if rows:
        db.session.execute(insert(Click), rows)
    return len(rows)


@periodic(crontab(minute="5"))
def rotate_salts() -> None:
    """Hourly: today's and tomorrow's salts exist; older ones are gone."""
    prepare_salts()
