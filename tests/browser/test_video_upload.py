"""A phone user films a vlog for their story in a real browser: the upload shows its progress,
waits out a dropped connection and carries on from where it stopped, and the processed video
plays with its poster.

Runs headless Debian Chromium (see ``browser_type_launch_args`` in ``tests/conftest.py``)
against ``live_server`` (CSRF on): tus to local files on the embedded backend, presigned
multipart straight to SeaweedFS on the services backend. Screenshots go to
``/tmp/advocacy-shots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import BrowserContext, Page, Request, Response, ViewportSize, expect

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.media.models import MediaAsset
from advocacy.media.storage import S3Storage, storage
from advocacy.queue import queue_of
from advocacy.stories.models import Story
from advocacy.stories.operations import create_story
from tests.browser.conftest import PHONE, BrowserProblems, sign_in
from tests.media.videos import picture, tone, truncated_mp4

pytestmark = pytest.mark.browser

DESKTOP = ViewportSize(width=1280, height=800)
PROCESS_VIDEO = "advocacy.media.tasks.process_video"


def noisy_mp4(path: Path, *, seconds: float = 2.0, size: tuple[int, int] = (480, 270),
              fps: int = 25) -> Path:
    """The test pattern of ``tests.media.videos`` under heavy noise at a high bitrate: noise
    does not compress, so a few seconds make a few megabytes, enough for an upload that
    takes many requests. H.264 + AAC in an MP4, as a phone films it."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 12_000_000
        stream.options = {"preset": "ultrafast", "crf": "4"}
        audio = out.add_stream("aac", rate=48000, layout="stereo")
        for i in range(round(seconds * fps)):
            noise = Image.effect_noise(size, 90).convert("RGB")
            frame = av.VideoFrame.from_image(  # type: ignore[no-untyped-call]
                Image.blend(picture(size, i, fps), noise, 0.35))
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        for sound in tone(seconds):
            out.mux(audio.encode(sound))
        out.mux(audio.encode(None))
    return path


def draft_of(app: Flask, user: User, title: str = "Thirty seconds on the shop floor") -> int:
    with app.app_context():
        author = db.session.get(User, user.id)
        assert author is not None
        story = create_story(author, title=title, body="Filmed during the morning shift.",
                             topics=[])
        db.commit()
        return story.id


@pytest.fixture()
def bucket_takes_parts(app: Flask, base_url: str) -> Iterator[bool]:
    """On S3, the step an operator takes once (``advocacy media cors``): the bucket lets the
    hub's pages PUT parts and read their ETag. Yields whether the page uploads to S3."""
    with app.app_context():
        store = storage()
        if not isinstance(store, S3Storage):
            yield False
            return
        store.allow_browser_uploads([base_url])
    yield True
    with app.app_context():
        store.client.delete_bucket_cors(Bucket=store.bucket)


def no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_the_video_control_offers_camera_and_library_and_fits_phone_and_desktop(
    page: Page, app: Flask, make_user: Callable[..., User], problems: BrowserProblems,
    shot: Callable[[str], Path],
) -> None:
    user = make_user()
    story_id = draft_of(app, user)
    sign_in(page, user)
    page.goto(f"/stories/{story_id}/edit")
    videos = page.get_by_role("group", name="Add a video")
    expect(videos).to_be_visible()
    film = videos.get_by_label("Film a video")
    expect(film).to_have_attribute("capture", "environment")
    expect(film).to_have_attribute("accept", "video/*")
    library = videos.get_by_label("Choose a video")
    expect(library).to_have_attribute("accept", "video/*")
    assert library.get_attribute("capture") is None, "the library must not force the camera"
    # The form never sends the video itself: it uploads on its own.
    assert film.get_attribute("name") is None and library.get_attribute("name") is None
    expect(videos).to_contain_text("Up to 3 minutes long.")
    no_horizontal_scroll(page)
    shot("video-01-phone-form")
    page.set_viewport_size(DESKTOP)
    no_horizontal_scroll(page)
    shot("video-01-desktop-form")
    page.set_viewport_size(ViewportSize(width=PHONE["width"], height=PHONE["height"]))
    assert problems.unexpected() == []


