"""The brand-guidelines pages for admins, and the author's live pre-flight."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from advocacy.accounts import operations as accounts
from advocacy.accounts.models import Role
from advocacy.errors import Rejected
from advocacy.extensions import check_limited
from advocacy.forms import show_errors
from advocacy.guidelines import Finding
from advocacy.rulebook import operations
from advocacy.rulebook.examples import examples
from advocacy.rulebook.forms import RulesForm, TryForm
from advocacy.rulebook.presentation import excerpts, highlight
from advocacy.security import requires
from advocacy.stories import operations as stories

blueprint = Blueprint("rulebook", __name__)

SEVERITY_LABELS = {"block": _l("Must fix"), "warn": _l("Warning"), "info": _l("Note")}
KIND_LABELS = {
    "phrase": _l("Words and phrases"), "regex": _l("Pattern"),
    "restricted_topic": _l("Restricted topic"), "pii": _l("Personal data"),
    "confidential": _l("Confidential markers"), "link_domains": _l("Links"),
    "disclosure": _l("Disclosure"), "quiet_period": _l("Quiet period"), "media": _l("Photos"),
}


@blueprint.app_context_processor
def _finding_helpers() -> dict[str, object]:
    return {"highlight": highlight, "excerpts": excerpts, "SEVERITY_LABELS": SEVERITY_LABELS,
            "KIND_LABELS": KIND_LABELS}


def _try_form() -> TryForm:
    form = TryForm()
    form.topics.choices = [SelectChoice(t.slug, t.name) for t in stories.all_topics()]
    form.department.choices = [SelectChoice("", _("no department"))] + [
        SelectChoice(d.name, d.name) for d in accounts.departments()]
    return form


def _page(form: RulesForm | None = None, trial: TryForm | None = None,
          findings: list[Finding] | None = None, status: int = 200) -> tuple[str, int]:
    form = form or RulesForm()
    if not form.rules.data:
        form.rules.data = operations.rules_document_text()
    return render_template("rulebook/rules.html", form=form, trial=trial or _try_form(),
                           findings=findings, current=operations.current_set(),
                           rules=operations.current_rules().rules,
                           examples=examples()), status


@blueprint.route("/admin/guidelines", methods=["GET", "POST"])
@requires(Role.ADMIN)
def rules() -> BaseResponse | tuple[str, int]:
    if request.method == "GET":
        return _page()
    form = RulesForm()
    upload = request.files.get("file")
    source: str | bytes = upload.read(operations.RULE_FILE_MAX_BYTES + 1) if (
        upload and upload.filename) else (form.rules.data or "")
    try:
        row = operations.replace_rules(current_user, source, via="admin")
    except Rejected as exc:
        if isinstance(source, bytes):  # keep the editor showing what is in force
            form.rules.data = ""
        show_errors(form, exc)
        flash(str(exc.message), "error")
        return _page(form, status=exc.status)
    flash(_("The brand guidelines now have %(n)d rule(s) (version %(version)d).",
            n=len(row.document.get("rules", [])), version=row.id), "success")
    return redirect(url_for("rulebook.rules"))


@blueprint.route("/admin/guidelines/rules/<rule_id>", methods=["POST"])
@requires(Role.ADMIN)
def change_rule(rule_id: str) -> BaseResponse:
    action = request.form.get("action", "")
    operations.change_rule(current_user, rule_id, action)
    messages = {"enable": _("The rule “%(rule)s” is on.", rule=rule_id),
                "disable": _("The rule “%(rule)s” is off; it is kept but not checked.",
                             rule=rule_id),
                "delete": _("The rule “%(rule)s” is removed.", rule=rule_id)}
    flash(messages[action], "success")
    return redirect(url_for("rulebook.rules"))


@blueprint.route("/admin/guidelines/export")
@requires(Role.ADMIN)
def export() -> Response:
    return Response(operations.export_rules(), mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="brand-guidelines.json"'})


def _fragment_wanted() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@blueprint.route("/admin/guidelines/try", methods=["POST"])
@requires(Role.ADMIN)
@check_limited
def try_text() -> str | tuple[str, int]:
    trial = _try_form()
    text = trial.text.data or ""
    try:
        findings = operations.check_text(
            current_user, text, topics=trial.topics.data or [],
            network=trial.network.data or None, department=trial.department.data or "")
    except Rejected as exc:
        show_errors(trial, exc, fallback="text")
        if _fragment_wanted():
            return render_template("rulebook/_error.html", message=str(exc.message)), exc.status
        return _page(trial=trial, status=exc.status)
    if _fragment_wanted():
        return render_template("rulebook/_findings.html", findings=findings,
                               texts={"text": text}, show_text=True)
    return _page(trial=trial, findings=findings)


@blueprint.route("/guidelines/preflight", methods=["POST"])
@requires()
@check_limited
def preflight() -> str | tuple[str, int]:
    """The author's findings while writing (the story page checks the saved story)."""
    trial = _try_form()
    texts = {"title": trial.title.data or "", "body": trial.text.data or ""}
    try:
        findings = operations.check_fields(current_user, texts,
                                           topics=trial.topics.data or [])
    except Rejected as exc:
        return render_template("rulebook/_error.html", message=str(exc.message)), exc.status
    return render_template("rulebook/_findings.html", findings=findings, texts=texts,
                           show_text=False)
