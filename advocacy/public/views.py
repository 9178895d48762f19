"""``/s/<id-or-slug>``: an approved story for anyone, with its OpenGraph card; 410 once gone."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import CreditChoice
from advocacy.ambassadors import operations as ambassadors
from advocacy.errors import NotFound
from advocacy.media.models import MediaStatus
from advocacy.security import public
from advocacy.sharing import operations as sharing
from advocacy.stories.models import Story
from advocacy.text import parse_id

blueprint = Blueprint("public", __name__)
#: The description in link previews: enough to tempt, short enough for every network's card.
DESCRIPTION_LENGTH = 200


def _story(ref: str) -> Story:
    story_id = parse_id(ref)
    story = (db.session.get(Story, story_id) if story_id is not None
             else db.session.scalar(select(Story).where(Story.slug == ref[:120])))
    if story is None or story.approved_at is None:
        raise NotFound()
    return story


def description(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    return text[:DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0] + "…"


@blueprint.route("/s/<ref>")
@public
def story(ref: str) -> tuple[str, int, dict[str, str]]:
    found = _story(ref)
    if found.was_public:
        return render_template("public/gone.html", story=found), 410, {}
    if not found.is_public:  # approved, but under embargo: it does not exist yet
        raise NotFound()
    credit = found.author.name if found.author.credit_as == CreditChoice.NAME else None
    # A playable video leads the page and its link previews; the share card is a photo's, or
    # else the first video's poster (the photo pipeline made its "card" rendition).
    videos = [m for m in found.media
              if m.is_video and m.status == MediaStatus.READY and m.rendition("video")]
    card = next((m for m in found.media if not m.is_video and m.rendition("card")),
                next((m for m in videos if m.rendition("card")), None))
    can_share = bool(current_user.is_authenticated
                     and ambassadors.ambassador_of(current_user) is not None)
    return render_template(
        "public/story.html", story=found, credit=credit, card=card, videos=videos,
        canonical=sharing.public_story_url(found), description=description(found.body),
        base=sharing.public_base(), can_share=can_share), 200, _caching()


def _caching() -> dict[str, str]:
    if current_user.is_authenticated:  # the page then carries a "Share" button for this person
        return {"Cache-Control": "private, no-store"}
    # Link previews and visitors may cache it briefly; a retraction shows within a minute.
    return {"Cache-Control": "public, max-age=60", "Vary": "Cookie"}
