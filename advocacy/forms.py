"""What every page form shares: an operation's errors put beside the right inputs."""

from __future__ import annotations

from typing import Any

from flask import flash

from advocacy.errors import Rejected


def show_errors(form: Any, exc: Rejected, *, fallback: str | None = None) -> None:
    """Put ``exc``'s messages beside their inputs; ``fallback`` names the input for an error
    without a field; anything without an input is flashed above the form."""
    fields = dict(exc.fields) or ({fallback: [exc.message]} if fallback else {})
    if not fields:
        flash(str(exc.message), "error")
    for name, messages in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [str(m) for m in messages]
        else:
            for message in messages:
                flash(str(message), "error")
