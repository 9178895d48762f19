"""Benchmark: the tracked redirect (GET /l/<code>) under wrk, beside a bare Flask hello world.

Builds a throwaway hub in a temporary directory (fresh SQLite database and SQLite task queue,
``advocacy db upgrade``) and seeds it through the hub's own operations: a curator approves one
public story, 50 employees opt in as ambassadors and share it 1,000 times (LinkedIn, X,
Facebook, Bluesky, WhatsApp, e-mail), each share with its own tracked link. Then it serves

* the hub: ``gunicorn wsgi:app``, and
* a bare Flask hello world written to the same temporary directory,

both with the same gunicorn settings (2 sync workers by default,
as in the README) on 127.0.0.1, plus the
hub's ``advocacy worker`` (by default during the whole run, as in production: storing the
clicks is part of what a click costs; ``--queue-worker after`` starts it only after the
runs). wrk loads each in alternation (3 rounds of hello, hub) after an untimed warm-up; for
the hub every request follows one of the 1,000 tracked links at random, with a browser's
User-Agent and a LinkedIn referrer, and wrk does not follow the redirects. The hello world
gets the same headers and the same Lua request function (always ``/``), so wrk does the same
work for both.

It prints the SQL queries of one redirect (in-process), each wrk run, the medians, the ratio
redirect/hello against the target (>= 60 %) as PASS or MISS, and then waits for the worker
to store every click and compares the clicks stored with the redirects answered (no click
lost: PASS or MISS). On a missed target it profiles: py-spy samples the hub's gunicorn workers
under wrk load for 10 s (top 15 functions by inclusive and own share of the samples; needs
``.venv/bin/pip install py-spy``), and cProfile runs 3,000 redirects in-process (top 15 by
cumulative and by own time).

    .venv/bin/python bench/redirect.py [--duration 10] [--connections 32] [--rounds 3]
                                       [--queue-worker during|after]
                                       [--py-spy 10] [--profile 3000]

Exit code 0 when it measured (whether the targets are met or missed: read PASS/MISS), 2 when
it could not measure. Everything it starts is stopped and the temporary directory removed,
also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _harness import (
    BROWSER_HEADERS,
    HELLO_APP,
    ROOT,
    BenchError,
    Run,
    Server,
    Target,
    add_arguments,
    advocacy_command,
    alternate,
    background,
    counting,
    engine_of,
    fetch,
    fetch_full,
    gunicorn,
    prepare_hub,
    print_setup,
    print_summary,
    profile_requests,
    run,
    spy_under_load,
    summarise,
    verdict,
    wait_ready,
    write_script,
    wrk_problems,
    wsgi_environ,
)

SHARES = 1_000
AMBASSADORS = 50
NETWORKS = ("linkedin", "x", "facebook", "bluesky", "whatsapp", "email")
TARGET = 0.60
PASSWORD = "bench horse battery staple"
TITLE = "How our night shift keeps the harbour running"
#: What a click from a LinkedIn post sends (besides the User-Agent).
HEADERS = {**BROWSER_HEADERS, "Referer": "https://www.linkedin.com/"}
DRAIN_TIMEOUT = 90.0


# -- the throwaway hub -------------------------------------------------------------------


def seed(app: Any) -> tuple[list[tuple[int, str]], float]:
    """One approved story shared ``SHARES`` times; the (share id, code) pairs and the seconds
    it took. Everything goes through the hub's operations, as the composer would do it."""
    from advocacy import database as db
    from advocacy.accounts.models import Role, User
    from advocacy.accounts.operations import create_user
    from advocacy.ambassadors.operations import opt_in
    from advocacy.curation.models import Verdict
    from advocacy.curation.operations import decide
    from advocacy.sharing.operations import share_story
    from advocacy.stories.operations import create_story, create_topic, submit_story

    started = time.perf_counter()
    with app.app_context():
        create_topic("customers", "Customers")
        curator = create_user("curator@example.org", role=Role.CURATOR, password=PASSWORD,
                              name="Bench Curator")
        author = create_user("author@example.org", role=Role.EMPLOYEE, password=PASSWORD,
                             name="Bench Author")
        story = create_story(author, title=TITLE, topics=["customers"], consent=True,
                             body="What the harbour looks like at three in the morning. " * 12)
        submit_story(author, story)
        decide(curator, story, Verdict.APPROVE)
        first = create_user("ambassador0@example.org", role=Role.EMPLOYEE,
                            password=PASSWORD, name="Ambassador 0")
        # The others never sign in: the same password hash saves 0.2 s of scrypt each.
        others = [User(email=f"ambassador{n}@example.org", name=f"Ambassador {n}",
                       password_hash=first.password_hash, role=Role.EMPLOYEE, active=True)
                  for n in range(1, AMBASSADORS)]
        db.session.add_all(others)
        db.session.flush()
        ambassadors = [first, *others]
        for user in ambassadors:
            opt_in(user, topics=["customers"])
        shares = [
            share_story(ambassadors[n % AMBASSADORS], story,
                        network=NETWORKS[n % len(NETWORKS)],
                        text=f"Proud of our night shift, post {n}: worth a read.")
            for n in range(SHARES)]
        db.commit()
        links = [(share.id, share.code) for share in shares]
    return links, time.perf_counter() - started


