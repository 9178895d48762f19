"""Forms of the curator's desk and of a story's thread."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from advocacy.curation.models import VERDICT_LABELS
from advocacy.stories.forms import CheckboxList

NETWORK_NAMES = {"linkedin": "LinkedIn", "x": "X", "mastodon": "Mastodon",
                 "bluesky": "Bluesky", "facebook": "Facebook"}


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice(verdict.value, label) for verdict, label in VERDICT_LABELS.items()])
    comment = TextAreaField(_l("Comment for the author"))
    topics = CheckboxList(_l("Topics"), choices=[])
    embargo_until = DateTimeLocalField(_l("Not visible before (optional)"),
                                       format="%Y-%m-%dT%H:%M")
    expires_at = DateTimeLocalField(_l("Archive after (optional)"), format="%Y-%m-%dT%H:%M")
    caption_linkedin = TextAreaField(_l("Suggested caption for LinkedIn"))
    caption_x = TextAreaField(_l("Suggested caption for X"))
    caption_mastodon = TextAreaField(_l("Suggested caption for Mastodon"))
    caption_bluesky = TextAreaField(_l("Suggested caption for Bluesky"))
    caption_facebook = TextAreaField(_l("Suggested caption for Facebook"))
    version = IntegerField(widget=HiddenField.widget)

    def captions(self) -> dict[str, str]:
        return {network: getattr(self, f"caption_{network}").data or ""
                for network in NETWORK_NAMES}


class EditForm(FlaskForm):
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Text"))
    version = IntegerField(widget=HiddenField.widget)


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Message"))

