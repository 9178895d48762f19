"""A phone user writes a story with a photo in a real browser, then reads the hub in Dutch.

Runs headless Debian Chromium (see ``browser_type_launch_args`` in ``tests/conftest.py``)
against ``live_server`` (CSRF on). Screenshots of every step go to ``/tmp/advocacy-shots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect

from advocacy.accounts.models import User
from tests.browser.conftest import BrowserProblems, sign_in
from tests.conftest import photo_bytes

pytestmark = pytest.mark.browser


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
    # Form posts only: the live guideline check posts the text as it is typed.
    page.on("request", lambda req: posts.append(req.url)
            if req.method == "POST" and not req.url.endswith("/guidelines/preflight") else None)
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
