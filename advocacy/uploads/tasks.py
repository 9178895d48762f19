"""Background work of uploads: removing the uploads nobody finished."""

from __future__ import annotations

import logging

from huey import crontab

from advocacy.queue import periodic
from advocacy.uploads.operations import remove_expired_uploads

log = logging.getLogger(__name__)


@periodic(crontab(minute="23"))
def expire_uploads() -> int:
    """Hourly: unfinished uploads past their expiry lose their bytes, their multipart upload
    in the bucket and their "uploading" item; multipart uploads no row knows are aborted."""
    report = remove_expired_uploads()
    if report.expired or report.orphans:
        log.info("upload expiry: %d upload(s) expired, %d stray multipart upload(s) aborted",
                 len(report.expired), len(report.orphans))
    return len(report.expired) + len(report.orphans)
