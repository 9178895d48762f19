"""Every feature's background work, imported in one place so that workers know it all."""

from advocacy.curation import tasks as curation_tasks

__all__ = ["curation_tasks"]
