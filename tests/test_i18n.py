"""English and Dutch: complete catalogs, an up-to-date template and the language switch."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.i18n import LANGUAGES, TRANSLATIONS_DIR
from tests.conftest import PASSWORD, login

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POT = TRANSLATIONS_DIR / "messages.pot"
# The extraction command of docs/translating.md, minus the output file.
EXTRACT_ARGS = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                "-k", "lazy_ngettext:1,2", "--sort-by-file"]
# printf-style conversions as Python's % operator reads them; "%%" is a literal percent.
PLACEHOLDER = re.compile(
    r"%(?:\((\w+)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?([diouxXeEfFgGcrsa%])")
DUTCH = {"Accept-Language": "nl"}
SOURCE_LANGUAGE = "en"

MsgKey = tuple[str | None, str | tuple[str, ...]]


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def key(message: Message) -> MsgKey:
    """A message as (context, msgid); a plural's msgid is its (singular, plural) pair."""
    msgid = message.id
    return message.context, msgid if isinstance(msgid, str) else tuple(msgid or ())


def keys(catalog: Catalog) -> set[MsgKey]:
    return {key(m) for m in catalog if m.id}


def show(message_key: MsgKey) -> str:
    context, msgid = message_key
    return (f"[{context}] " if context else "") + repr(msgid)


def placeholders(text: str) -> Counter[str]:
    """The conversions in ``text``: '%(name)s' for named ones, '%d' for positional ones."""
    found: Counter[str] = Counter()
    for name, conversion in PLACEHOLDER.findall(text):
        if conversion != "%":
            found[f"%({name}){conversion}" if name else f"%{conversion}"] += 1
    return found


def pairs(message: Message) -> list[tuple[str, str]]:
    """(source, translation) per form: a plural's first form pairs with the singular."""
    if isinstance(message.id, str):
        return [(message.id, str(message.string or ""))]
    ids, strings = list(message.id), list(message.string or ())
    return [(ids[min(i, len(ids) - 1)], str(s or "")) for i, s in enumerate(strings)] or [
        (ids[0], "")
    ]


