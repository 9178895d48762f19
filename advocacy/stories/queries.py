"""Read models for story lists: plain rows instead of full objects where a page lists many."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.media.models import MediaAsset
from advocacy.paging import MAX_PER_PAGE, Page
from advocacy.stories.models import Story, Topic, story_topics
from advocacy.stories.states import StoryStatus


@dataclass
class StoryRow:
    """One line of *My stories*: what the list shows, nothing more."""

    id: int
    title: str
    status: StoryStatus
    topic_names: list[str] = field(default_factory=list)
    thumb_id: int | None = None


def story_rows(author: User, page: int, per_page: int) -> Page[StoryRow]:
    """``author``'s stories, most recently changed first, in four queries whatever the size."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    mine = Story.author_id == author.id
    total = db.session.scalar(select(func.count(Story.id)).where(mine)) or 0
    rows = {
        row.id: StoryRow(row.id, row.title, StoryStatus(row.status))
        for row in db.session.execute(
            select(Story.id, Story.title, Story.status)
            .where(mine)
            .order_by(Story.updated_at.desc(), Story.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    }
    if rows:
        for story_id, name in db.session.execute(
            select(story_topics.c.story_id, Topic.name)
            .join(Topic, Topic.id == story_topics.c.topic_id)
            .where(story_topics.c.story_id.in_(rows))
            .order_by(Topic.name)
        ):
            rows[story_id].topic_names.append(name)
        for story_id, asset_id in db.session.execute(
            select(MediaAsset.story_id, MediaAsset.id)
            .where(MediaAsset.story_id.in_(rows))
            .order_by(MediaAsset.position.desc())
        ):
            rows[story_id].thumb_id = asset_id  # the last one written is the first by position
    return Page(items=list(rows.values()), page=page, per_page=per_page, total=total)
