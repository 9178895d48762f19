"""Background work of analytics: keeping the daily salts (clicks: see ``storing.py``)."""

from __future__ import annotations

from typing import Any

from huey import crontab

from advocacy.analytics.clicks import prepare_salts
from advocacy.queue import periodic, task


@task(retries=10, retry_delay=30)
def record_clicks(notes: list[dict[str, Any]]) -> int:
    """Batches of clicks queued by a release before the click journal: stored the same way."""
    from advocacy.analytics.storing import store_notes

    return store_notes(notes)


@periodic(crontab(minute="5"))
def rotate_salts() -> None:
    """Hourly: today's and tomorrow's salts exist; older ones are gone."""
    prepare_salts()