def count_queries(app: Any, links: list[tuple[int, str]]) -> tuple[int, int, int]:
    """SQL queries of a redirect in a fresh process: the very first one (the day's salt and
    the link), a first visit of another link, and a repeat visit. Returns the three counts;
    the three clicks go to the queue like any others."""
    from advocacy.analytics.clicks import recorder

    client = app.test_client()
    engine = engine_of(app)
    counts = []
    for code in (links[0][1], links[1][1], links[1][1]):
        with counting(engine) as statements:
            response = client.get(f"/l/{code}", headers=HEADERS)
        if response.status_code != 302:
            raise BenchError(f"in-process /l/{code} answered {response.status_code}")
        counts.append(len(statements))
    with app.app_context():
        recorder().flush()  # now, not half a second later from this process's thread
    return counts[0], counts[1], counts[2]


def check_redirect(base_url: str, share_id: int, code: str) -> None:
    """One tracked link over HTTP: a 302, not cached, to the public page with the share's
    UTM parameters, and that page shows the story."""
    status, headers, _body, _ = fetch_full(f"{base_url}/l/{code}", headers=HEADERS,
                                           follow=False)
    location = headers.get("Location", "")
    target = urllib.parse.urlsplit(location)
    query = urllib.parse.parse_qs(target.query)
    if (status != 302 or headers.get("Cache-Control") != "no-store"
            or not target.path.startswith("/s/")
            or query.get("utm_content") != [f"share-{share_id}"]):
        raise BenchError(f"/l/{code} is not the tracked redirect (HTTP {status}, "
                         f"Location {location!r}, Cache-Control {headers.get('Cache-Control')})")
    status, html, _ = fetch(location, headers=HEADERS)
    if status != 200 or TITLE not in html:
        raise BenchError(f"the landing page {location} answered {status} without the story")


# -- the clicks --------------------------------------------------------------------------


def stored_clicks(app: Any) -> tuple[int, int, dict[str, int]]:
    """Clicks in the database: how many, on how many shares, and per kind of visitor."""
    from sqlalchemy import func, select

    from advocacy import database as db
    from advocacy.analytics.models import Click

    with app.app_context():
        total = db.session.scalar(select(func.count(Click.id))) or 0
        shares = db.session.scalar(select(func.count(func.distinct(Click.share_id)))) or 0
        kinds = dict(db.session.execute(
            select(Click.kind, func.count(Click.id)).group_by(Click.kind)).all())
    return total, shares, {str(k): int(v) for k, v in kinds.items()}


def waiting_clicks(app: Any) -> int:
    """Clicks in the click journal that no worker has stored yet."""
    from advocacy.analytics.journal import journal_for

    return journal_for(app).waiting()


