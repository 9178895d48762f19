"""Accounts, departments and topics, for admins."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advocacy import database as db
from advocacy.accounts import operations as accounts
from advocacy.accounts.models import Role, User
from advocacy.admin.forms import EditUserForm, NameForm, NewUserForm, SettingsForm, TopicForm
from advocacy.audit import operations as audit
from advocacy.errors import NotFound, Rejected
from advocacy.forms import show_errors
from advocacy.paging import parse_page
from advocacy.security import requires
from advocacy.settings import operations as hub_settings
from advocacy.stories import operations as stories
from advocacy.text import parse_id

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_LABELS = {
    "story.approve": _l("approved a story"),
    "story.request_changes": _l("asked for changes to a story"),
    "story.reject": _l("rejected a story"),
    "story.edited": _l("edited a story"),
    "story.submit": _l("submitted a story"),
    "story.withdraw": _l("withdrew a story"),
    "story.archive": _l("archived a story"),
    "guidelines.replaced": _l("changed the brand guidelines"),
    "settings.changed": _l("changed a setting"),
    "account.credentials_revoked": _l("ended an account's sessions and API tokens"),
}
AUDIT_DETAIL_LABELS = {
    "title": _l("title"), "comment": _l("comment"), "topics": _l("topics"),
    "captions": _l("captions"), "embargo_until": _l("not visible before"),
    "expires_at": _l("archived after"), "findings": _l("findings"),
    "revision": _l("version"), "changed": _l("changed"), "previous": _l("before"),
    "via": _l("via"), "set_id": _l("rule set version"), "rules": _l("rules"),
    "added": _l("added"), "removed": _l("removed"), "setting": _l("setting"),
    "value": _l("now"),
    "user_id": _l("account"), "reason": _l("reason"), "tokens": _l("API tokens"),
}
#: Recorded codes shown in words (why an account's credentials were revoked).
AUDIT_VALUE_LABELS = {
    "password_changed": _l("the password was changed"),
    "password_reset": _l("the password was reset"),
    "signed_out_everywhere": _l("signed out everywhere"),
    "deactivated": _l("the account was switched off"),
}


def _department_names() -> dict[str, str]:
    return {str(d.id): d.name for d in accounts.departments()}


def _department_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("none"))] + [
        SelectChoice(key, name) for key, name in _department_names().items()]


def _users_page(form: NewUserForm, status: int = 200,
                new_password: tuple[str, str] | None = None) -> tuple[str, int]:
    page = accounts.users_page(parse_page(request.args.get("page")),
                               current_app.config["STORIES_PER_PAGE"])
    return render_template("admin/users.html", page=page, form=form,
                           new_password=new_password), status


@blueprint.route("/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users() -> Response | tuple[str, int]:
    form = NewUserForm()
    form.department.choices = _department_choices()
    if request.method == "GET":
        return _users_page(form)
    password = form.password.data or secrets.token_urlsafe(12)
    department = _department_names().get(form.department.data or "")
    try:
        user = accounts.create_user(
            form.email.data or "", role=Role(form.role.data or "employee"), password=password,
            name=form.name.data or None, department=department,
        )
    except (Rejected, ValueError) as exc:
        if isinstance(exc, ValueError):
            exc = Rejected("invalid_role", _("Unknown role."), field="role")
        show_errors(form, exc)
        return _users_page(form, exc.status)
    if not form.password.data:
        # Shown in this page only: a flash message would carry it in the session cookie.
        fresh = NewUserForm(formdata=None)
        fresh.department.choices = _department_choices()
        return _users_page(fresh, new_password=(user.email, password))
    flash(_("The account for %(email)s is ready.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<id:user_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def user(user_id: int) -> Response | tuple[str, int]:
    account = db.session.get(User, user_id)
    if account is None:
        raise NotFound()
    form = EditUserForm(obj=account if request.method == "GET" else None)
    form.department.choices = _department_choices()
    if request.method == "GET":
        form.department.data = str(account.department_id or "")
        return render_template("admin/user.html", account=account, form=form), 200
    try:
        department = form.department.data or None
        if department is not None and parse_id(department) is None:
            raise Rejected("unknown_department", _("Unknown department."), field="department")
        accounts.update_user(
            current_user, account, name=form.name.data or "",
            role=Role(form.role.data or ""), active=bool(form.active.data),
            department_id=parse_id(department),
        )
    except (Rejected, ValueError) as exc:
        if isinstance(exc, ValueError):
            exc = Rejected("invalid_role", _("Unknown role."), field="role")
        show_errors(form, exc)
        return render_template("admin/user.html", account=account, form=form), exc.status
    flash(_("Saved."), "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/departments", methods=["GET", "POST"])
@requires(Role.ADMIN)
def departments() -> Response | tuple[str, int]:
    form = NameForm()
    status = 200
    if request.method == "POST":
        try:
            accounts.create_department(form.name.data or "")
            flash(_("Department added."), "success")
            return redirect(url_for("admin.departments"))
        except Rejected as exc:
            show_errors(form, exc)
            status = exc.status
    return render_template("admin/departments.html", form=form,
                           departments=accounts.departments()), status


@blueprint.route("/topics", methods=["GET", "POST"])
@requires(Role.ADMIN)
def topics() -> Response | tuple[str, int]:
    form = TopicForm()
    status = 200
    if request.method == "POST":
        try:
            stories.create_topic(form.slug.data or "", form.name.data or "")
            flash(_("Topic added."), "success")
            return redirect(url_for("admin.topics"))
        except Rejected as exc:
            show_errors(form, exc)
            status = exc.status
    return render_template("admin/topics.html", form=form, topics=stories.all_topics()), status


@blueprint.route("/settings", methods=["GET", "POST"])
@requires(Role.ADMIN)
def settings() -> Response | str:
    if request.method == "POST":
        form = SettingsForm()
        for setting, _value in hub_settings.all_settings():
            hub_settings.change_setting(current_user, setting,
                                        setting.name in (form.enabled.data or []))
        flash(_("The settings are saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", settings=hub_settings.all_settings(),
                           form=SettingsForm())


@blueprint.route("/audit")
@requires(Role.ADMIN)
def audit_log() -> str:
    story_id = parse_id(request.args.get("story") or "")
    page = audit.events(parse_page(request.args.get("page")), 50, story_id=story_id)
    return render_template("admin/audit.html", page=page, story_id=story_id,
                           AUDIT_LABELS=AUDIT_LABELS, AUDIT_DETAIL_LABELS=AUDIT_DETAIL_LABELS,
                           AUDIT_VALUE_LABELS=AUDIT_VALUE_LABELS)
