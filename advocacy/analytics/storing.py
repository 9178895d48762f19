"""The worker's side of the click path: claim batches from the journal, store, acknowledge.

A batch leaves the journal only after the transaction that stored its clicks committed. While
the database is away the storer keeps its batches and tries again with a growing pause (up to
``MAX_PAUSE`` seconds), for as long as the outage lasts. ``advocacy worker`` runs one storer
thread beside the task consumer; several workers share the journal safely.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from advocacy import database as db
from advocacy.analytics.clicks import click_rows
from advocacy.analytics.journal import ClickJournal, journal_for
from advocacy.analytics.models import Click

log = logging.getLogger(__name__)
#: Batches one transaction stores (each at most 500 clicks).
BATCHES_PER_TRANSACTION = 20
#: The longest pause between two tries while the database or the journal is away.
MAX_PAUSE = 30.0


def store_notes(notes: list[dict[str, Any]]) -> int:
    """Store click notes in the unit of work; a click stored before is skipped (by its id).
    Answers how many notes were for shares that still exist."""
    rows = click_rows(notes)
    if not rows:
        return 0
    insert = (postgresql.insert if db.session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    statement = insert(Click).on_conflict_do_nothing(index_elements=["note_id"])
    db.session.execute(statement, rows)
    return len(rows)


class ClickStorer:
    """Stores the journal's clicks in the database, one transaction per claim."""

    def __init__(self, app: Flask, journal: ClickJournal | None = None,
                 consumer: str | None = None) -> None:
        self.app = app
        self.journal = journal or journal_for(app)
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.stop = threading.Event()

    def store_once(self, wait: float = 0.0) -> int | None:
        """Claim batches (waiting up to ``wait`` s for one), store and acknowledge them.
        Answers the clicks stored, or None when there was nothing to claim."""
        batches = self.journal.claim(self.consumer, BATCHES_PER_TRANSACTION, wait)
        if not batches:
            return None
        with self.app.app_context():
            try:
                stored = store_notes([note for batch in batches for note in batch.notes])
                db.commit()
            except BaseException:
                db.rollback()
                raise
        self.journal.acknowledge(batches)
        return stored

    def drain(self) -> int:
        """Store everything the journal holds now (the CLI, the tests); answers how many."""
        total = 0
        while (stored := self.store_once()) is not None:
            total += stored
        return total

    def run(self) -> None:
        """Store clicks until :attr:`stop` is set, riding out outages of database or journal."""
        pause = 0.0
        while not self.stop.is_set():
            try:
                self.store_once(wait=1.0)
            except Exception as exc:
                pause = min(max(1.0, pause * 2), MAX_PAUSE)
                # The batches stay claimed by this storer (or, if it dies, by the next one).
                log.warning("could not store clicks, trying again in %.0f s: %s", pause,
                            str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                self.stop.wait(pause)
                continue
            if pause:
                log.info("clicks are being stored again")
            pause = 0.0

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="click-storer", daemon=True)
        thread.start()
        return thread