def wait_for_worker(worker: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise BenchError(f"advocacy worker exited:\n{worker.log.read_text()[-3000:]}")
        if "Worker with" in worker.log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise BenchError(f"advocacy worker not ready after {timeout:.0f} s")


def drain(app: Any, worker: Server, settle: float = 2.0) -> tuple[int, float]:
    """Wait until the journal is empty and the click count has not moved for ``settle``
    seconds (the redirects hand clicks to the journal every half second); the count and when
    (``time.monotonic()``) it last grew."""
    started = time.monotonic()
    time.sleep(1.0)  # every gunicorn worker's recorder flushes at least once
    last, since = -1, time.monotonic()
    while time.monotonic() - started < DRAIN_TIMEOUT:
        if worker.process.poll() is not None:
            raise BenchError(f"advocacy worker exited:\n{worker.log.read_text()[-3000:]}")
        stored = stored_clicks(app)[0]
        if stored != last:
            last, since = stored, time.monotonic()
        elif waiting_clicks(app) == 0 and time.monotonic() - since >= settle:
            return stored, since
        time.sleep(0.2)
    raise BenchError(f"clicks still arriving after {DRAIN_TIMEOUT:.0f} s: {last} stored, "
                     f"{waiting_clicks(app)} waiting in the journal; see {worker.log}")


# -- the run -----------------------------------------------------------------------------


def measure(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    env, app = prepare_hub(tmp)
    links, seconds = seed(app)
    print(f"seeded 1 approved story, {AMBASSADORS} ambassadors and {len(links)} shares "
          f"(tracked links) in {seconds:.1f} s")

    very_first, first, repeat = count_queries(app, links)
    own_requests = 3
    print(f"SQL queries per redirect: first visit of a link -> {first}, repeat visit -> "
          f"{repeat} (the first redirect of a process, reading the day's salt -> {very_first})")

    (tmp / "hello.py").write_text(HELLO_APP)
    hello_script = write_script(tmp / "hello.lua", ["/"])
    hub_script = write_script(tmp / "links.lua", [f"/l/{code}" for _id, code in links])
    worker_command = [*advocacy_command(), "worker"]
    worker = None
    if args.queue_worker == "during":
        worker = stack.enter_context(background("worker", worker_command, env, ROOT, tmp))
    hello = stack.enter_context(gunicorn("hello", "hello:app", tmp, env, tmp, args))
    hub = stack.enter_context(gunicorn("hub", "wsgi:app", ROOT, env, tmp, args))
    if worker is not None:
        wait_for_worker(worker)
    wait_ready(hello, "/", args.workers)
    wait_ready(hub, "/login", args.workers)

    check_redirect(hub.base_url, *links[0])
    own_requests += 1
    targets = {"hello": Target(hello.base_url + "/", HEADERS, hello_script),
               "redirect": Target(hub.base_url + "/", HEADERS, hub_script)}

    print_setup(args)
    print(f"advocacy worker: {args.queue_worker} the runs; wrk follows {len(links)} tracked "
          f"links at random, not their redirects")
    warmups: dict[str, list[Run]] = {}
    runs = alternate(targets, args, warmups)
    ended = time.monotonic()
    backlog = waiting_clicks(app)
    check_redirect(hub.base_url, *links[-1])
    own_requests += 1

    problems = wrk_problems(runs)
    if problems:
        raise BenchError("; ".join(problems))
    summary = summarise(runs)
    ratio = summary["redirect"].rps / summary["hello"].rps
    print("verified: /l/<code> answers 302 to the story's public page with the share's UTM "
          "parameters, Cache-Control: no-store; wrk counted no errors and no 4xx/5xx")
    print_summary(summary, {"hello": "hello world", "redirect": "redirect"})
    fast = ratio >= TARGET
    print(f"ratio redirect/hello (medians): {ratio:.1%}  target >= {TARGET:.0%}: "
          f"{verdict(fast)}")

    # Every redirect wrk saw answered, plus this script's own, must end up as a stored click.
    if worker is None:
        time.sleep(1.5)  # the recorders' last hand-over to the journal
        print(f"click journal before the worker starts: {waiting_clicks(app)} clicks waiting")
        worker = stack.enter_context(background("worker", worker_command, env, ROOT, tmp))
        wait_for_worker(worker)
    else:
        print(f"click journal when the last run ended: {backlog} clicks waiting")
    if args.queue_worker == "after":
        ended = time.monotonic()  # the worker's start
    stored, last_growth = drain(app, worker)
    hub_runs = [*warmups["redirect"], *runs["redirect"]]
    answered = sum(r.requests for r in hub_runs) + own_requests
    # wrk stops counting at the end of each run with up to one request per connection in
    # flight: the hub may have answered (and counted) those too.
    slack = args.connections * len(hub_runs)
    _total, shares, kinds = stored_clicks(app)
    print(f"clicks stored: {stored} on {shares} of {len(links)} links "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), all stored within "
          f"{max(0.0, last_growth - ended):.1f} s of "
          f"{'the last run' if args.queue_worker == 'during' else 'the worker starting'} "
          f"(polled from 1 s on)")
    print(f"redirects answered: {answered} (wrk counted {answered - own_requests} in "
          f"{len(hub_runs)} runs incl. warm-up, this script {own_requests}); stored - answered "
          f"= {stored - answered:+d} (allowed 0 to +{slack}: up to {args.connections} answers "
          f"per run still in flight when wrk stops counting)")
    kept = answered <= stored <= answered + slack
    print(f"no click lost (stored >= answered, none twice): {verdict(kept)}")

    if not (fast and kept) and args.py_spy > 0:
        print()
        spy_under_load(hub, targets["redirect"], args, args.py_spy, tmp)
    if not (fast and kept) and args.profile > 0:
        print()
        codes = [code for _id, code in links]
        print("in-process profile of the redirect, every link followed once before "
              "(a warm link cache, as in the timed runs):")
        profile_requests(app, lambda n: wsgi_environ(f"/l/{codes[n % len(codes)]}", HEADERS),
                         args.profile, expect=lambda status: status == 302,
                         warmup=len(codes))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser, rounds=3)  # a 302 is quick: a third round costs 20 s, steadies it
    parser.add_argument("--queue-worker", choices=["during", "after"], default="during",
                        help="run `advocacy worker` during the runs (as in production) or "
                             "start it only after them (during)")
    parser.add_argument("--profile", type=int, default=3000,
                        help="on a missed target, profile this many redirects in-process "
                             "with cProfile; 0: never (3000)")
    parser.add_argument("--py-spy", type=float, default=10,
                        help="on a missed target, sample the hub's gunicorn workers with "
                             "py-spy for this many seconds under load; 0: never (10)")
    return run("redirect", measure, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
