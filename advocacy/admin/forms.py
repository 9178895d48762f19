"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice

ROLE_CHOICES = [SelectChoice("employee", _l("Employee")), SelectChoice("curator", _l("Curator")),
                SelectChoice("admin", _l("Admin"))]


class NewUserForm(FlaskForm):
    email = EmailField(_l("E-mail address"))
    name = StringField(_l("Name"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    department = SelectField(_l("Department"), choices=[])
    password = PasswordField(_l("Password (leave empty to generate one)"))


class EditUserForm(FlaskForm):
    name = StringField(_l("Name"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    department = SelectField(_l("Department"), choices=[])
    active = BooleanField(_l("Active: may sign in"))


class NameForm(FlaskForm):
    name = StringField(_l("Name"))


class TopicForm(FlaskForm):
    slug = StringField(_l("Short name (for links and the API)"))
    name = StringField(_l("Name"))


class SettingsForm(FlaskForm):
    """The hub's policies; each checkbox's value is a setting's name."""

    enabled = SelectMultipleField(choices=[], validate_choice=False)
