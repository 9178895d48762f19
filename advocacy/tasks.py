"""Every feature's background work, imported in one place so that workers know it all."""

from advocacy.analytics import tasks as analytics_tasks
from advocacy.curation import tasks as curation_tasks
from advocacy.media import tasks as media_tasks
from advocacy.uploads import tasks as upload_tasks

__all__ = ["analytics_tasks", "curation_tasks", "media_tasks", "upload_tasks"]
