"""Background work of media: sweeping away files that no photo refers to."""

from __future__ import annotations

import logging

from huey import crontab

from advocacy.media.operations import sweep_orphans
from advocacy.queue import periodic

log = logging.getLogger(__name__)


@periodic(crontab(minute="47"))
def sweep_orphan_files() -> int:
    """Hourly: remove files left behind by failed requests (see ``sweep_orphans``)."""
    report = sweep_orphans()
    if report.removed or report.missing:
        log.info("orphan sweep: %d file(s) removed, %d photo(s) missing their files",
                 len(report.removed), len(report.missing))
    return len(report.removed)
