"""Every model, imported in one place for Alembic and the test suite."""

from advocacy.accounts.models import ApiToken, Department, User
from advocacy.ambassadors.models import Ambassador
from advocacy.analytics.models import Click, VisitorSalt
from advocacy.audit.models import AuditEvent
from advocacy.curation.models import Comment, Decision, ReviewPresence
from advocacy.media.models import MediaAsset
from advocacy.notifications.models import Notification
from advocacy.rulebook.models import GuidelineSet
from advocacy.settings.models import HubSetting
from advocacy.sharing.models import Share
from advocacy.stories.models import Story, StoryRevision, Topic

__all__ = ["Ambassador", "ApiToken", "AuditEvent", "Click", "Comment", "Decision", "Department",
           "GuidelineSet", "HubSetting", "MediaAsset", "Notification", "ReviewPresence", "Share",
           "Story", "StoryRevision", "Topic", "User", "VisitorSalt"]
