"""Reading API request bodies and writing list answers: the shapes every handler shares."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import lazy_gettext as _l

from advocacy.errors import Rejected
from advocacy.text import require_storable


def json_body(*, allowed: set[str]) -> dict[str, Any]:
    """The request's JSON object; unknown fields and wrong types are refused up front."""
    if not request.is_json:
        raise Rejected("unsupported_media_type", _l("Send JSON (Content-Type: application/json)."),
                       status=415)
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting is not JSON we take
        body = None
    if not isinstance(body, dict):
        raise Rejected("invalid_json", _l("The body must be a JSON object."), status=400)
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Rejected("unknown_fields", _l("Unknown fields: %(fields)s.",
                                            fields=", ".join(unknown)[:200]),
                       status=400, details={"unknown": unknown[:20]})
    return body


def string_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field, storable, or None when absent."""
    value = body.get(name)
    if value is None:
        if required:
            raise Rejected("missing_field", _l("“%(field)s” is required.", field=name),
                           status=422, field=name)
        return None
    if not isinstance(value, str):
        raise Rejected("invalid_type", _l("“%(field)s” must be a string.", field=name),
                       status=422, field=name)
    return require_storable(value, name)


def string_list(body: dict[str, Any], name: str) -> list[str] | None:
    """A list of storable strings, or None when absent."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Rejected("invalid_type", _l("“%(field)s” must be a list of strings.", field=name),
                       status=422, field=name)
    return [require_storable(v, name) for v in value]


def json_bool(body: dict[str, Any], name: str) -> bool | None:
    """A true/false field of a JSON body, or None when absent."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise Rejected("invalid_type", _l("“%(field)s” must be true or false.", field=name),
                       status=422, field=name)
    return value


def bool_field(raw: str | None, name: str) -> bool:
    """A form value meaning true or false."""
    value = (raw or "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"", "0", "false", "no", "off"}:
        return False
    raise Rejected("invalid_type", _l("“%(field)s” must be true or false.", field=name),
                   status=422, field=name)


def version_field(body: dict[str, Any]) -> int | None:
    """The optional ``version`` a client read, for optimistic locking."""
    value = body.get("version")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise Rejected("invalid_type", _l("“%(field)s” must be a whole number.", field="version"),
                       status=422, field="version")
    return value


def list_response(items: list[dict[str, Any]], **meta: Any) -> Response:
    """``{"items": [...], ...paging}``, the shape of every list answer."""
    return jsonify({"items": items, **meta})
