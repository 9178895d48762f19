"""Signals between features. Each names its sender and keyword arguments.

Features react to each other here instead of importing each other's views.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

story_created = _signals.signal("story-created")
"""Sender: the :class:`~advocacy.stories.models.Story`; kwargs: ``actor`` (User)."""

story_updated = _signals.signal("story-updated")
"""Sender: the Story; kwargs: ``actor``, ``changes`` (set of field names)."""

story_status_changed = _signals.signal("story-status-changed")
"""Sender: the Story; kwargs: ``actor``, ``action`` (StoryAction), ``previous`` (StoryStatus)."""

media_added = _signals.signal("media-added")
"""Sender: the :class:`~advocacy.media.models.MediaAsset`; kwargs: ``actor``."""

token_issued = _signals.signal("token-issued")
"""Sender: the :class:`~advocacy.accounts.models.ApiToken`; kwargs: ``actor``."""
