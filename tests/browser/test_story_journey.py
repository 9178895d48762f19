"""A phone user writes a story with a photo in a real browser, then reads the hub in Dutch.

Runs headless Debian Chromium (see ``browser_type_launch_args`` in ``tests/conftest.py``)
against ``live_server`` (CSRF on). Screenshots of every step go to ``/tmp/advocacy-shots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, FilePayload, Page, expect

from advocacy.accounts.models import User
from tests.conftest import PASSWORD, photo_bytes

pytestmark = pytest.mark.browser

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


def test_phone_user_submits_a_story_with_a_photo_then_reads_the_hub_in_dutch(
    page: Page, make_user: Callable[..., User], topics: list[str],
    problems: BrowserProblems, shot: Callable[[str], Path], tmp_path: Path,
) -> None:
    user = make_user()
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(photo_bytes(exif_gps=True))

    # 1. Sign in through the form.
    sign_in(page, user, shot)

    # 2. Write the story.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New story").click()
    expect(page.get_by_role("heading", name="New story")).to_be_visible()
    page.get_by_label("Title").fill("Our bakery's first vegan croissant")
    page.get_by_label("Your story").fill("The night shift tried twelve recipes.\nNumber nine won.")
    page.get_by_role("checkbox", name="Sustainability").check()
    # The input itself is visually hidden; the user taps its label, styled as a button.
    expect(page.locator("label.file-button", has_text="Choose photos")).to_be_visible()
    expect(page.get_by_label("Choose photos")).to_have_id("photos")
    page.set_input_files("#photos", photo)
    preview = page.locator("[data-photo-preview] li")
    expect(preview).to_have_count(1)
    expect(preview).to_contain_text("IMG_0042.jpg")
    expect(preview.locator("img")).to_be_visible()
    expect(page.locator("[data-photo-errors]")).to_be_hidden()
    page.get_by_role("checkbox", name=re.compile("agreed to be shown")).check()
    shot("journey-02-new-story")

    # 3. Submit: the story page says Submitted and that the location was removed.
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(re.compile(r"/stories/\d+$"))
    story = page.locator("article.story")
    expect(story.get_by_role("heading", name="Our bakery's first vegan croissant")).to_be_visible()
    expect(story.locator(".badge")).to_have_text("Submitted")
    expect(page.get_by_role("status").first).to_contain_text("Your story is submitted")
    expect(story.get_by_text("Removed from your photos before anyone else saw them")) \
        .to_contain_text("location")
    image = story.get_by_role("img", name=re.compile("Photo 1 of"))
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())
    shot("journey-03-story-submitted")

    # 4. My stories lists it as Submitted.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My stories").click()
    expect(page.get_by_role("heading", name="My stories")).to_be_visible()
    row = page.locator(".story-row", has_text="Our bakery's first vegan croissant")
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text("Submitted")
    shot("journey-04-my-stories")

    # 5. Switch to Dutch with the header's language switch.
    page.get_by_role("button", name=re.compile(r"^NL\b")).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("button", name=re.compile(r"^NL\b"))) \
        .to_have_attribute("aria-pressed", "true")
    shot("journey-05-my-stories-nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn verhalen")

    assert problems.unexpected() == []


def test_phone_user_picks_a_file_that_is_not_a_photo(
    page: Page, base_url: str, make_user: Callable[..., User], topics: list[str],
    problems: BrowserProblems, shot: Callable[[str], Path],
) -> None:
    sign_in(page, make_user())
    page.goto("/stories/new")
    title, body = "Notes from the open day", "Forty visitors, two job applications."
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your story").fill(body)

    # A text file named like a photo: the browser calls it image/jpeg by its name, so the
    # page must look at its first bytes to see it is not a photo.
    not_a_photo: FilePayload = {"name": "photo.jpg", "mimeType": "image/jpeg",
                                "buffer": b"Shopping list: flour, yeast.\n"}
    page.set_input_files("#photos", files=not_a_photo)
    client_error = page.locator("[data-photo-errors]")
    expect(client_error).to_be_visible()
    expect(client_error).to_have_text(re.compile(r"“photo\.jpg” is not a photo"))
    posts: list[str] = []
    page.on("request", lambda req: posts.append(req.url) if req.method == "POST" else None)
    page.get_by_role("button", name="Submit for review").click()
    expect(client_error).to_be_visible()
    page.wait_for_timeout(300)  # a submit that got through would have started its POST by now
    assert posts == [], "the page's check let the text file through"
    shot("bad-file-01-client-check")

    # Past the page's check (form.submit() fires no submit event): the server says the same.
    with page.expect_navigation():
        page.evaluate("document.querySelector('form.story-form').submit()")
    assert [url.removeprefix(base_url) for url in posts] == ["/stories/new"]
    expect(page.get_by_role("alert").first).to_contain_text("Your story is not saved yet")
    expect(page.locator("#photos-errors")).to_contain_text(
        "“photo.jpg” is not a photo: its content is not a JPEG, PNG, WebP or HEIC image")
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_label("Your story")).to_have_value(body)
    expect(page.get_by_text("Please choose your photos again")).to_be_visible()
    shot("bad-file-02-server-check")

    # Chromium logs the deliberate 415 answer to the form post as a failed resource load.
    assert problems.unexpected(r"status of 415 .*/stories/new'") == []