class UploadWatch:
    """What went over the wire for the upload, seen from the browser: tus PATCH offsets
    (what the hub had when each chunk left) or the presigned parts the bucket took."""

    def __init__(self, page: Page) -> None:
        self.creations = 0
        self.patch_offsets: list[int] = []
        self.parts_stored: list[int] = []
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request: Request) -> None:
        if request.method == "POST" and re.search(r"/api/v1/uploads(/s3)?$", request.url):
            self.creations += 1
        elif request.method == "PATCH" and "/api/v1/uploads/" in request.url:
            self.patch_offsets.append(int(request.headers["upload-offset"]))

    def _response(self, response: Response) -> None:
        part = re.search(r"[?&]partNumber=(\d+)", response.url)
        if response.request.method == "PUT" and part and response.ok:
            self.parts_stored.append(int(part.group(1)))

    def bytes_sent(self) -> int:
        return len(self.patch_offsets) + len(self.parts_stored)


class Connection:
    """The phone's connection: a slow upstream (DevTools' throttling), so the upload takes
    seconds and the test can go offline in the middle, then offline and back online.

    ``context.set_offline`` tells the page (``navigator.onLine``, the offline and online
    events); the throttling session must drop the connection too, or its own conditions
    keep the requests going."""

    def __init__(self, context: BrowserContext, page: Page, bytes_per_second: int) -> None:
        self.context = context
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self._conditions(offline=False, upload=bytes_per_second)

    def _conditions(self, *, offline: bool, upload: int = -1) -> None:
        self.cdp.send("Network.emulateNetworkConditions", {
            "offline": offline, "latency": 0 if offline else 20, "downloadThroughput": -1,
            "uploadThroughput": upload})

    def offline(self) -> None:
        self.context.set_offline(True)
        self._conditions(offline=True)

    def online(self) -> None:
        self._conditions(offline=False)
        self.context.set_offline(False)


def first_bytes_stored(response: Response) -> bool:
    """The hub took a tus chunk past the first few, or the bucket took the first part."""
    request = response.request
    if request.method == "PATCH" and response.ok:
        return int(request.headers["upload-offset"]) >= 4 * 128 * 1024
    return request.method == "PUT" and "partNumber=1&" in response.url + "&" and response.ok


def run_video_tasks(app: Flask) -> list[Any]:
    """Do what ``advocacy worker`` does with the queued video processing, in this process."""
    queue = queue_of(app)
    results = []
    for _ in range(50):
        message = queue.huey.dequeue()
        if message is None:
            break
        if message.name == PROCESS_VIDEO:
            results.append(queue.huey.execute(message))
    return results


def bar_value(page: Page) -> int:
    return int(page.locator(".video-item progress").evaluate("bar => bar.value"))


