"""Sharing in a real browser on a phone: an employee opts in as an ambassador, finds an approved
story in their feed, writes a post for X (too long first, then fixed, with the required
disclosure added in one click), prepares the share, marks it as posted, follows their own
tracked link to the public page and sees the click in "My impact"; then reads the feed in Dutch.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.analytics.models import Click
from tests.browser.conftest import PHONE, BrowserProblems, sign_in
from tests.conftest import Person, photo_bytes
from tests.sharing.test_tracked_links import drain

pytestmark = pytest.mark.browser

TITLE = "Gent warehouse cut packaging waste by a third"
BODY = ("Since March the Gent team has been reusing the crates our suppliers deliver in. "
        "Packaging waste went down by a third, and the forklift drivers came up with half of "
        "the ideas.")
CAPTION = "A third less packaging waste in Gent, thanks to the people who move the crates."
DISCLOSURE = {"id": "disclose", "kind": "disclosure", "severity": "warn", "networks": ["x"],
              "text": "#werkenbij"}
X_LIMIT = 280
DESKTOP = {"width": 1280, "height": 900}


def fits_the_phone(page: Page) -> None:
    """Nothing on the page makes it scroll sideways."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def wait_for_clicks(app: Flask, share_id: int, timeout: float = 10.0) -> int:
    """The live server's recorder hands clicks to the queue every half second; run the
    queue here, as a worker would, until the click is stored."""
    deadline = time.monotonic() + timeout
    while True:
        drain(app)
        with app.app_context():
            stored = db.session.scalar(
                select(func.count()).select_from(Click).where(Click.share_id == share_id)) or 0
        if stored or time.monotonic() > deadline:
            return int(stored)
        time.sleep(0.2)


def meta(page: Page, selector: str) -> str | None:
    return page.locator(selector).get_attribute("content")


