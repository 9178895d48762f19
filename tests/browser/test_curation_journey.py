"""The curation loop in a real browser: the author meets a blocking finding while writing and
fixes it; a curator asks for changes; the author revises; the curator approves."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.rulebook.operations import replace_rules
from tests.browser.conftest import BrowserProblems, sign_in, sign_out

pytestmark = pytest.mark.browser

RULES = {"version": 1, "rules": [
    {"id": "personal-data", "kind": "pii", "severity": "block",
     "message": {"en": "This looks like personal data.", "nl": "Dit lijken persoonsgegevens."},
     "hint": {"en": "Remove the phone number or e-mail address.",
              "nl": "Haal het telefoonnummer of e-mailadres weg."}},
    {"id": "tone", "kind": "phrase", "severity": "info", "phrases": ["world-class"],
     "message": {"en": "Marketing words sound less like you.",
                 "nl": "Marketingwoorden klinken minder als jezelf."}},
]}


@pytest.fixture()
def rules_in_force(app: Flask) -> None:
    with app.app_context():
        replace_rules(None, json.dumps(RULES), via="cli")
        db.commit()


def test_author_fixes_a_finding_curator_asks_for_changes_then_approves(
    page: Page, make_user: Callable[..., User], topics: list[str], rules_in_force: None,
    problems: BrowserProblems, shot: Callable[[str], Path],
) -> None:
    author = make_user(name="Eva Author", department="Operations")
    curator = make_user(Role.CURATOR, name="Cor Curator", department="Communications")
    title = "Open day at the Gent warehouse"

    # 1. The author writes; the live pre-flight marks the phone number before any save.
    sign_in(page, author)
    page.goto("/stories/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your story").fill(
        "Forty visitors came. Questions? Call me on 06-12345678 any time.")
    page.get_by_role("checkbox", name="Customers").check()
    preflight = page.locator("[data-preflight]")
    expect(preflight.locator("mark.finding-block")).to_have_text("06-12345678")
    expect(preflight).to_contain_text("This looks like personal data.")
    expect(preflight).to_contain_text("Remove the phone number or e-mail address.")
    shot("curation-01-preflight-blocks")

    # 2. Submitting anyway saves the draft but does not submit it; the finding is shown.
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status").first).to_contain_text("saved, but not submitted")
    expect(page.locator("[data-preflight] mark.finding-block")).to_have_text("06-12345678")
    expect(page.get_by_label("Your story")).to_have_value(re.compile("06-12345678"))

    # 3. The author fixes the text; the panel clears while they type; submit goes through.
    page.get_by_label("Your story").fill("Forty visitors came. Ask me anything at the desk.")
    expect(preflight).to_contain_text("No findings")
    shot("curation-02-preflight-clear")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("article.story .badge")).to_have_text("Submitted")
    sign_out(page)

    # 4. The curator finds it in the queue and asks for changes, with a reason.
    sign_in(page, curator)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    shot("curation-03-queue")
    page.get_by_role("link", name=re.compile(title)).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.get_by_role("radio", name="Request changes").check()
    page.get_by_label("Comment for the author").fill("Lovely! Could you add how many "
                                                     "colleagues helped?")
    shot("curation-04-desk")
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Decision saved")
    sign_out(page)

    # 5. The author is told, reads the reason in the conversation and revises.
    sign_in(page, author)
    bell = page.get_by_role("navigation", name="Main").get_by_role("link",
                                                                   name=re.compile("Notifications"))
    expect(bell).to_contain_text("1")
    bell.click()
    page.get_by_role("link", name=re.compile("asked for changes")).click()
    expect(page.locator("article.story .badge")).to_have_text("Changes requested")
    expect(page.locator("#thread")).to_contain_text("how many colleagues helped")
    shot("curation-05-author-reads-feedback")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Your story").fill(
        "Forty visitors came; six colleagues from Operations showed them around.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("article.story .badge")).to_have_text("Submitted")
    sign_out(page)

    # 6. The curator sees version 2 and approves it with a caption for LinkedIn.
    sign_in(page, curator)
    page.goto("/review")
    page.get_by_role("link", name=re.compile(title)).click()
    expect(page.locator("#thread")).to_contain_text("submitted version 2")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_text("When you approve: topics, timing and captions").click()
    page.get_by_label("Suggested caption for LinkedIn").fill("Our open day, told by Eva.")
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_role("status").first).to_contain_text("you approved the story")
    sign_out(page)

    # 7. The author sees it approved.
    sign_in(page, author)
    page.goto("/notifications")
    expect(page.locator(".notifications li").first).to_contain_text("approved your story")
    page.locator(".notifications li a").first.click()
    expect(page.locator("article.story .badge")).to_have_text("Approved")
    shot("curation-06-approved")

    assert problems.unexpected() == []
