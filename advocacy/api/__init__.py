"""The JSON API under /api/v1 (docs/api.md), documented at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

from advocacy.api import curation, sharing, views  # noqa: E402,F401  (routes register on import)
