"""Background work of the curator's desk."""

from __future__ import annotations

import logging

from huey import crontab

from advocacy.curation.operations import archive_expired
from advocacy.queue import periodic

log = logging.getLogger(__name__)


@periodic(crontab(minute="*/10"))
def archive_expired_stories() -> int:
    """Move approved stories past their expiry to Archived (pages hide them already)."""
    count = archive_expired()
    if count:
        log.info("archived %d expired stories", count)
    return count
