"""Shared by the browser tests: a phone-sized Chromium context, a watch on console errors and
CSP violations, screenshots, and signing in through the real form.

Runs headless Debian Chromium (see ``browser_type_launch_args`` in ``tests/conftest.py``)
against ``live_server`` (CSRF on). Screenshots go to ``/tmp/advocacy-shots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from advocacy.accounts.models import User
from tests.conftest import PASSWORD

SHOTS = Path("/tmp/advocacy-shots")
PHONE = {"width": 390, "height": 844}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A phone: small viewport, 3x pixels, touch, mobile meta-viewport handling, British English."""
    return {**browser_context_args, "viewport": PHONE, "device_scale_factor": 3,
            "is_mobile": True, "has_touch": True, "locale": "en-GB", "user_agent": PHONE_UA}


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and CSP violations seen on the page."""

    console: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def unexpected(self, *expected: str) -> list[str]:
        """Everything seen, except console errors matching one of the ``expected`` regexes."""
        allowed = [re.compile(pattern) for pattern in expected]
        console = [m for m in self.console if not any(a.search(m) for a in allowed)]
        return console + self.csp


@pytest.fixture()
def problems(page: Page) -> Iterator[BrowserProblems]:
    """Collect what would show up red in the devtools; the test asserts it stays empty."""
    page.set_default_timeout(10_000)
    seen = BrowserProblems()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console.append(f"console error: {message.text} ({message.location})")
        elif "Content Security Policy" in message.text:
            seen.csp.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.console.append(f"uncaught: {exc}"))
    page.expose_function("__reportCsp", lambda text: seen.csp.append(f"violation: {text}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " window.__reportCsp(e.violatedDirective + ' blocked ' + e.blockedURI"
        " + ' at ' + e.sourceFile + ':' + e.lineNumber); });"
    )
    yield seen


@pytest.fixture()
def shot(page: Page) -> Callable[[str], Path]:
    """``shot("journey-03-story")`` saves a full-page screenshot for a human to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, user: User, shot: Callable[[str], Path] | None = None) -> None:
    """Sign in through the login form; with ``shot``, photograph the filled form first."""
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    if shot:
        shot("journey-01-login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="My stories")).to_be_visible()


def sign_out(page: Page) -> None:
    """Sign out with the header's button."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