def test_employee_opts_in_shares_a_story_on_x_and_sees_the_click(
    page: Page, app: Flask, make_user: Callable[..., User],
    person: Callable[..., Person], submitted: Callable[..., dict[str, Any]],
    approved: Callable[..., dict[str, Any]], rules: Callable[..., None], live_server: str,
    problems: BrowserProblems, shot: Callable[[str], Path],
) -> None:
    # Beforehand, through the API: an author hands in a story with a photo on Sustainability;
    # a curator approves it with a caption for X. Another story, on Customers, is approved too.
    author = person(name="Sanne de Vries", department="Operations")
    curator = person(Role.CURATOR, name="Cor Curator", department="Communications")
    story = approved(author, curator, story=submitted(
        author, title=TITLE, body=BODY, topics=["sustainability"], consent="true",
        media=[(io.BytesIO(photo_bytes(size=(1600, 1000))), "crates.jpg")]),
        captions={"x": CAPTION})
    other = approved(author, curator, story=submitted(
        author, title="A customer's thank-you card", topics=["customers"]))
    slug = str(story["public_url"]).rsplit("/", 1)[1]
    rules(DISCLOSURE)
    employee = make_user(name="Noor Ambassador", department="Sales")

    # 1. The employee opens "Share", reads what the hub will and will never do, and opts in.
    sign_in(page, employee)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Share").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Become an ambassador")
    expect(page.get_by_role("heading", name="What the hub will do")).to_be_visible()
    expect(page.get_by_role("heading", name="What it will never do")).to_be_visible()
    page.get_by_role("checkbox", name="Sustainability").check()
    fits_the_phone(page)
    shot("sharing-01-opt-in")
    page.get_by_role("button", name="Yes, I want to share stories").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Stories to share")
    expect(page.get_by_role("status").first).to_contain_text("Welcome, ambassador")
    item = page.locator(".feed-item", has_text=TITLE)
    expect(item).to_be_visible()
    expect(item).to_contain_text("Sustainability")
    expect(item).to_contain_text("Sanne de Vries")
    expect(page.locator(".feed-item", has_text=other["title"])).to_have_count(0)
    expect(page.locator(".feed-item")).to_have_count(1)
    fits_the_phone(page)
    shot("sharing-02-feed")

    # 2. The composer: X brings the curator's caption; too long turns the counter red.
    item.get_by_role("link", name="Share").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Share “{TITLE}”")
    words = page.get_by_label("Your words")
    expect(words).to_have_value("")  # LinkedIn comes first and has no caption
    page.get_by_role("radio", name="X", exact=True).check()
    expect(words).to_have_value(CAPTION)
    panel = page.locator("[data-share-panel]")
    expect(panel.locator(".counter")).to_contain_text(f"/ {X_LIMIT}")

    too_long = ("Proud of my colleagues in Gent: " + "every crate reused is a box not thrown "
                "away, " * 7).strip()
    words.fill(too_long)
    check = panel.locator("[data-share-check]")
    expect(check).to_have_attribute("data-fits", "false")
    counter = panel.locator(".counter.over")
    expect(counter).to_be_visible()
    count = int(counter.locator("[data-count]").inner_text())
    assert count > X_LIMIT
    # The link stands at the end of the text, so the count is the text's plus the link's.
    assert count > len(too_long)
    expect(counter).to_contain_text(f"Too long for X by {count - X_LIMIT}.")
    colour = counter.locator("[data-count]").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(179, 38, 30)"  # --danger
    # The disclosure rule for X is in force: the finding offers to add it.
    expect(panel.locator("[data-findings]")).to_contain_text("Rule disclose (en)")
    add = panel.get_by_role("button", name="Add “#werkenbij”")
    expect(add).to_be_visible()
    counter.scroll_into_view_if_needed()
    fits_the_phone(page)
    shot("sharing-03-composer-over-limit")
    page.set_viewport_size(DESKTOP)
    shot("sharing-03-composer-over-limit-desktop")
    page.set_viewport_size(PHONE)

    mine = "Proud of my colleagues in Gent: a third less packaging waste."
    words.fill(mine)
    expect(check).to_have_attribute("data-fits", "true")
    expect(panel.locator(".counter")).not_to_have_class(re.compile(r"\bover\b"))
    expect(panel.locator(".counter")).not_to_contain_text("Too long")
    fitting = int(panel.locator("[data-count]").inner_text())
    assert fitting <= X_LIMIT
    add.click()
    expect(words).to_have_value(f"{mine} #werkenbij")
    expect(panel.locator("[data-findings]")).to_have_count(0)
    expect(panel.get_by_role("button", name="Add “#werkenbij”")).to_have_count(0)
    expect(panel.locator("[data-count]")).to_have_text(str(fitting + len(" #werkenbij")))
    panel.get_by_text("What will be posted").click()
    expect(panel.locator(".post-preview")).to_have_text(f"{mine} #werkenbij [your link]")
    fits_the_phone(page)
    shot("sharing-04-composer-fits")

    # 3. Prepare the share: the page has X's share link with the text and the tracked link.
    page.get_by_role("button", name="Prepare my share").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your share on X")
    share_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    tracked = page.locator("section.card code").inner_text().strip()
    assert re.fullmatch(re.escape(live_server) + r"/l/[A-Za-z0-9_-]{8}", tracked), tracked
    text = page.locator("#share-text").inner_text().strip()
    assert text == f"{mine} #werkenbij {tracked}"
    intent = page.get_by_role("link", name="Open X to post")
    expect(intent).to_have_attribute("target", "_blank")
    href = intent.get_attribute("href") or ""
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "x.com", "/intent/tweet")
    assert parse_qs(parts.query) == {"text": [text]}
    assert "%20" in parts.query and "+" not in parts.query
    expect(page.locator("section.card .badge").first).to_have_text("Share link opened")

    post_url = "https://x.com/noor_ambassador/status/1800000000000000000"
    page.get_by_label("Address of your post (optional)").fill(post_url)
    page.get_by_role("button", name="Mark as posted").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Marked as posted. Thank you for sharing.")
    expect(page.locator("section.card .badge").first).to_have_text("Posted")
    expect(page.get_by_role("link", name="Your post")).to_have_attribute("href", post_url)
    expect(page.get_by_role("button", name="Save the address")).to_be_visible()
    expect(page.get_by_role("region", name="What it did")).to_contain_text("0 clicks")
    fits_the_phone(page)
    shot("sharing-05-share-page")

    # 4. The ambassador checks their own link (not a click), then a friend follows it: it leads
    # to the public page, with the share's UTM parameters.
    page.goto(tracked)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("link", name="Share this story")).to_be_visible()
    browser = page.context.browser
    assert browser is not None
    friend = browser.new_context(user_agent=page.evaluate("navigator.userAgent"),
                                 viewport=page.viewport_size, base_url=live_server)
    visitor = friend.new_page()
    visitor.goto(tracked)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    landed = urlsplit(visitor.url)
    assert f"{landed.scheme}://{landed.netloc}" == live_server
    assert landed.path == f"/s/{slug}"
    assert parse_qs(landed.query) == {
        "utm_source": ["x"], "utm_medium": ["advocacy"], "utm_campaign": [slug],
        "utm_content": [f"share-{share_id}"]}
    canonical = f"{live_server}/s/{slug}"
    assert visitor.locator('link[rel="canonical"]').get_attribute("href") == canonical
    assert meta(visitor, 'meta[property="og:title"]') == TITLE
    assert meta(visitor, 'meta[property="og:description"]') == BODY
    assert meta(visitor, 'meta[property="og:url"]') == canonical
    assert meta(visitor, 'meta[property="og:type"]') == "article"
    image = meta(visitor, 'meta[property="og:image"]') or ""
    assert re.fullmatch(re.escape(live_server) + r"/media/\d+/card", image), image
    assert meta(visitor, 'meta[name="twitter:card"]') == "summary_large_image"
    assert meta(visitor, 'meta[name="twitter:title"]') == TITLE
    card = visitor.request.get(image)
    assert card.ok and card.headers["content-type"] == "image/jpeg"
    expect(visitor.locator("article")).to_contain_text("By Sanne de Vries")
    photo = visitor.get_by_role("img", name=f"Photo of {TITLE}")
    expect(photo).to_be_visible()
    visitor.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=photo.element_handle())
    expect(visitor.get_by_role("link", name="Share this story")).to_have_count(0)
    fits_the_phone(visitor)
    shot("sharing-06-public-page")

    # The click is counted as a person's (the context sends a phone's Chrome user agent,
    # not HeadlessChrome) once a worker has stored it; "My impact" shows it.
    assert "HeadlessChrome" not in visitor.evaluate("navigator.userAgent")
    assert wait_for_clicks(app, share_id) == 1
    friend.close()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Share").click()
    feed_item = page.locator(".feed-item", has_text=TITLE)
    expect(feed_item.locator(".shared-mark")).to_have_text("✓ Shared on X")
    page.get_by_role("navigation", name="Sharing").get_by_role("link", name="My impact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My impact")
    tiles = page.locator(".tiles .tile")
    expect(tiles.nth(0)).to_have_text(re.compile(r"^\s*1\s+shares?\s*$"))
    expect(tiles.nth(1)).to_have_text(re.compile(r"^\s*1\s+clicks?\s*$"))
    expect(tiles.nth(2)).to_have_text(re.compile(r"^\s*1\s+visitors?\s*$"))
    row = page.locator("table.figures tbody tr", has_text="X")
    expect(row.locator("td")).to_have_text(["1", "1", "1", "0"])
    fits_the_phone(page)
    shot("sharing-07-impact")
    page.goto(f"/shares/{share_id}")
    expect(page.get_by_role("region", name="What it did")).to_contain_text(
        "1 click · 1 visitor · 0 link previews")

    # 5. The hub in Dutch: the switch works; the feed's heading is Dutch once translated.
    page.goto("/feed")
    page.get_by_role("button", name=re.compile(r"^NL\b")).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("navigation", name="Hoofdmenu")
           .get_by_role("link", name="Mijn verhalen")).to_be_visible()
    expect(page.locator(".feed-item", has_text=TITLE)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verhalen om te delen")
    expect(page.get_by_role("navigation", name="Delen").get_by_role("link")).to_have_text(
        ["Feed", "Mijn impact", "Onderwerpen en instellingen"])
    fits_the_phone(page)
    shot("sharing-08-feed-nl")
    page.locator(".feed-item", has_text=TITLE).get_by_role("link", name="Delen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"“{TITLE}” delen")
    fits_the_phone(page)
    shot("sharing-09-composer-nl")

    assert problems.unexpected() == []
