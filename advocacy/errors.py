"""Errors that reach the user, and how they are shown: JSON under /api, pages elsewhere.

Operations raise :class:`Rejected` with a machine-readable code, a translated
message and, for forms, the field it belongs to. Views never build error
responses by hand.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, TypeAlias

from flask import (
    Flask,
    Request,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    session,
)
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

Message: TypeAlias = "str | LazyString"


class Rejected(Exception):
    """Bad input or a request that cannot be honoured; shown to the user, never a 500.

    ``fields`` maps form field names to their messages so a page can put each
    message beside the right input and keep what the user typed.
    """

    def __init__(
        self,
        code: str,
        message: Message,
        *,
        status: int = 422,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
        fields: Mapping[str, list[Message]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.status = status
        self.details = dict(details or {})
        self.fields: dict[str, list[Message]] = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, []).append(message)


class NotFound(Rejected):
    """The object does not exist, or the user may not know that it does."""

    def __init__(self, message: Message | None = None) -> None:
        super().__init__("not_found", message or _l("Not found."), status=404)


class Conflict(Rejected):
    """The object is not in a state that allows this action."""

    def __init__(self, code: str, message: Message, **details: Any) -> None:
        super().__init__(code, message, status=409, details=details)


class Unavailable(Rejected):
    """A service the hub needs is not answering: 503, try again after ``retry_after`` seconds.

    The storage's :class:`~advocacy.media.storage.StorageUnavailable` is one; the database's
    outages are sqlalchemy's own errors, answered by :func:`database_unavailable`.
    """

    def __init__(self, code: str, message: Message, *, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(code, message, status=503, details={"retry_after": self.retry_after})

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


#: How long a client should wait before trying again after the database did not answer.
DATABASE_RETRY_AFTER = 10


def wants_json(req: Request) -> bool:
    """Whether the caller is the JSON API (by path), not a browser page."""
    return req.path.startswith("/api/")


def error_payload(code: str, message: Message, details: Mapping[str, Any] | None = None) -> Any:
    """The JSON error body of the public contract (docs/api.md)."""
    return {"error": {"code": code, "message": str(message), "details": dict(details or {})}}


def json_error(
    status: int, code: str, message: Message, details: Mapping[str, Any] | None = None
) -> Response:
    response = jsonify(error_payload(code, message, details))
    response.status_code = status
    return response


_HTTP_MESSAGES: dict[int, tuple[str, Message]] = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Please sign in first.")),
    403: ("forbidden", _l("You may not do this.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    409: ("conflict", _l("Someone changed this at the same time. Reload and try again.")),
    413: ("too_large", _l("The upload is too large.")),
    415: ("unsupported_media_type", _l("This type of content is not supported.")),
    422: ("invalid", _l("The request could not be processed.")),
    429: ("rate_limited", _l("Too many attempts. Wait a moment and try again.")),
}


def _size(limit: int) -> str:
    """``limit`` bytes in words: "1 MB", "252 MB"."""
    from flask_babel import format_decimal

    return f"{format_decimal(round(limit / (1024 * 1024), 1))} MB"


def _render_page(status: int, code: str, message: Message) -> tuple[str, int]:
    # str(): a lazy string counts as already-safe markup to Jinja and would skip escaping.
    page = render_template("errors/error.html", status=status, code=code, message=str(message))
    return page, status


def _discard_unit_of_work() -> None:
    """A failed request keeps nothing, and its session must work again to render the error."""
    from advocacy import database

    database.rollback()


def rejected_response(exc: Rejected) -> Any:
    """The response for a :class:`Rejected`: JSON for the API, an error page otherwise."""
    _discard_unit_of_work()
    headers = exc.headers if isinstance(exc, Unavailable) else {}
    if wants_json(request):
        details = dict(exc.details)
        if exc.fields:
            details["fields"] = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        response = json_error(exc.status, exc.code, exc.message, details)
        response.headers.update(headers)
        return response
    page, status = _render_page(exc.status, exc.code, exc.message)
    return page, status, headers


def _locale_without_database() -> str:
    """The reader's language from the session or the browser, never from their account:
    loading the account is what just failed."""
    from advocacy.i18n import LANGUAGES

    default = str(current_app.config["DEFAULT_LOCALE"])
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(list(LANGUAGES), default=default) or default


def database_unavailable(exc: Exception) -> Any:
    """The database did not answer in time (no free connection, no connection at all): 503.

    The page is a plain one: the usual header needs the reader's account, from the
    database that is not answering.
    """
    logging.getLogger(__name__).error("database unavailable: %s", exc, exc_info=exc)
    try:
        _discard_unit_of_work()
    except Exception:  # the connection is gone: nothing was written through it
        logging.getLogger(__name__).warning("rollback after a database outage failed",
                                            exc_info=True)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    locale = _locale_without_database()
    with force_locale(locale):
        message = str(_l("The hub cannot reach its database right now. Nothing was saved: "
                         "please try again in a moment."))
        if wants_json(request):
            response = json_error(503, "database_unavailable", message,
                                  {"retry_after": DATABASE_RETRY_AFTER})
            response.headers.update(headers)
            return response
        # Straight from the environment: the template context processors load the account.
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        page = template.render(message=message, locale=locale)
    response = make_response(page, 503)
    response.headers.update(headers)
    return response


def register_error_handlers(app: Flask) -> None:
    """Map every error to JSON for the API or a translated page for browsers."""

    app.register_error_handler(Rejected, rejected_response)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(PoolTimeout, database_unavailable)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        message = _l("This form has expired. Go back, reload the page and try again.")
        return _render_page(400, "csrf", message)

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def _stale(exc: Exception) -> Any:
        _discard_unit_of_work()
        code, message = _HTTP_MESSAGES[409]
        if wants_json(request):
            return json_error(409, "stale", message)
        return _render_page(409, "stale", message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        _discard_unit_of_work()
        status = exc.code or 500
        code, message = _HTTP_MESSAGES.get(
            status, ("error", _l("The request could not be completed (error %(status)s).",
                                 status=status)))
        details: dict[str, Any] = {}
        if status == 429 and exc.description:
            details = {"limit": exc.description}
        if status == 413 and request.max_content_length:
            limit = request.max_content_length
            details = {"max_bytes": limit}
            message = _l("This request is larger than the %(size)s the hub accepts.",
                         size=_size(limit))
        if wants_json(request):
            response = json_error(status, code, message, details)
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return _render_page(status, code, message)

    @app.errorhandler(500)
    def _server_error(exc: Exception) -> Any:
        _discard_unit_of_work()
        message = _l("Something went wrong on our side. Please try again in a moment.")
        if wants_json(request):
            return json_error(500, "server_error", message)
        return _render_page(500, "server_error", message)
