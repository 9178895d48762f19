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

credentials_revoked = _signals.signal("credentials-revoked")
"""Sender: the :class:`~advocacy.accounts.models.User` whose sessions and API tokens all ended
at once; kwargs: ``actor`` (the account itself, or the admin who deactivated it),
``reason`` (:class:`~advocacy.accounts.models.RevocationReason`), ``tokens`` (the
ApiTokens revoked now; those revoked or expired before are not included)."""

story_submitted = _signals.signal("story-submitted")
"""Sender: the Story; kwargs: ``actor``, ``revision`` (the new StoryRevision)."""

story_decided = _signals.signal("story-decided")
"""Sender: the :class:`~advocacy.curation.models.Decision`; kwargs: ``actor`` (the curator)."""

story_edited_by_curator = _signals.signal("story-edited-by-curator")
"""Sender: the curator's :class:`~advocacy.stories.models.StoryRevision`; kwargs: ``actor``,
``story``, ``changes`` (set of field names)."""

comment_added = _signals.signal("comment-added")
"""Sender: the :class:`~advocacy.curation.models.Comment`; kwargs: ``actor``."""

guidelines_replaced = _signals.signal("guidelines-replaced")
"""Sender: the new :class:`~advocacy.rulebook.models.GuidelineSet`; kwargs: ``actor``
(User or None from the command line), ``via`` ("admin", "cli" or "demo"), ``previous``
(the rule dicts of the set it replaced)."""

setting_changed = _signals.signal("setting-changed")
"""Sender: the setting's name; kwargs: ``actor``, ``value``, ``previous``."""

story_retracted = _signals.signal("story-retracted")
"""Sender: the Story a curator took back after approval; kwargs: ``actor``, ``reason``."""

ambassador_opted_in = _signals.signal("ambassador-opted-in")
"""Sender: the :class:`~advocacy.ambassadors.models.Ambassador`; kwargs: ``actor``."""

ambassador_opted_out = _signals.signal("ambassador-opted-out")
"""Sender: the User who stopped being an ambassador; kwargs: ``actor``. Receivers remove
what they hold about that person as an ambassador (connected accounts) or anonymise it."""

share_created = _signals.signal("share-created")
"""Sender: the :class:`~advocacy.sharing.models.Share`; kwargs: ``actor``."""
