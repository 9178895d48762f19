"""Who may call which route, safe redirects, bearer tokens and security headers.

Every view declares its audience with :func:`public` or :func:`requires`; one
``before_request`` hook enforces it, and the app refuses to start when a route
has not declared one (see :func:`check_every_route_declares_access`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from advocacy import database as db
from advocacy.accounts.models import ApiToken, Role, User, hash_token
from advocacy.database import as_utc, utcnow
from advocacy.errors import Rejected, json_error, wants_json
from advocacy.extensions import login_manager

ACCESS_ATTR = "advocacy_access"
BEARER_ATTR = "advocacy_accepts_bearer"
SESSION_ATTR = "advocacy_accepts_session"
#: Methods a session-authenticated API call may send without the CSRF header.
CSRF_FREE_METHODS = frozenset({"HEAD", "OPTIONS"})
PUBLIC = "public"
F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Anyone may call this route, signed in or not."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def requires(role: Role = Role.EMPLOYEE) -> Callable[[F], F]:
    """Only signed-in accounts holding ``role`` (or higher) may call this route."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, role.value)
        return view

    return decorate


def accepts_token(view: F) -> F:
    """Outside the API, this route also accepts a bearer token (media URLs in API answers)."""
    setattr(view, BEARER_ATTR, True)
    return view


def accepts_session_with_csrf(view: F) -> F:
    """This API route also accepts the signed-in browser session, when the request carries
    no Authorization header, provided every method but HEAD and OPTIONS sends the session's
    CSRF token in an ``X-CSRFToken`` header: the story form uploads videos with the session
    it already has, and another site can neither read that token nor set the header."""
    setattr(view, SESSION_ATTR, True)
    return view


def _session_allowed(endpoint: str | None) -> bool:
    """Whether this request may authenticate by session: the route accepts it (see
    :func:`accepts_session_with_csrf`) and no token was sent (a token always decides)."""
    view = current_app.view_functions.get(endpoint or "")
    return (getattr(view, SESSION_ATTR, False)
            and "Authorization" not in request.headers)


def _check_csrf_header() -> None:
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token")
    try:
        validate_csrf(token)
    except ValidationError:
        raise Rejected("csrf", _l("The page's security token is missing or has expired. "
                                  "Reload the page and try again."), status=400) from None


def access_of(app: Flask, endpoint: str) -> str | None:
    """The declared audience of ``endpoint`` or None when it declared none."""
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def check_every_route_declares_access(app: Flask) -> None:
    """Refuse to build an app with a route nobody decided the audience of."""
    missing = sorted(
        rule.endpoint for rule in app.url_map.iter_rules() if access_of(app, rule.endpoint) is None
    )
    if missing:
        raise RuntimeError(f"routes without an access declaration: {', '.join(missing)}")


def token_user(header: str | None) -> User | None:
    """The active user behind an ``Authorization: Bearer`` header, or None (once per request)."""
    cache: dict[str | None, User | None] = g.setdefault("_bearer_users", {})
    if header not in cache:
        cache[header] = _lookup_token_user(header)
    return cache[header]


#: The token's user, whether it is revoked or expired and when it was last used, in one
#: statement.
_TOKEN_USER = (select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at,
                      ApiToken.last_used_at)
               .join(ApiToken, ApiToken.user_id == User.id)
               .where(ApiToken.token_hash == bindparam("token_hash")))


