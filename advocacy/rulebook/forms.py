"""Forms of the brand-guidelines pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from advocacy.stories.forms import CheckboxList

NETWORK_CHOICES = [SelectChoice("", _l("a story (no network)")),
                   SelectChoice("linkedin", "LinkedIn"), SelectChoice("x", "X"),
                   SelectChoice("mastodon", "Mastodon"), SelectChoice("bluesky", "Bluesky"),
                   SelectChoice("facebook", "Facebook"), SelectChoice("whatsapp", "WhatsApp"),
                   SelectChoice("email", _l("E-mail"))]


class RulesForm(FlaskForm):
    rules = TextAreaField(_l("Rules (JSON)"))
    file = FileField(_l("Or import a rule file"))


class TryForm(FlaskForm):
    text = TextAreaField(_l("Try a text"))
    topics = CheckboxList(_l("Topics"), choices=[])
    network = SelectField(_l("Shared on"), choices=NETWORK_CHOICES)
    department = SelectField(_l("Written by someone from"), choices=[])
    title = StringField()  # the author's pre-flight sends the title too
