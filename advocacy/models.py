"""Every model, imported in one place for Alembic and the test suite."""

from advocacy.accounts.models import ApiToken, Department, User
from advocacy.audit.models import AuditEvent
from advocacy.curation.models import Comment, Decision, ReviewPresence
from advocacy.media.models import MediaAsset
from advocacy.notifications.models import Notification
from advocacy.rulebook.models import GuidelineSet
from advocacy.settings.models import HubSetting
from advocacy.stories.models import Story, StoryRevision, Topic

__all__ = ["ApiToken", "AuditEvent", "Comment", "Decision", "Department", "GuidelineSet",
           "HubSetting", "MediaAsset", "Notification", "ReviewPresence", "Story",
           "StoryRevision", "Topic", "User"]
