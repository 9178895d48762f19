"""The Account page fits a phone, in English and Dutch, whatever the length of the address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from advocacy.accounts.models import User
from tests.browser.conftest import BrowserProblems, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_account_page_never_scrolls_sideways_on_a_phone(
        page: Page, make_user: Callable[..., User], problems: BrowserProblems,
        shot: Callable[[str], Path], language: str) -> None:
    user = make_user(email="marie-christine.van-den-berghe-oudenaarde@facilities.example.org")
    sign_in(page, user)
    page.goto("/account")
    if language == "nl":
        page.get_by_role("button", name="NL").click()
        expect(page.get_by_role("heading", name="Account")).to_be_visible()
    expect(page.get_by_text(user.email)).to_be_visible()
    shot(f"account-phone-{language}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("innerWidth"), f"the page is {width} px wide"
    assert problems.unexpected() == []
