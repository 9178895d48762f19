"""The application factory: the only place an app is built."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from advocacy import config as config_module
from advocacy import database as db
from advocacy import i18n, queue, security
from advocacy.errors import (
    Conflict,
    database_unavailable,
    register_error_handlers,
    rejected_response,
)
from advocacy.extensions import babel, csrf, limiter, limiter_settings, login_manager
from advocacy.instance import kept_value
from advocacy.text import IdConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hub; ``config`` overrides what the environment says (tests pass their own)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, config)
    app.url_map.converters["id"] = IdConverter
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    security.check_every_route_declares_access(app)
    register_middleware(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """The embedded setup's key, created once; several workers starting at once agree on it."""
    return kept_value(instance / "secret_key", lambda: secrets.token_urlsafe(48))


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Settings from ``ADVOCACY_*`` variables, then ``overrides``, then derived values."""
    app.config.update(config_module.from_environment())
    app.config.update(overrides or {})
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    app.config["SQLALCHEMY_URL"] = app.config.get("DATABASE_URL") or (
        f"sqlite:///{instance / 'advocacy.db'}"
    )
    app.config["UPLOADS_DIR"] = app.config.get("UPLOADS_DIR") or str(PROJECT_ROOT / "uploads")
    # Bodies are small except photo uploads by signed-in people (security.UPLOAD_ENDPOINTS),
    # which may carry every photo; each photo is checked on its own so that a too-large
    # file is answered with the form (and its text) intact.
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.config["UPLOAD_MAX_CONTENT_LENGTH"] = (
        app.config["MAX_PHOTOS"] * app.config["MAX_PHOTO_BYTES"] + 2 * 1024 * 1024
    )
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        # Writing a story can take long; a form must not expire under the author's hands.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS_DIR),
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=app.config["TIMEZONE"],
        **limiter_settings(app.config["RATELIMIT_STORAGE_URL"]),
        RATELIMIT_HEADERS_ENABLED=True,
    )
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    # Their debug output carries signed request headers and bodies: never at our level.
    for chatty in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions and the database to ``app``."""
    from advocacy.accounts.operations import load_user
    from advocacy.analytics.clicks import init_app as init_clicks
    from advocacy.media.storage import init_app as init_storage
    from advocacy.site.chrome import init_app as init_chrome

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    # "basic", not "strong": phones hop between Wi-Fi and mobile networks, and "strong"
    # would sign a frontline employee out at every change of address.
    login_manager.session_protection = "basic"
    init_storage(app)
    queue.init_app(app)
    init_clicks(app)
    i18n.init_app(app)
    init_chrome(app)
    security.init_app(app)
    app.after_request(_commit_unit_of_work)


def _commit_unit_of_work(response: Response) -> Response:
    """Commit once per request: only when it succeeded, else roll back."""
    if not db.in_use():  # e.g. a tracked redirect served from memory: nothing to commit
        return response
    if response.status_code >= 400:
        db.rollback()
        return response
    try:
        db.commit()
    except (StaleDataError, IntegrityError):
        from flask import current_app

        current_app.logger.info("write conflict", exc_info=True)
        conflict = Conflict(
            "conflict", _l("Someone changed this at the same time. Reload and try again.")
        )
        return current_app.make_response(rejected_response(conflict))
    except (OperationalError, PoolTimeout) as exc:  # the database went away before the commit
        from flask import current_app

        return current_app.make_response(database_unavailable(exc))
    return response


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from advocacy.accounts.views import blueprint as accounts
    from advocacy.admin.views import blueprint as admin
    from advocacy.ambassadors.views import blueprint as ambassadors
    from advocacy.analytics.views import blueprint as analytics
    from advocacy.api import blueprint as api
    from advocacy.curation.views import blueprint as curation
    from advocacy.media.views import blueprint as media
    from advocacy.notifications.views import blueprint as notifications
    from advocacy.public.views import blueprint as public
    from advocacy.rulebook.views import blueprint as rulebook
    from advocacy.sharing.views import blueprint as sharing
    from advocacy.site.views import blueprint as site
    from advocacy.stories.views import blueprint as stories
    from advocacy.uploads.views import blueprint as uploads

    for blueprint in (site, public, accounts, stories, media, curation, rulebook, ambassadors,
                      sharing, analytics, notifications, admin, api, uploads):
        app.register_blueprint(blueprint)
    csrf.exempt(api)
    # Checks its session callers' CSRF header itself (security.accepts_session_with_csrf):
    # CSRFProtect would also refuse its token callers and read tus bodies as forms.
    csrf.exempt(uploads)
    # Features that react to others' signals (blinker keeps one receiver per function).
    import advocacy.audit.receivers
    import advocacy.notifications.receivers
    import advocacy.sharing.receivers  # noqa: F401


def register_middleware(app: Flask) -> None:
    """What runs around Flask: repeat visits of tracked links, then the proxy fix first."""
    from advocacy.sharing.links import init_app as init_links

    init_links(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def register_commands(app: Flask) -> None:
    """The ``advocacy`` command groups."""
    from advocacy.cli import register

    register(app)