def test_phone_upload_survives_going_offline_then_plays_with_its_poster(
    page: Page, context: BrowserContext, app: Flask, make_user: Callable[..., User],
    problems: BrowserProblems, shot: Callable[[str], Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, bucket_takes_parts: bool,
) -> None:
    s3 = bucket_takes_parts
    if s3:  # S3's smallest part, so a few megabytes make several parts
        monkeypatch.setattr("advocacy.uploads.operations.PART_SIZE", 5 * 1024 * 1024)
    clip = noisy_mp4(tmp_path / "VID_20260501_0930.mp4", seconds=4.0 if s3 else 1.2)
    size = clip.stat().st_size
    queue_of(app).huey.flush()
    user = make_user()
    story_id = draft_of(app, user)
    sign_in(page, user)
    page.goto(f"/stories/{story_id}/edit")
    box = page.locator("[data-video-uploads]")
    expect(box).to_have_attribute("data-upload-protocol", "s3" if s3 else "tus")
    # Small tus chunks, so the upload is many PATCH requests (the page's default is 8 MiB);
    # S3 parts one at a time, so the connection can drop between two of them.
    box.evaluate("box => { box.setAttribute('data-chunk-size', String(128 * 1024));"
                 " box.setAttribute('data-parallel-parts', '1'); }")
    watch = UploadWatch(page)
    connection = Connection(context, page, 300 * 1024 if not s3 else 1500 * 1024)

    with page.expect_response(first_bytes_stored):
        page.set_input_files("#video-file", clip)
    item = page.locator(".video-item")
    expect(item).to_have_count(1)
    expect(item.locator(".video-name")).to_have_text("VID_20260501_0930.mp4")
    bar = page.get_by_role("progressbar", name="Upload of “VID_20260501_0930.mp4”")
    expect(bar).to_be_visible()
    expect(item.locator(".video-status")).to_have_text(
        re.compile(r"^\d+% uploaded · \d+(\.\d)? [kM]B/s · (\d+ s|\d+ min \d+ s) left$"))
    shot("video-02-uploading")

    # The connection drops: the page says it waits, and nothing goes out meanwhile.
    connection.offline()
    status = item.locator(".video-status")
    expect(status).to_have_text(
        "No connection. The upload waits and continues by itself when you are back online.")
    expect(page.locator("[data-video-announce]")).to_contain_text("No connection")
    stalled_at = bar_value(page)
    assert 0 < stalled_at < 100
    sent_before = watch.bytes_sent()
    shot("video-03-offline")

    # Back online: it carries on from where the hub's offset is, and finishes.
    connection.online()
    expect(status).to_have_text("Uploaded. Preparing the video for playback…", timeout=30_000)
    assert watch.creations == 1, "the upload started over instead of resuming"
    assert watch.bytes_sent() > sent_before
    if s3:
        parts = -(-size // (5 * 1024 * 1024))
        assert sorted(set(watch.parts_stored)) == list(range(1, parts + 1))
    else:
        offsets = watch.patch_offsets
        assert len(offsets) > 5
        assert offsets == sorted(offsets), f"the offset went back: {offsets}"
        assert offsets[0] == 0
        assert offsets[sent_before] > 0, "the first PATCH back online started from zero"
    with app.app_context():
        video = db.session.query(MediaAsset).filter_by(story_id=story_id, kind="video").one()
        assert video.status == "processing"
        assert video.bytes == size
        video_id = video.id
    shot("video-04-processing")

    # The worker makes the web version and the poster; the page sees it without a reload.
    assert run_video_tasks(app) == ["ready"]
    player = item.locator("video")
    expect(player).to_be_visible()
    expect(status).to_have_text(re.compile(r"^Ready · 0:0[1-4]$"))
    poster = player.get_attribute("poster")
    assert poster and f"/media/{video_id}/" in poster
    assert page.request.get(poster).headers["content-type"].startswith("image/")
    expect(item.get_by_role("button", name="Remove video")).to_be_visible()
    page.wait_for_function("v => v.readyState >= 1", arg=player.element_handle())
    shot("video-05-ready")

    # Press play: the player's own controls, from the keyboard (they live in the browser's
    # closed shadow tree, out of reach of locators).
    player.focus()
    page.keyboard.press("Space")
    page.wait_for_function("v => !v.paused && v.currentTime > 0.5", arg=player.element_handle())
    shot("video-06-playing")
    no_horizontal_scroll(page)
    # Chromium logs the request the dropped connection failed.
    assert problems.unexpected(r"ERR_INTERNET_DISCONNECTED") == []


def test_a_video_the_hub_cannot_use_says_why_and_removing_it_keeps_the_text(
    page: Page, app: Flask, make_user: Callable[..., User], problems: BrowserProblems,
    shot: Callable[[str], Path], tmp_path: Path, bucket_takes_parts: bool,
) -> None:
    clip = truncated_mp4(tmp_path / "copied-half.mp4")
    queue_of(app).huey.flush()
    user = make_user()
    story_id = draft_of(app, user)
    sign_in(page, user)
    page.goto(f"/stories/{story_id}/edit")
    page.set_input_files("#video-file", clip)
    item = page.locator(".video-item")
    status = item.locator(".video-status")
    expect(status).to_have_text("Uploaded. Preparing the video for playback…")
    assert run_video_tasks(app) == ["failed"]
    expect(status).to_have_text(
        "This video cannot be used: This video is incomplete: the file was cut short, perhaps "
        "while it was copied. Upload it again from the phone or camera that recorded it.")
    expect(page.locator("[data-video-announce]")).to_contain_text("This video is incomplete")
    no_horizontal_scroll(page)
    shot("video-10-failed")

    # Removing it saves the draft through the form, with what was typed meanwhile.
    page.get_by_label("Title").fill("Thirty seconds on the shop floor, take two")
    item.get_by_role("button", name="Remove video").click()
    expect(item).to_have_count(0)
    expect(page.locator("[data-video-announce]")).to_have_text("The video is removed.")
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story is not None
        assert story.title == "Thirty seconds on the shop floor, take two"
        assert [m.kind for m in story.media] == []
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Thirty seconds on the shop floor, take two")
    expect(page.locator(".video-item")).to_have_count(0)
    assert problems.unexpected() == []


def test_in_dutch_a_new_story_is_saved_as_a_draft_first_and_a_reload_mid_upload_continues(
    page: Page, context: BrowserContext, app: Flask, make_user: Callable[..., User],
    problems: BrowserProblems, shot: Callable[[str], Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, bucket_takes_parts: bool,
) -> None:
    s3 = bucket_takes_parts
    if s3:
        monkeypatch.setattr("advocacy.uploads.operations.PART_SIZE", 5 * 1024 * 1024)
    clip = noisy_mp4(tmp_path / "winkelvloer.mp4", seconds=4.0 if s3 else 1.2)
    queue_of(app).huey.flush()
    sign_in(page, make_user())
    page.get_by_role("button", name=re.compile(r"^NL\b")).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.goto("/stories/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw verhaal")
    title, body = "Dertig seconden op de winkelvloer", "Gefilmd tijdens de ochtenddienst."
    page.locator("[name=title]").fill(title)
    page.locator("[name=body]").fill(body)
    box = page.locator("[data-video-uploads]")
    box.evaluate("box => { box.setAttribute('data-chunk-size', String(128 * 1024));"
                 " box.setAttribute('data-parallel-parts', '1'); }")
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page while uploading?"
    watch = UploadWatch(page)
    Connection(context, page, 300 * 1024 if not s3 else 1500 * 1024)

    # Choosing a video on a story without an id saves the draft first, with what was typed,
    # and the form goes on as that draft's edit page.
    with page.expect_response(first_bytes_stored):
        page.set_input_files("#video-file", clip)
    expect(page).to_have_url(re.compile(r"/stories/\d+/edit$"))
    story_id = int(re.findall(r"/stories/(\d+)/edit", page.url)[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Verhaal bewerken")
    expect(page.locator("form.story-form")).to_have_attribute(
        "action", f"/stories/{story_id}/edit")
    expect(page.locator("[name=title]")).to_have_value(title)
    # Dutch words, and Dutch numbers: a decimal comma in the speed, if it has decimals.
    expect(page.locator(".video-item .video-status")).to_have_text(
        re.compile(r"^\d+% geüpload · \d+(,\d)? [kM]B/s · nog (\d+ s|\d+ min \d+ s)$"))
    shot("video-07-nl-new-story-uploading")

    # A reload stops the upload; the page then offers to continue it with the same file.
    page.reload()
    offer = page.locator(".video-item", has_text="winkelvloer.mp4")
    expect(offer).to_contain_text("“winkelvloer.mp4” is niet helemaal geüpload.")
    expect(offer.get_by_role("button", name="Kies het opnieuw")).to_be_visible()
    expect(page.get_by_role("group", name="Video's bij dit verhaal")).to_be_visible()
    no_horizontal_scroll(page)
    shot("video-08-nl-offer-to-continue")
    sent_before = watch.bytes_sent()
    page.set_input_files("#video-file", clip)
    status = page.locator("[data-video-item] .video-status")
    expect(status).to_have_text("Geüpload. De video wordt klaargemaakt om af te spelen…",
                                timeout=30_000)
    assert watch.creations == 1, "the reload made the upload start over"
    if s3:
        parts = -(-clip.stat().st_size // (5 * 1024 * 1024))
        assert sorted(set(watch.parts_stored)) == list(range(1, parts + 1))
    else:
        offsets = watch.patch_offsets
        assert offsets == sorted(offsets), f"the offset went back: {offsets}"
        assert offsets[sent_before] > 0, "the first PATCH after the reload started from zero"
    # One row for the video: the page's own, which the upload finished.
    expect(page.locator(".video-item")).to_have_count(1)

    assert run_video_tasks(app) == ["ready"]
    expect(status).to_have_text(re.compile(r"^Klaar · 0:0[1-4]$"))
    expect(page.locator("[data-video-item] video")).to_have_attribute(
        "poster", re.compile(r"/media/\d+/feed$"))
    no_horizontal_scroll(page)
    shot("video-09-nl-ready")
    page.set_viewport_size(DESKTOP)
    no_horizontal_scroll(page)
    shot("video-09-nl-ready-desktop")
    assert problems.unexpected(r"ERR_ABORTED|ERR_INTERNET_DISCONNECTED") == []