def catalog_of(language: str) -> Catalog:
    return load(TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po", language)


def dutch_catalog() -> Catalog:
    return catalog_of("nl")


def dutch(msgid: str) -> str:
    """The committed Dutch translation of ``msgid``."""
    message = dutch_catalog().get(msgid)
    assert message is not None and message.string, f"no Dutch for {msgid!r}"
    return str(message.string)


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([^"]*)"', html)
    assert match, "no <html lang> on the page"
    return match.group(1)


# -- the catalogs ----------------------------------------------------------------------
# Every language of the switch except the source language, so a new one is checked too.
TRANSLATED = sorted(set(LANGUAGES) - {SOURCE_LANGUAGE})


def test_dutch_is_one_of_the_translated_languages() -> None:
    assert "nl" in TRANSLATED


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_the_template_is_translated(language: str) -> None:
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"no catalog for {language}: run pybabel init (docs/translating.md)"
    template, catalog = load(POT), catalog_of(language)
    untranslated = sorted(show(k) for k in keys(template) - keys(catalog))
    assert not untranslated, (
        f"missing from {language}/messages.po (run pybabel update):\n" + "\n".join(untranslated))
    empty = [show(key(m)) for m in catalog if m.id and not all(text for _, text in pairs(m))]
    assert not empty, f"empty {language} msgstr:\n" + "\n".join(empty)


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_is_left_fuzzy(language: str) -> None:
    fuzzy = [show(key(m)) for m in catalog_of(language) if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) {language} entries:\n" + "\n".join(fuzzy)


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_the_english(language: str) -> None:
    wrong = [
        f"{source!r} has {sorted(placeholders(source).elements())}, "
        f"{text!r} has {sorted(placeholders(text).elements())}"
        for message in catalog_of(language) if message.id
        for source, text in pairs(message)
        if text and placeholders(source) != placeholders(text)
    ]
    assert not wrong, f"{language} placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plurals_fill_every_plural_form_of_the_language(language: str) -> None:
    catalog = catalog_of(language)
    forms = catalog.num_plurals
    short = [show(key(m)) for m in catalog
             if m.id and m.pluralizable and len([s for s in m.string or () if s]) != forms]
    assert not short, f"plural entries without all {forms} forms:\n" + "\n".join(short)


def test_the_committed_template_lists_exactly_the_strings_in_the_code(
    tmp_path: Path,
) -> None:
    extracted = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    command = [str(pybabel)] if pybabel.exists() else [sys.executable, "-m",
                                                       "babel.messages.frontend"]
    result = subprocess.run([*command, *EXTRACT_ARGS, "-o", str(extracted), "."],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    fresh, committed = keys(load(extracted)), keys(load(POT))
    new = sorted(show(k) for k in fresh - committed)
    gone = sorted(show(k) for k in committed - fresh)
    assert not new and not gone, (
        "advocacy/translations/messages.pot is out of date; re-extract, update and translate "
        "(docs/translating.md).\n"
        + ("Missing from the .pot:\n  " + "\n  ".join(new) + "\n" if new else "")
        + ("No longer in the code:\n  " + "\n  ".join(gone) if gone else "")
    )


# -- the language people see -----------------------------------------------------------


def test_a_dutch_browser_gets_the_login_page_in_dutch(client: FlaskClient) -> None:
    html = client.get("/login", headers=DUTCH).get_data(as_text=True)
    assert lang_of(html) == "nl"
    assert "Inloggen" in html and "Wachtwoord" in html
    assert "Sign in" not in html


def test_a_browser_without_preference_gets_english(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert lang_of(html) == "en"
    assert "Sign in" in html


def test_form_errors_of_the_validators_are_dutch_too(client: FlaskClient) -> None:
    """WTForms' own messages come from its bundled catalogs, not from ours."""
    response = client.post("/login", data={"email": "", "password": ""}, headers=DUTCH)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dit veld is vereist." in html and "This field is required" not in html


def test_the_language_switch_makes_later_pages_dutch(client: FlaskClient) -> None:
    response = client.post("/language", data={"language": "nl", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert lang_of(html) == "nl" and "Inloggen" in html
    # The choice beats the browser's own preference.
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(html) == "nl"


def test_the_language_switch_back_to_english_beats_a_dutch_browser(
    client: FlaskClient,
) -> None:
    client.post("/language", data={"language": "en", "next": "/login"})
    html = client.get("/login", headers=DUTCH).get_data(as_text=True)
    assert lang_of(html) == "en" and "Sign in" in html


def test_a_signed_in_users_choice_is_kept_on_the_account_for_the_next_session(
    app: Flask, client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    response = client.post("/language", data={"language": "nl", "next": "/stories"})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.language == "nl"
    html = client.get("/stories").get_data(as_text=True)
    assert lang_of(html) == "nl" and "Mijn verhalen" in html

    other_device = app.test_client()
    login(other_device, user)
    html = other_device.get("/stories", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(html) == "nl" and "Mijn verhalen" in html and "Uitloggen" in html


@pytest.mark.parametrize("code", ["xx", "", "NL-be-nonsense", "de"])
def test_an_unknown_language_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, signed_in: Callable[..., User], code: str
) -> None:
    user = signed_in()
    client.post("/language", data={"language": "nl", "next": "/stories"})
    response = client.post("/language", data={"language": code, "next": "/stories"})
    assert response.status_code == 400
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.language == "nl"
    html = client.get("/stories").get_data(as_text=True)
    assert lang_of(html) == "nl"


def test_an_unknown_language_leaves_a_visitors_session_alone(client: FlaskClient) -> None:
    client.post("/language", data={"language": "nl", "next": "/login"})
    response = client.post("/language", data={"language": "xx", "next": "/login"})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert session.get("language") == "nl"
    assert lang_of(client.get("/login").get_data(as_text=True)) == "nl"


def test_an_api_error_comes_in_the_language_asked_for(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    english_text = "This e-mail address and password do not match."
    body = {"email": user.email, "password": PASSWORD + " but wrong"}
    dutch_reply = client.post("/api/v1/tokens", json=body, headers=DUTCH)
    english_reply = client.post("/api/v1/tokens", json=body)
    assert dutch_reply.status_code == english_reply.status_code == 401
    assert dutch_reply.get_json()["error"]["code"] == "invalid_credentials"
    assert dutch_reply.get_json()["error"]["message"] == dutch(english_text)
    assert dutch(english_text) != english_text
    assert english_reply.get_json()["error"]["message"] == english_text


def test_api_field_errors_are_dutch_too(client: FlaskClient) -> None:
    reply = client.post("/api/v1/tokens", json={"email": "someone@example.org"}, headers=DUTCH)
    assert reply.status_code == 422
    assert reply.get_json()["error"]["message"] == dutch("“%(field)s” is required.") % {
        "field": "password"}
