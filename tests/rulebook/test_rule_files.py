"""Rules in and out: `advocacy guidelines import/export`, the admin page, refusal as a whole."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role
from advocacy.rulebook.operations import current_set

GOOD = {"version": 1, "rules": [
    {"id": "no-prices", "kind": "phrase", "severity": "warn", "phrases": ["prijs"],
     "match": "prefix",
     "message": {"en": "Prices are for Sales.", "nl": "Prijzen zijn voor Sales."}},
    {"id": "personal-data", "kind": "pii", "severity": "block",
     "message": {"en": "Personal data.", "nl": "Persoonsgegevens."}},
]}

#: One unknown kind (line 4), one bad regex (its pattern on line 10), one rule without a
#: Dutch message (line 14): all three reported, with their lines.
BAD = """{"version": 1, "rules": [
  {"id": "ok", "kind": "phrase", "phrases": ["x"], "severity": "info",
   "message": {"en": "a", "nl": "b"}},
  {"id": "typo", "kind": "prase", "phrases": ["x"], "severity": "info",
   "message": {"en": "a", "nl": "b"}},
  {"id": "ok2", "kind": "phrase", "phrases": ["y"], "severity": "info",
   "message": {"en": "a", "nl": "b"}},
  {"id": "ok3", "kind": "phrase", "phrases": ["z"], "severity": "info",
   "message": {"en": "a", "nl": "b"}}, {"id": "bad-regex", "kind": "regex",
   "pattern": "(unclosed", "severity": "warn", "message": {"en": "a", "nl": "b"}},
  {"id": "ok4", "kind": "phrase", "phrases": ["q"], "severity": "info",
   "message": {"en": "a", "nl": "b"}},
  {"id": "ok5", "kind": "phrase", "phrases": ["r"], "severity": "info",
   "message": {"en": "only English"}}
]}
"""


def test_import_replaces_the_rules_and_export_gives_them_back(app: Flask,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(GOOD))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["guidelines", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 rule(s)" in result.output
    exported = runner.invoke(args=["guidelines", "export"])
    assert exported.exit_code == 0
    assert [r["id"] for r in json.loads(exported.output)["rules"]] == ["no-prices",
                                                                       "personal-data"]
    again = tmp_path / "again.json"
    again.write_text(exported.output)
    assert runner.invoke(args=["guidelines", "import", str(again)]).exit_code == 0


def test_a_bad_rule_file_is_refused_as_a_whole_with_lines(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    assert runner.invoke(args=["guidelines", "import", str(good)]).exit_code == 0
    with app.app_context():
        before = current_set()
        assert before is not None
        before_id = before.id
    bad = tmp_path / "bad.json"
    bad.write_text(BAD)
    result = runner.invoke(args=["guidelines", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 4" in result.output and "prase" in result.output
    assert "line 10" in result.output and "bad-regex" in result.output
    assert "line 14" in result.output and "ok5" in result.output
    assert "rules were not changed" in result.output
    with app.app_context():
        after = current_set()
        assert after is not None and after.id == before_id


def test_a_file_that_is_not_json_is_refused_with_its_line(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"version": 1,\n "rules": [\n  {"id": "a",,}\n]}')
    result = app.test_cli_runner().invoke(args=["guidelines", "import", str(bad)])
    assert result.exit_code == 1 and "line 3" in result.output


def test_admin_replaces_rules_on_the_page_and_keeps_a_bad_text(
        client: FlaskClient, signed_in: Callable[..., Any]) -> None:
    signed_in(Role.ADMIN)
    assert client.get("/admin/guidelines").status_code == 200
    refused = client.post("/admin/guidelines", data={"rules": BAD})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "line 4" in page and "(unclosed" in page  # the errors, and the text as typed
    saved = client.post("/admin/guidelines", data={"rules": json.dumps(GOOD)})
    assert saved.status_code == 302
    page = client.get("/admin/guidelines").get_data(as_text=True)
    assert "no-prices" in page and "Prices are for Sales." in page
    uploaded = client.post("/admin/guidelines", data={
        "rules": "", "file": (io.BytesIO(json.dumps({"version": 1, "rules": []}).encode()),
                              "rules.json")}, content_type="multipart/form-data")
    assert uploaded.status_code == 302
    exported = client.get("/admin/guidelines/export")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(exported.data) == {"version": 1, "rules": []}


def test_try_a_text_shows_the_findings(client: FlaskClient, signed_in: Callable[..., Any],
                                       rules_in_force: None) -> None:
    signed_in(Role.ADMIN)
    response = client.post("/admin/guidelines/try", data={
        "text": "De prijsverhoging komt eraan.", "network": "", "department": ""},
        headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "Prices are for Sales." in fragment
    assert '<mark class="finding finding-warn">prijsverhoging</mark>' in fragment
    full = client.post("/admin/guidelines/try", data={"text": "Nothing to see.",
                                                      "network": "", "department": ""})
    assert full.status_code == 200 and "No findings" in full.get_data(as_text=True)


def test_admin_turns_a_rule_off_and_on_and_removes_it(
        app: Flask, client: FlaskClient, signed_in: Callable[..., Any],
        rules_in_force: None) -> None:
    signed_in(Role.ADMIN)
    check = {"text": "De prijsverhoging.", "network": "", "department": ""}
    fetch = {"X-Requested-With": "fetch"}
    assert client.post("/admin/guidelines/rules/no-prices",
                       data={"action": "disable"}).status_code == 302
    page = client.get("/admin/guidelines").get_data(as_text=True)
    assert "Turn on" in page
    assert "Prices are for Sales." not in client.post(
        "/admin/guidelines/try", data=check, headers=fetch).get_data(as_text=True)
    assert client.post("/admin/guidelines/rules/no-prices",
                       data={"action": "enable"}).status_code == 302
    assert "Prices are for Sales." in client.post(
        "/admin/guidelines/try", data=check, headers=fetch).get_data(as_text=True)
    assert client.post("/admin/guidelines/rules/no-prices",
                       data={"action": "delete"}).status_code == 302
    with app.app_context():
        current = current_set()
        assert current is not None
        assert [r["id"] for r in current.document["rules"]] == ["personal-data"]
    assert client.post("/admin/guidelines/rules/no-prices",
                       data={"action": "delete"}).status_code == 404
    assert client.post("/admin/guidelines/rules/personal-data",
                       data={"action": "explode"}).status_code == 422


def test_every_example_on_the_rules_page_is_a_valid_rule_of_its_kind() -> None:
    from advocacy.guidelines import KINDS, RuleSet
    from advocacy.rulebook.examples import EXAMPLES

    assert sorted(kind for kind, _, _ in EXAMPLES) == sorted(KINDS)
    rules = RuleSet.from_rules([rule for _, _, rule in EXAMPLES])
    assert [r.kind for r in rules.rules] == [kind for kind, _, _ in EXAMPLES]
