"""Benchmark: "My stories" (GET /stories, 500 stories) under wrk, beside a bare Flask hello world.

Builds a throwaway hub in a temporary directory (fresh SQLite database and task queue, local
uploads), runs ``advocacy db upgrade``, seeds one employee with 500 stories (one to three
topics each, a photo on every fifth), signs in through the real login form (CSRF on) and then
serves

* the hub: ``gunicorn wsgi:app``, and
* a bare Flask hello world written to the same temporary directory,

both with the same gunicorn settings (2 sync workers by default,
as in the README) on 127.0.0.1. It runs
``wrk -t2 -c32 -d10s --timeout 10s --latency`` against each in alternation (hello, hub,
hello, hub, ...), after an untimed warm-up, and prints the median req/s, p50/p99 latency,
the ratio hub/hello and the target (hub >= 40 % of hello) as PASS or MISS. It checks that
the hub's answers are the real My stories page with 20 stories (a urllib fetch with the same
headers, and wrk's bytes per response) and that wrk counted no errors.

It also counts the SQL queries of one My stories page at 5, 20 and 100 stories per page
(in-process, Flask's test client, an SQLAlchemy ``before_cursor_execute`` listener) and says
whether the number is constant.

    .venv/bin/python bench/pages.py [--duration 10] [--connections 32] [--rounds 2]
                                    [--worker-class gthread|sync] [--threads 4]

Exit code 0 when both targets are met, 1 when one is missed, 2 when it could not measure.
Everything it starts is stopped and the temporary directory removed, also on Ctrl+C. The
parts it shares with ``bench/redirect.py`` and ``bench/feed.py`` are in ``bench/_harness.py``.
"""

from __future__ import annotations

import argparse
import io
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _harness import (
    HELLO_APP,
    ROOT,
    BenchError,
    Target,
    add_arguments,
    alternate,
    counting,
    engine_of,
    fetch,
    gunicorn,
    prepare_hub,
    print_setup,
    print_summary,
    run,
    sign_in,
    summarise,
    test_client_signed_in,
    verdict,
    wait_ready,
    write_script,
    wrk_problems,
)

STORIES = 500
PHOTO_EVERY = 5
PAGE_SIZE = 20  # the default ADVOCACY_STORIES_PER_PAGE, which the served hub uses
COUNTED_PAGE_SIZES = (5, 20, 100)
TARGET = 0.40
EMAIL = "bench@example.org"
PASSWORD = "bench horse battery staple"
USER_AGENT = "advocacy-bench/1"  # Flask-Login's "strong" session protection hashes it
TOPICS = [("customers", "Customers"), ("sustainability", "Sustainability"),
          ("life-at-work", "Life at work"), ("innovation", "Innovation"),
          ("community", "Community"), ("careers", "Careers")]


# -- the throwaway hub -------------------------------------------------------------------


