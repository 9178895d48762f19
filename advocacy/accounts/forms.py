"""Forms of the accounts feature."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

#: The lifetimes the Account page offers (days), besides the hub's default and "never".
TOKEN_DAYS = (30, 90, 365)
NEVER = "never"


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])
    next = HiddenField()


class TokenForm(FlaskForm):
    name = StringField(_l("Name of the token"), validators=[DataRequired(), Length(max=120)])
    expires = SelectField(_l("Stops working after"))

    def __init__(self, *args: Any, default_days: int, **kwargs: Any) -> None:
        """``default_days``: the hub's default lifetime (``TOKEN_EXPIRY_DAYS``; 0: never),
        offered first among the choices and chosen unless the person picks another."""
        super().__init__(*args, **kwargs)
        days = sorted({*TOKEN_DAYS, default_days} - {0})
        self.expires.choices = [(str(d), _days_label(d)) for d in days] + [
            (NEVER, _("Never (until revoked)"))]
        if not self.expires.data:
            self.expires.data = str(default_days) if default_days else NEVER

    def expires_in(self) -> int | None:
        """The chosen lifetime in seconds, or None for no expiry."""
        return None if self.expires.data == NEVER else int(self.expires.data or 0) * 24 * 3600


def _days_label(days: int) -> str:
    if days == 365:
        return str(_("1 year"))
    return str(ngettext("%(num)d day", "%(num)d days", days))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"))
    new = PasswordField(_l("New password (at least 10 characters)"))
    repeat = PasswordField(_l("New password again"))
