"""The story form. Field rules live in the operations, so the page and the API agree."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxList(SelectMultipleField):
    """Topics as a list of checkboxes; unknown values are reported by the operation."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:  # the operation names unknown topics
        return None


class StoryForm(FlaskForm):
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Your story"))
    topics = CheckboxList(_l("Topics"), choices=[])
    photos = MultipleFileField(_l("Photos"))
    camera = MultipleFileField(_l("Take a photo"))
    consent = BooleanField(_l("The people shown in these photos and videos agreed to be shown."))
    remove_media = SelectMultipleField(_l("Remove"), choices=[], coerce=str)
    explanation = TextAreaField(_l("Why should it go out as it is?"))