def sample_photo() -> bytes:
    """A 1600x1200 JPEG with some structure, so the renditions look like real ones."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (70, 120, 170))
    draw = ImageDraw.Draw(image)
    for n in range(40):
        x, y = (n * 97) % 1600, (n * 61) % 1200
        draw.ellipse((x, y, x + 180, y + 140), fill=((n * 53) % 256, (n * 29) % 256, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def seed(app: Any) -> float:
    """One employee with ``STORIES`` stories; returns the seconds it took.

    Stories go in through ``create_story``; one photo goes through the real photo pipeline
    and storage, and every fifth story gets a MediaAsset row pointing at those renditions.
    """
    from werkzeug.datastructures import FileStorage

    from advocacy import database as db
    from advocacy.accounts.models import Role
    from advocacy.accounts.operations import create_user
    from advocacy.media.models import MediaAsset
    from advocacy.stories.models import Topic
    from advocacy.stories.operations import create_story
    from advocacy.stories.states import StoryStatus

    started = time.perf_counter()
    statuses = [StoryStatus.DRAFT, StoryStatus.SUBMITTED, StoryStatus.APPROVED,
                StoryStatus.DRAFT, StoryStatus.WITHDRAWN, StoryStatus.CHANGES_REQUESTED]
    slugs = [slug for slug, _ in TOPICS]
    with app.app_context():
        db.session.add_all(Topic(slug=slug, name=name) for slug, name in TOPICS)
        author = create_user(EMAIL, role=Role.EMPLOYEE, password=PASSWORD, name="Bench Author")
        first = create_story(
            author, title="Story 0: the first one, with a photo", body="A photo story.",
            topics=slugs[:2], consent=True,
            photos=[FileStorage(io.BytesIO(sample_photo()), filename="photo.jpg",
                                content_type="image/jpeg")],
        )
        template = first.media[0]
        base = datetime.now(UTC) - timedelta(days=STORIES)
        first.updated_at = base
        for n in range(1, STORIES):
            story = create_story(
                author, title=f"Story {n}: what happened at work this week",
                body=f"Story {n}. " + "Something worth telling colleagues about. " * 8,
                topics=[slugs[(n + k) % len(slugs)] for k in range(1 + n % 3)],
                consent=n % PHOTO_EVERY == 0,
            )
            story.status = statuses[n % len(statuses)]
            story.updated_at = base + timedelta(hours=n)
            if n % PHOTO_EVERY == 0:
                db.session.add(MediaAsset(
                    story=story, kind="photo", position=0,
                    source_format=template.source_format, width=template.width,
                    height=template.height, bytes=template.bytes,
                    renditions=dict(template.renditions),
                    removed_metadata=list(template.removed_metadata),
                    consent_confirmed_at=story.updated_at, consent_confirmed_by_id=author.id,
                    created_by_id=author.id,
                ))
        db.commit()
    return time.perf_counter() - started


def count_queries(app: Any) -> dict[int, int]:
    """SQL queries of one My stories page (page 1) per page size, signed in via the form."""
    client = test_client_signed_in(app, EMAIL, PASSWORD)
    engine = engine_of(app)
    previous = app.config["STORIES_PER_PAGE"]
    counts: dict[int, int] = {}
    try:
        for size in COUNTED_PAGE_SIZES:
            app.config["STORIES_PER_PAGE"] = size
            client.get("/stories")  # warm-up: template compilation, statement cache
            with counting(engine) as statements:
                response = client.get("/stories")
            rows = response.get_data(as_text=True).count('class="story-row"')
            if response.status_code != 200 or rows != size:
                raise BenchError(f"My stories at {size} per page: HTTP "
                                 f"{response.status_code}, {rows} stories")
            counts[size] = len(statements)
    finally:
        app.config["STORIES_PER_PAGE"] = previous
    return counts


def check_my_stories(url: str, headers: dict[str, str]) -> int:
    """Fetch My stories with wrk's headers; it must be the real page with 20 stories."""
    status, html, final = fetch(url, headers=headers)
    rows = html.count('class="story-row"')
    if status != 200 or final != url or "<h1>My stories</h1>" not in html or rows != PAGE_SIZE:
        raise BenchError(f"{url} is not My stories with {PAGE_SIZE} stories "
                         f"(HTTP {status}, ended at {final}, {rows} stories)")
    return len(html.encode())


# -- the run -----------------------------------------------------------------------------


def measure(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    env, app = prepare_hub(tmp)
    seconds = seed(app)
    print(f"seeded {STORIES} stories ({STORIES // PHOTO_EVERY} with a photo) in {seconds:.1f} s")

    counts = count_queries(app)
    constant = len(set(counts.values())) == 1
    print("SQL queries for one My stories page: "
          + ", ".join(f"{size} per page -> {n}" for size, n in counts.items())
          + f"  ({'constant' if constant else 'NOT constant'})")

    (tmp / "hello.py").write_text(HELLO_APP)
    script = write_script(tmp / "done.lua")
    hello = stack.enter_context(gunicorn("hello", "hello:app", tmp, env, tmp, args))
    hub = stack.enter_context(gunicorn("hub", "wsgi:app", ROOT, env, tmp, args))
    wait_ready(hello, "/", args.workers)
    wait_ready(hub, "/login", args.workers)

    cookie = sign_in(hub.base_url, EMAIL, PASSWORD, USER_AGENT)
    hub_headers = {"Cookie": f"session={cookie}", "User-Agent": USER_AGENT}
    targets = {"hello": Target(hello.base_url + "/", {"User-Agent": USER_AGENT}, script),
               "hub": Target(hub.base_url + "/stories", hub_headers, script)}
    page_bytes = check_my_stories(targets["hub"].url, hub_headers)

    print_setup(args)
    runs = alternate(targets, args)
    check_my_stories(targets["hub"].url, hub_headers)  # still signed in after the runs

    problems = wrk_problems(runs)
    smallest = min(r.bytes_per_response for r in runs["hub"])
    if smallest < 0.9 * page_bytes:  # a redirect to /login would be a few hundred bytes
        problems.append(f"hub: {smallest:.0f} bytes per response, the page has {page_bytes}")
    if problems:
        raise BenchError("; ".join(problems))

    summary = summarise(runs)
    ratio = summary["hub"].rps / summary["hello"].rps
    print(f"verified: /stories is My stories with {PAGE_SIZE} of {STORIES} stories "
          f"({page_bytes / 1024:.1f} KiB); wrk counted no errors and no non-2xx/3xx")
    print_summary(summary, {"hello": "hello world", "hub": "My stories"})
    passed = ratio >= TARGET
    print(f"ratio hub/hello (medians): {ratio:.1%}  target >= {TARGET:.0%}: "
          f"{verdict(passed)}")
    print(f"queries per page constant (5/20/100 per page): {verdict(constant)}")
    return 0 if passed and constant else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run("pages", measure, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
