"""Every model, imported in one place for Alembic and the test suite."""

from advocacy.accounts.models import ApiToken, Department, User
from advocacy.media.models import MediaAsset
from advocacy.stories.models import Story, StoryRevision, Topic

__all__ = ["ApiToken", "Department", "MediaAsset", "Story", "StoryRevision", "Topic", "User"]
