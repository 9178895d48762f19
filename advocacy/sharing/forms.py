"""The share composer and "I posted it"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from advocacy.channels import NETWORK_LABELS


class ComposerForm(FlaskForm):
    network = RadioField(_l("Where"), choices=[
        SelectChoice(network.value, label) for network, label in NETWORK_LABELS.items()])
    text = TextAreaField(_l("Your words"))
    mastodon_instance = StringField(_l("Your Mastodon server"),
                                    description=_l("Such as mastodon.social"))

    def pre_validate(self, form: object) -> None:  # the operation names unknown networks
        return None


class PostedForm(FlaskForm):
    post_url = StringField(_l("Address of your post (optional)"),
                           description=_l("If the story is ever taken back, we can point you "
                                          "straight to it."))
