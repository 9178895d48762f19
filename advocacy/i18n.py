"""Dutch and English: locale choice, the language switch and catalog compilation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user

from advocacy.database import as_utc, utcnow

LANGUAGES: dict[str, str] = {"en": "English", "nl": "Nederlands"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def select_locale() -> str:
    """The user's saved choice, then this browser session's, then the browser's own."""
    from flask import current_app, has_request_context

    default = str(current_app.config["DEFAULT_LOCALE"])
    if not has_request_context():  # CLI commands and tasks speak the default language
        return default
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(list(LANGUAGES), default=default) or default


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every ``messages.po`` that is newer than its ``.mo``; return the ones written.

    The build does this (the bootstrap script and the test suite), so no
    compiled catalog is ever committed.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def as_list(items: Iterable[object]) -> str:
    """``a, b and c`` in the reader's language."""
    from babel.lists import format_list
    from flask_babel import get_locale

    names = [str(i) for i in items]
    return format_list(names, locale=get_locale() or "en") if names else ""


def init_app(app: Flask) -> None:
    """Expose the languages to templates."""

    @app.context_processor
    def _languages() -> dict[str, object]:
        from flask_babel import get_locale

        return {"LANGUAGES": LANGUAGES, "get_locale": get_locale}

    app.add_template_filter(as_list, "as_list")

    @app.template_filter("moment")
    def _moment(value: datetime | None) -> str:
        """A date and time in the hub's time zone and the reader's language."""
        from flask_babel import format_date, format_time

        if value is None:
            return ""
        return f"{format_date(as_utc(value), 'medium')}, {format_time(as_utc(value), 'short')}"

    @app.template_filter("age")
    def _age(value: datetime | None) -> str:
        """How long ago, in words ("3 days")."""
        from flask_babel import format_timedelta

        return format_timedelta(utcnow() - as_utc(value)) if value is not None else ""
