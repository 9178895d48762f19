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
from wtforms.validators import Optional

from advocacy.channels import NETWORK_LABELS, Network
from advocacy.curation.models import VERDICT_LABELS
from advocacy.stories.forms import CheckboxList

#: What datetime-local inputs send (with or without seconds).
TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
#: The networks the desk suggests captions for (WhatsApp and e-mail need none).
NETWORK_NAMES = {network.value: NETWORK_LABELS[network] for network in (
    Network.LINKEDIN, Network.X, Network.MASTODON, Network.BLUESKY, Network.FACEBOOK)}


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice(verdict.value, label) for verdict, label in VERDICT_LABELS.items()])
    comment = TextAreaField(_l("Comment for the author"))
    topics = CheckboxList(_l("Topics"), choices=[])
    embargo_until = DateTimeLocalField(_l("Not visible before (optional)"),
                                       format=TIME_FORMATS, validators=[Optional()])
    expires_at = DateTimeLocalField(_l("Archive after (optional)"), format=TIME_FORMATS,
                                    validators=[Optional()])
    caption_linkedin = TextAreaField(_l("Suggested caption for LinkedIn"))
    caption_x = TextAreaField(_l("Suggested caption for X"))
    caption_mastodon = TextAreaField(_l("Suggested caption for Mastodon"))
    caption_bluesky = TextAreaField(_l("Suggested caption for Bluesky"))
    caption_facebook = TextAreaField(_l("Suggested caption for Facebook"))
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

    def captions(self) -> dict[str, str]:
        return {network: getattr(self, f"caption_{network}").data or ""
                for network in NETWORK_NAMES}


class EditForm(FlaskForm):
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Text"))
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Message"))



class RetractForm(FlaskForm):
    reason = TextAreaField(_l("Why it is retracted"),
                           description=_l("The author and every ambassador who shared the story "
                                          "read this."))
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
