"""Sign-in, sign-out and the account page."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from advocacy.accounts import operations
from advocacy.accounts.forms import LoginForm, PasswordForm, TokenForm
from advocacy.accounts.models import ApiToken
from advocacy.errors import Rejected
from advocacy.extensions import login_limited
from advocacy.forms import show_errors
from advocacy.i18n import as_list
from advocacy.security import public, requires, safe_next

blueprint = Blueprint("accounts", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
@public
@login_limited
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data, url_for("stories.mine")))
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            # A fresh session (and CSRF secret) at sign-in; only the language choice stays.
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            login_user(user)
            return redirect(safe_next(form.next.data, url_for("stories.mine")))
        form.password.errors = [_("This e-mail address and password do not match.")]
        return render_template("accounts/login.html", form=form), 401
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    if current_user.is_authenticated:
        # Signing out ends every session of the account, so a copied cookie dies with it.
        current_user.end_sessions()
    logout_user()  # CSRFProtect has checked the form's token already
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account")
@requires()
def account() -> str:
    return _account_page()


def _token_form(**kwargs: object) -> TokenForm:
    return TokenForm(default_days=current_app.config["TOKEN_EXPIRY_DAYS"], **kwargs)


def _account_page(token_form: TokenForm | None = None, password_form: PasswordForm | None = None,
                  new_secret: str | None = None) -> str:
    tokens = operations.tokens_of(current_user)
    return render_template(
        "accounts/account.html",
        tokens=tokens,
        # What a password change or signing out everywhere would revoke, said beforehand.
        usable_tokens=sum(1 for token in tokens if token.is_usable),
        token_form=token_form or _token_form(formdata=None),
        password_form=password_form or PasswordForm(formdata=None),
        new_secret=new_secret,
    )


def _flash_revoked(tokens: list[ApiToken]) -> None:
    if tokens:
        flash(ngettext("Revoked %(num)d API token: %(names)s.",
                       "Revoked %(num)d API tokens: %(names)s.", len(tokens),
                       names=as_list([token.name for token in tokens])), "info")


@blueprint.route("/account/password", methods=["POST"])
@requires()
def change_password() -> Response | tuple[str, int]:
    form = PasswordForm()
    try:
        revoked = operations.change_password(current_user, form.current.data or "",
                                             form.new.data or "", form.repeat.data or "")
    except Rejected as exc:
        for name, messages in exc.fields.items():
            getattr(form, name).errors = [str(m) for m in messages]
        return _account_page(password_form=form), exc.status
    # Every other session ended with the old password; this one continues.
    login_user(current_user._get_current_object())
    flash(_("Your password is changed. Other devices have to sign in again."), "success")
    _flash_revoked(revoked)
    return redirect(url_for("accounts.account"))


@blueprint.route("/account/sign-out-everywhere", methods=["POST"])
@requires()
def sign_out_everywhere() -> Response:
    revoked = operations.sign_out_everywhere(current_user)
    logout_user()
    flash(_("You are signed out on every device."), "info")
    _flash_revoked(revoked)
    return redirect(url_for("accounts.login"))


@blueprint.route("/account/tokens", methods=["POST"])
@requires()
def create_token() -> str | tuple[str, int]:
    form = _token_form()
    if not form.validate_on_submit():
        return _account_page(token_form=form), 422
    try:
        _token, new_secret = operations.issue_token(current_user, form.name.data or "",
                                                    form.expires_in())
    except Rejected as exc:
        if "expires_in" in exc.fields:
            exc.fields["expires"] = exc.fields.pop("expires_in")
        show_errors(form, exc, fallback="name")
        return _account_page(token_form=form), exc.status
    return _account_page(new_secret=new_secret)


@blueprint.route("/account/tokens/<id:token_id>/revoke", methods=["POST"])
@requires()
def revoke_token(token_id: int) -> Response:
    operations.revoke_token(current_user, token_id)
    flash(_("The token is revoked."), "info")
    return redirect(url_for("accounts.account"))
