"""Forms of the ambassador page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from advocacy.stories.forms import CheckboxList


class OptInForm(FlaskForm):
    topics = CheckboxList(_l("Topics you want to see"), choices=[])


class PreferencesForm(FlaskForm):
    topics = CheckboxList(_l("Topics you want to see"), choices=[])
    mastodon_instance = StringField(_l("Your Mastodon server (optional)"),
                                    description=_l("Such as mastodon.social: share links open "
                                                   "there."))
    named_in_reports = BooleanField(_l("Colleagues may see my name and figures in reports"))


class OptOutForm(FlaskForm):
    """Only the CSRF token: opting out is one click."""