def _lookup_token_user(header: str | None) -> User | None:
    scheme, _, secret = (header or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200 or not secret.isascii():
        return None
    row = db.session.execute(_TOKEN_USER, {"token_hash": hash_token(secret)}).first()
    if row is None:
        return None
    user, token_id, revoked_at, expires_at, last = row
    now = utcnow()
    if (revoked_at is not None or (expires_at is not None and as_utc(expires_at) <= now)
            or not user.is_active):
        return None
    # Record use at most every few minutes so reads do not turn into writes.
    if last is None or now - as_utc(last) > timedelta(minutes=5):
        _record_use(token_id, now)
    return user


def _record_use(token_id: int, now: datetime) -> None:
    """Note the token's use in a transaction of its own, committed at once: the request then
    holds no write lock while the rate limiter counts beside it (SQLite has one lock for the
    whole file), and a use the request later refuses still counts as use."""
    engine: Engine = current_app.extensions[db.EXTENSION_KEY]
    try:
        with engine.begin() as connection:
            connection.execute(update(ApiToken).where(ApiToken.id == token_id)
                               .values(last_used_at=now))
    except SQLAlchemyError:  # a busy database must not turn a read into an error
        current_app.logger.warning("could not record the use of API token %s", token_id,
                                   exc_info=True)


def _enforce_access() -> BaseResponse | None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    policy = access_of(current_app, endpoint)
    if policy is None:
        raise RuntimeError(f"route {endpoint} has no access declaration")
    api = wants_json(request)
    bearer = getattr(current_app.view_functions[endpoint], BEARER_ATTR, False)
    by_session = _session_allowed(endpoint)
    if (api or (bearer and "Authorization" in request.headers)) and not by_session:
        # The API authenticates by bearer token only, never by session cookie (a few
        # routes take the session with a CSRF header, see accepts_session_with_csrf),
        # so cross-site requests cannot ride on a browser session.
        user = token_user(request.headers.get("Authorization"))
        g._login_user = user if user is not None else login_manager.anonymous_user()
    if policy == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if api:
            response = json_error(401, "unauthorized", _l("A valid API token is required."))
            response.headers["WWW-Authenticate"] = 'Bearer realm="advocacy"'
            return response
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if not current_user.has_role(Role(policy)):
        raise Rejected("forbidden", _l("Your role does not allow this."), status=403)
    if by_session and request.method not in CSRF_FREE_METHODS:
        _check_csrf_header()
    return None


def is_safe_next(target: str | None) -> bool:
    """Whether ``target`` is a local path we may redirect to after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a safe local path, otherwise ``fallback``."""
    return target if target and is_safe_next(target) else fallback


def content_security_policy(media_origin: str | None) -> str:
    """The CSP header; ``media_origin`` is the S3 endpoint presigned media redirect to, and
    the browser PUTs video parts to (presigned multipart uploads)."""
    media = f"'self' data: blob:{' ' + media_origin if media_origin else ''}"
    connect = f"'self'{' ' + media_origin if media_origin else ''}"
    return (
        f"default-src 'self'; img-src {media}; media-src {media}; connect-src {connect}; "
        "style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config["CSP"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(self), camera=(self)")
    if response.mimetype == "text/html" or (response.is_json and request.path.startswith("/api/")):
        # Pages and API answers show private things (drafts, a new token): never keep them.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


UPLOAD_ENDPOINTS = frozenset({"stories.new", "stories.edit", "api.create_story", "api.add_media"})
#: tus PATCH requests carry a video's bytes (read as a stream, never held in memory).
VIDEO_UPLOAD_ENDPOINTS = frozenset({"uploads.patch"})


def _allow_uploads() -> None:
    """Lift the small body limit for photo uploads by signed-in people only.

    Runs before CSRFProtect reads the form, so an anonymous request can never make the
    hub spool a large body (the limit for everything else is ``MAX_CONTENT_LENGTH``).
    """
    if request.method == "PATCH" and request.endpoint in VIDEO_UPLOAD_ENDPOINTS:
        limit = current_app.config["MAX_VIDEO_BYTES"]
    elif request.method == "POST" and request.endpoint in UPLOAD_ENDPOINTS:
        limit = current_app.config["UPLOAD_MAX_CONTENT_LENGTH"]
    else:
        return
    by_token = wants_json(request) and not _session_allowed(request.endpoint)
    signed_in = (token_user(request.headers.get("Authorization")) is not None
                 if by_token else "_user_id" in session)
    if signed_in:
        request.max_content_length = limit


def init_app(app: Flask) -> None:
    """Install access enforcement and security headers."""
    endpoint = app.config.get("S3_ENDPOINT_URL") if app.config["STORAGE"] == "s3" else None
    if app.config["STORAGE"] == "s3" and not endpoint:
        endpoint = f"https://s3.{app.config['S3_REGION']}.amazonaws.com"  # path-style URLs
    origin = None
    if endpoint:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
    app.config["CSP"] = content_security_policy(origin)
    # First of all before-request hooks, ahead of CSRFProtect reading the body.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)
    app.before_request(_enforce_access)
    app.after_request(_security_headers)
