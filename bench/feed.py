"""Benchmark: the ambassador feed (API and page) under wrk, beside a bare Flask hello world.

Builds a throwaway hub in a temporary directory (fresh SQLite database and task queue,
``advocacy db upgrade``) and seeds it fast with bulk inserts (SQLAlchemy core on the hub's own
tables): 200 topics, 200 authors (one in four credited anonymously) and 10,000 approved
stories, approved over the past year, each on 2 to 4 topics at random (seeded). One
ambassador, created and opted in through the hub's operations, follows 20 of the topics, so
that some 2,600 stories match (53 pages of 50), and has shared 100 of them. Its API token
comes from ``issue_token``; the page signs in through the login form (CSRF on). Then it
serves

* the hub: ``gunicorn wsgi:app`` with ``ADVOCACY_FEED_PER_PAGE=50``, and
* a bare Flask hello world written to the same temporary directory,

both with the same gunicorn settings (2 sync workers by default,
as in the README) on 127.0.0.1, and runs
wrk in alternation (hello, API, page, me, inbox, then again) after an untimed warm-up:

* API:  ``GET /api/v1/feed?per_page=50&page=N`` with ``Authorization: Bearer ...``,
* page: ``GET /feed?page=N`` with the session cookie,
* and, for comparison, ``GET /api/v1/me`` (the smallest token-authenticated answer) and
  ``GET /notifications`` with nothing in it (a signed-in page with nothing on it),

N drawn at random from 1 to 20 for every request (a Lua request function; the hello world
gets the same one, always ``/``, so wrk does the same work for all of them).

It prints the SQL queries of one feed request at 10, 50 and 100 stories per page for both
(in-process, Flask's test client), each wrk run, the medians, and the targets, each PASS or
MISS: API and page each >= 30 % of hello world's req/s with p99 < 100 ms at 32 connections,
and the number of queries constant. On a missed target it profiles the missed endpoints:
py-spy samples of the hub's gunicorn workers under load for 10 s each (needs
``.venv/bin/pip install py-spy``), the time of each SQL statement (in-process, median over
the 20 pages), and cProfile on 500 requests of each in-process (top 15 by cumulative and by
own time).

    .venv/bin/python bench/feed.py [--duration 10] [--connections 32] [--rounds 2]
                                   [--py-spy 10] [--profile 500]

Exit code 0 when it measured (whether the targets are met or missed: read PASS/MISS), 2 when
it could not measure. Everything it starts is stopped and the temporary directory removed,
also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _harness import (
    BROWSER_HEADERS,
    BROWSER_UA,
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
    profile_requests,
    run,
    sign_in,
    spy_under_load,
    statement_label,
    summarise,
    test_client_signed_in,
    timing,
    verdict,
    wait_ready,
    write_script,
    wrk_problems,
    wsgi_environ,
)

STORIES = 10_000
TOPICS = 200
AUTHORS = 200
FOLLOWED = 20
SHARED = 100
PER_PAGE = 50
PAGES = 20  # wrk asks for pages 1..PAGES
COUNTED_PAGE_SIZES = (10, 50, 100)
TARGET_RATIO = 0.30
TARGET_P99_MS = 100.0
EMAIL = "ambassador@example.org"
PASSWORD = "bench horse battery staple"
PAGE_HEADERS = BROWSER_HEADERS
FEED_ITEM = 'class="card feed-item"'
WORDS = ("harbour", "night", "shift", "customers", "team", "launch", "energy", "recycling",
         "school", "volunteers", "award", "patient", "software", "warehouse", "trainees",
         "bridge", "solar", "kitchen", "repair", "library", "festival", "engineers", "route",
         "delivery", "care", "research", "ferry", "garden")


# -- the throwaway hub -------------------------------------------------------------------


def _body(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(4, 9)):
        words = rng.choices(WORDS, k=rng.randint(8, 16))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def seed(app: Any) -> tuple[str, int, float]:
    """The hub's data (see the module's docstring); the ambassador's API token, how many
    stories their feed has, and the seconds it took."""
    from sqlalchemy import func, insert, select

    from advocacy import database as db
    from advocacy.accounts.models import Role, User
    from advocacy.accounts.operations import create_user, issue_token
    from advocacy.ambassadors.models import ambassador_topics
    from advocacy.ambassadors.operations import opt_in
    from advocacy.sharing.operations import new_code
    from advocacy.stories.models import Story, story_topics

    rng = random.Random(20_241_124)
    started = time.perf_counter()
    now = datetime.now(UTC)
    tables = db.Base.metadata.tables
    with app.app_context():
        session = db.session
        session.execute(insert(tables["topics"]), [
            {"id": n, "slug": f"topic-{n:03d}", "name": f"Topic {n:03d}", "is_demo": False}
            for n in range(1, TOPICS + 1)])
        ambassador = create_user(EMAIL, role=Role.EMPLOYEE, password=PASSWORD,
                                 name="Bench Ambassador")
        # Authors never sign in here: one password hash for all (scrypt takes 0.2 s each).
        session.execute(insert(tables["users"]), [
            {"email": f"author{n}@example.org", "name": f"Author {n}",
             "password_hash": ambassador.password_hash, "role": "employee",
             "credit_as": "anonymous" if n % 4 == 0 else "name", "active": True,
             "session_version": 1, "is_demo": False, "created_at": now}
            for n in range(AUTHORS)])
        authors = list(session.scalars(select(User.id).where(User.id != ambassador.id)))

        stories = []
        for n in range(1, STORIES + 1):
            approved = now - timedelta(seconds=rng.uniform(60, 365 * 86400))
            stories.append({
                "id": n, "author_id": rng.choice(authors),
                "title": f"Story {n}: " + " ".join(rng.choices(WORDS, k=6)),
                "body": _body(rng), "status": "approved", "slug": f"story-{n}",
                "consent_confirmed": True, "is_demo": False,
                "created_at": approved - timedelta(days=2),
                "updated_at": approved, "submitted_at": approved - timedelta(days=1),
                "approved_at": approved, "captions": {}, "version": 3})
        session.execute(insert(tables["stories"]), stories)
        session.execute(insert(story_topics), [
            {"story_id": n, "topic_id": topic}
            for n in range(1, STORIES + 1)
            for topic in rng.sample(range(1, TOPICS + 1), rng.randint(2, 4))])

        followed = sorted(rng.sample(range(1, TOPICS + 1), FOLLOWED))
        opt_in(ambassador, topics=[f"topic-{n:03d}" for n in followed])
        on_topics = select(story_topics.c.story_id).where(
            story_topics.c.topic_id.in_(followed))
        matching = list(session.scalars(select(Story.id).where(Story.id.in_(on_topics))))
        session.execute(insert(tables["shares"]), [
            {"story_id": story_id, "ambassador_id": ambassador.id, "network": network,
             "text": "Worth a read.", "status": "opened", "code": new_code(),
             "created_at": now}
            for story_id in rng.sample(matching, SHARED)
            for network in rng.sample(["linkedin", "x", "bluesky"], rng.randint(1, 2))])
        _token, secret = issue_token(ambassador, "bench", None)
        db.commit()
        in_feed = session.scalar(select(func.count()).select_from(
            select(ambassador_topics.c.topic_id).where(
                ambassador_topics.c.user_id == ambassador.id).subquery()))
        if in_feed != FOLLOWED:
            raise BenchError(f"the ambassador follows {in_feed} topics, not {FOLLOWED}")
    return secret, len(matching), time.perf_counter() - started


# -- checks ------------------------------------------------------------------------------


def api_items(body: str) -> int:
    try:
        data = json.loads(body)
    except ValueError:
        return -1
    items = data.get("items") if isinstance(data, dict) else None
    return len(items) if isinstance(items, list) else -1


def count_queries(app: Any, secret: str) -> dict[str, dict[int, int]]:
    """SQL queries of one feed request (page 1) per page size, API and page."""
    engine = engine_of(app)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    page = test_client_signed_in(app, EMAIL, PASSWORD, next_path="/feed")
    counts: dict[str, dict[int, int]] = {"API": {}, "page": {}}
    previous = app.config["FEED_PER_PAGE"]
    try:
        for size in COUNTED_PAGE_SIZES:
            url = f"/api/v1/feed?per_page={size}"
            api.get(url, headers=auth)  # warm-up: statement cache, the token's last use
            with counting(engine) as statements:
                response = api.get(url, headers=auth)
            items = api_items(response.get_data(as_text=True))
            if response.status_code != 200 or items != size:
                raise BenchError(f"{url}: HTTP {response.status_code}, {items} stories")
            counts["API"][size] = len(statements)

            app.config["FEED_PER_PAGE"] = size
            page.get("/feed")  # warm-up: template compilation
            with counting(engine) as statements:
                response = page.get("/feed")
            items = response.get_data(as_text=True).count(FEED_ITEM)
            if response.status_code != 200 or items != size:
                raise BenchError(f"/feed at {size} per page: HTTP {response.status_code}, "
                                 f"{items} stories")
            counts["page"][size] = len(statements)
    finally:
        app.config["FEED_PER_PAGE"] = previous
    return counts


def check_pages(base_url: str, api_headers: dict[str, str],
                page_headers: dict[str, str]) -> dict[str, float]:
    """Every page wrk asks for, once over HTTP with wrk's headers: 200 with 50 stories (the
    page: the real feed, not the sign-in page). Answers the mean body size of each kind."""
    sizes: dict[str, list[int]] = {"api": [], "page": []}
    for n in range(1, PAGES + 1):
        status, body, final = fetch(f"{base_url}/api/v1/feed?per_page={PER_PAGE}&page={n}",
                                    headers=api_headers)
        if status != 200 or api_items(body) != PER_PAGE:
            raise BenchError(f"API feed page {n}: HTTP {status}, {api_items(body)} stories")
        sizes["api"].append(len(body.encode()))
        url = f"{base_url}/feed?page={n}"
        status, body, final = fetch(url, headers=page_headers)
        items = body.count(FEED_ITEM)
        if status != 200 or final != url or items != PER_PAGE:
            raise BenchError(f"feed page {n}: HTTP {status}, ended at {final}, {items} stories")
        sizes["page"].append(len(body.encode()))
    return {kind: sum(values) / len(values) for kind, values in sizes.items()}


def sql_breakdown(label: str, app: Any, client: Any, paths: list[str],
                  headers: dict[str, str]) -> None:
    """Each page of ``paths`` once in-process with the time of every SQL statement; prints
    the statements by median time, beside the median time of the whole request."""
    import statistics

    engine = engine_of(app)
    walls: list[float] = []
    times: dict[str, list[float]] = {}
    for path in paths:
        client.get(path, headers=headers)  # warm-up
    for path in paths:
        started = time.perf_counter()
        with timing(engine) as timed:
            response = client.get(path, headers=headers)
        walls.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise BenchError(f"in-process {path} answered {response.status_code}")
        for statement, seconds in timed:
            times.setdefault(statement, []).append(seconds)
    wall = statistics.median(walls) * 1000
    in_sql = sum(statistics.median(t) for t in times.values()) * 1000
    print(f"[{label}] SQL per request, in-process, pages 1 to {len(paths)} (medians): "
          f"{in_sql:.1f} ms of {wall:.1f} ms in {len(times)} statements")
    for statement, each in sorted(times.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {statistics.median(each) * 1000:7.2f} ms  {statement_label(statement)}")


# -- the run -----------------------------------------------------------------------------


def measure(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    env, app = prepare_hub(tmp, FEED_PER_PAGE=str(PER_PAGE))
    secret, matching, seconds = seed(app)
    print(f"seeded {STORIES} approved stories on {TOPICS} topics by {AUTHORS} authors in "
          f"{seconds:.1f} s; the ambassador follows {FOLLOWED} topics: {matching} stories "
          f"({-(-matching // PER_PAGE)} pages of {PER_PAGE})")
    if matching < PAGES * PER_PAGE:
        raise BenchError(f"only {matching} stories in the feed, fewer than {PAGES} pages")

    counts = count_queries(app, secret)
    constant = {kind: len(set(c.values())) == 1 for kind, c in counts.items()}
    for kind, kind_counts in counts.items():
        print(f"SQL queries for one feed request ({kind}): "
              + ", ".join(f"{size} per page -> {n}" for size, n in kind_counts.items())
              + f"  ({'constant' if constant[kind] else 'NOT constant'})")

    (tmp / "hello.py").write_text(HELLO_APP)
    hello = stack.enter_context(gunicorn("hello", "hello:app", tmp, env, tmp, args))
    hub = stack.enter_context(gunicorn("hub", "wsgi:app", ROOT, env, tmp, args))
    wait_ready(hello, "/", args.workers)
    wait_ready(hub, "/login", args.workers)

    cookie = sign_in(hub.base_url, EMAIL, PASSWORD, BROWSER_UA, next_path="/feed",
                     lands_on="/feed")
    page_headers = {**PAGE_HEADERS, "Cookie": f"session={cookie}"}
    api_headers = {"User-Agent": BROWSER_UA, "Accept": "application/json",
                   "Authorization": f"Bearer {secret}"}
    body_sizes = check_pages(hub.base_url, api_headers, page_headers)
    targets = {
        "hello": Target(hello.base_url + "/", PAGE_HEADERS,
                        write_script(tmp / "hello.lua", ["/"])),
        "api": Target(hub.base_url + "/", api_headers, write_script(
            tmp / "api.lua",
            [f"/api/v1/feed?per_page={PER_PAGE}&page={n}" for n in range(1, PAGES + 1)])),
        "page": Target(hub.base_url + "/", page_headers, write_script(
            tmp / "page.lua", [f"/feed?page={n}" for n in range(1, PAGES + 1)])),
        # The ceiling of any signed-in request: the smallest token-authenticated answer.
        "me": Target(hub.base_url + "/", api_headers, write_script(
            tmp / "me.lua", ["/api/v1/me"])),
        # The page's peer: a signed-in page with nothing on it (no notifications).
        "inbox": Target(hub.base_url + "/", page_headers, write_script(
            tmp / "inbox.lua", ["/notifications"])),
    }
    status, inbox, final = fetch(hub.base_url + "/notifications", headers=page_headers)
    if status != 200 or not final.endswith("/notifications"):
        raise BenchError(f"/notifications: HTTP {status}, ended at {final}")
    body_sizes["inbox"] = len(inbox.encode())

    print_setup(args)
    print(f"wrk asks for pages 1 to {PAGES} at random, {PER_PAGE} stories each")
    runs = alternate(targets, args)
    check_pages(hub.base_url, api_headers, page_headers)  # still signed in, token still good

    problems = wrk_problems(runs)
    for kind in ("api", "page", "inbox"):
        smallest = min(r.bytes_per_response for r in runs[kind])
        if smallest < 0.9 * body_sizes[kind]:  # a redirect to /login is a few hundred bytes
            problems.append(f"{kind}: {smallest:.0f} bytes per response, its pages have "
                            f"{body_sizes[kind]:.0f} on average")
    if problems:
        raise BenchError("; ".join(problems))

    summary = summarise(runs)
    print(f"verified: all {PAGES} pages of both are the feed with {PER_PAGE} stories (API "
          f"{body_sizes['api'] / 1024:.1f} KiB, page {body_sizes['page'] / 1024:.1f} KiB on "
          f"average); wrk counted no errors and no non-2xx/3xx")
    print_summary(summary, {"hello": "hello world", "api": "feed API", "page": "feed page",
                            "me": "GET /api/v1/me", "inbox": "GET /notifications"})
    ceiling = summary["me"].rps / summary["hello"].rps
    print(f"the ceiling of a token-authenticated request (GET /api/v1/me, no feed): "
          f"{ceiling:.1%} of hello world; the feed API reaches "
          f"{summary['api'].rps / summary['me'].rps:.1%} of that ceiling")
    print(f"a signed-in page with nothing on it (GET /notifications, empty): "
          f"{summary['inbox'].rps / summary['hello'].rps:.1%} of hello world; the feed page "
          f"(50 stories) reaches {summary['page'].rps / summary['inbox'].rps:.1%} of it")
    missed = []
    for kind, label in (("api", "feed API"), ("page", "feed page")):
        ratio = summary[kind].rps / summary["hello"].rps
        fast = ratio >= TARGET_RATIO
        quick = summary[kind].p99_ms < TARGET_P99_MS
        print(f"{label}: ratio to hello (medians) {ratio:.1%}  target >= {TARGET_RATIO:.0%}: "
              f"{verdict(fast)};  p99 {summary[kind].p99_ms:.1f} ms  target < "
              f"{TARGET_P99_MS:.0f} ms: {verdict(quick)}")
        if not (fast and quick):
            missed.append(kind)
    for kind, label in (("API", "feed API"), ("page", "feed page")):
        print(f"{label}: queries per request constant (10/50/100 per page): "
              f"{verdict(constant[kind])}")

    if args.py_spy > 0:
        for kind in missed:
            print(f"\n[{kind}] ", end="")
            spy_under_load(hub, targets[kind], args, args.py_spy, tmp)
    if missed:
        page_client = test_client_signed_in(app, EMAIL, PASSWORD, next_path="/feed",
                                            user_agent=BROWSER_UA)
        page_client.get("/feed")  # the first page adds the CSRF token to the session
        print()
        clients = {"api": (app.test_client(), [f"/api/v1/feed?per_page={PER_PAGE}&page={n}"
                                                for n in range(1, PAGES + 1)],
                           {"Authorization": f"Bearer {secret}"}),
                   "page": (page_client, [f"/feed?page={n}" for n in range(1, PAGES + 1)], {})}
        for kind in missed:
            sql_breakdown(kind, app, *clients[kind])
    if args.profile > 0 and missed:
        cookie_in_process = page_client.get_cookie("session")
        environs = {
            "api": lambda n: wsgi_environ(
                f"/api/v1/feed?per_page={PER_PAGE}&page={n % PAGES + 1}",
                {"Authorization": f"Bearer {secret}", "User-Agent": BROWSER_UA}),
            "page": lambda n: wsgi_environ(
                f"/feed?page={n % PAGES + 1}",
                {**PAGE_HEADERS,
                 "Cookie": f"session={cookie_in_process.value if cookie_in_process else ''}"}),
        }
        for kind in missed:
            print(f"\n[{kind}] in-process profile, pages 1 to {PAGES} in turn:")
            profile_requests(app, environs[kind], args.profile,
                             expect=lambda status: status == 200, warmup=PAGES * 2)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    parser.add_argument("--py-spy", type=float, default=10,
                        help="for each missed target, sample the hub's gunicorn workers with "
                             "py-spy for this many seconds under load; 0: never (10)")
    parser.add_argument("--profile", type=int, default=500,
                        help="for each missed target, profile this many requests in-process "
                             "with cProfile; 0: never (500)")
    return run("feed", measure, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
