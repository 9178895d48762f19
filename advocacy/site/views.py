"""Home, the language switch and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from advocacy import database as db
from advocacy.accounts.operations import set_language
from advocacy.security import public, safe_next

blueprint = Blueprint("site", __name__)


@blueprint.route("/")
@public
def home() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("stories.mine"))
    return redirect(url_for("accounts.login"))


@blueprint.route("/language", methods=["POST"])
@public
def language() -> Response:
    chosen = request.form.get("language", "")
    set_language(current_user if current_user.is_authenticated else None, chosen)
    session["language"] = chosen
    return redirect(safe_next(request.form.get("next"), url_for("site.home")))


@blueprint.route("/healthz")
@public
def healthz() -> Response:
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
