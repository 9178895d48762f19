"""The ``advocacy`` command: Flask's CLI group over the app factory, plus the hub's commands."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.errors import Rejected

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (inside an app context)."""
    alembic_command.upgrade(alembic_config(), revision)


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade_database(revision)
    click.echo("Database is up to date.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    alembic_command.downgrade(alembic_config(), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision of the database."""
    alembic_command.current(alembic_config())


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    alembic_command.revision(alembic_config(), message=message, autogenerate=True)


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="employee",
              show_default=True)
@click.option("--password", help="Unset: a strong password is generated and printed once.")
@click.option("--name", help="Display name; unset: the part before @.")
@click.option("--department", help="Department; created when it does not exist yet.")
@with_appcontext
def users_create(email: str, role: str, password: str | None, name: str | None,
                 department: str | None) -> None:
    """Create an account for EMAIL."""
    from advocacy.accounts.operations import create_user

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = create_user(email, role=Role(role), password=password, name=name,
                           department=department)
        db.commit()
    except Rejected as exc:
        db.rollback()
        raise click.ClickException(str(exc.message)) from None
    click.echo(f"Created {user.role} {user.email}" + (f" in {department}" if department else ""))
    if generated:
        click.echo(f"Password: {password}")


@click.group("topics")
def topics_group() -> None:
    """Manage the topics stories carry and ambassadors follow."""


@topics_group.command("create")
@click.argument("slug")
@click.argument("name")
@with_appcontext
def topics_create(slug: str, name: str) -> None:
    """Create the topic SLUG (lower-case letters, digits, dashes) called NAME."""
    from advocacy.stories.operations import create_topic

    try:
        topic = create_topic(slug, name)
        db.commit()
    except Rejected as exc:
        db.rollback()
        raise click.ClickException(str(exc.message)) from None
    click.echo(f"Created topic {topic.slug}: {topic.name}")


@topics_group.command("list")
@with_appcontext
def topics_list() -> None:
    """List the topics."""
    from advocacy.stories.operations import all_topics

    for topic in all_topics():
        click.echo(f"{topic.slug:<30} {topic.name}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed a clearly marked demo organisation and print its sign-in details."""
    from advocacy.demo import seed_demo

    credentials = seed_demo()
    db.commit()
    click.echo("Demo organisation ready (everything in it is marked DEMO).")
    for role, email, password in credentials:
        click.echo(f"  {role:<9} {email:<28} password: {password}")


@click.group("guidelines")
def guidelines_group() -> None:
    """The brand guidelines: import and export the rule set as JSON."""


@guidelines_group.command("import")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def guidelines_import(file: Any) -> None:
    """Replace the whole rule set with FILE ("-" for standard input).

    A file with any problem is refused as a whole and the rules in force stay as they are.
    """
    from advocacy.rulebook.operations import RULE_FILE_MAX_BYTES, replace_rules

    source = file.read(RULE_FILE_MAX_BYTES + 1)
    try:
        row = replace_rules(None, source, via="cli")
        db.commit()
    except Rejected as exc:
        db.rollback()
        for problem in exc.fields.get("rules", []):
            click.echo(f"{file.name}: {problem}", err=True)
        raise click.ClickException(str(exc.message)) from None
    rules = row.document.get("rules", [])
    click.echo(f"Imported {len(rules)} rule(s); the brand guidelines are now version {row.id}.")


@guidelines_group.command("export")
@click.option("--output", "-o", type=click.File("w"), default="-",
              help="Write to this file instead of standard output.")
@with_appcontext
def guidelines_export(output: Any) -> None:
    """Print the rule set in force as JSON (what `guidelines import` takes)."""
    from advocacy.rulebook.operations import export_rules

    output.write(export_rules())


@click.group("stories")
def stories_group() -> None:
    """Maintenance of stories."""


@stories_group.command("archive-expired")
@with_appcontext
def stories_archive_expired() -> None:
    """Archive approved stories whose expiry has passed.

    Pages hide expired stories already; `advocacy worker` runs this every ten minutes.
    """
    from advocacy.curation.operations import archive_expired

    count = archive_expired()
    db.commit()
    click.echo(f"Archived {count} expired stor{'y' if count == 1 else 'ies'}.")


@click.group("media")
def media_group() -> None:
    """Maintenance of stored photo files."""


@media_group.command("sweep")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@with_appcontext
def media_sweep(dry_run: bool) -> None:
    """Remove photo files no photo refers to (older than an hour); report missing files.

    `advocacy worker` does this every hour.
    """
    from advocacy.media.operations import SWEEP_GRACE, sweep_orphans

    report = sweep_orphans(dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for key in report.removed:
        click.echo(f"{verb} {key}")
    for asset_id, key in report.missing:
        click.echo(f"Missing: photo {asset_id} refers to {key}, which is not stored", err=True)
    minutes = int(SWEEP_GRACE.total_seconds() // 60)
    click.echo(f"{verb} {len(report.removed)} file(s) without a photo; kept "
               f"{len(report.recent)} younger than {minutes} minutes; "
               f"{len(report.missing)} photo file(s) missing.")


@media_group.command("cors")
@click.argument("origins", nargs=-1, required=True)
@with_appcontext
def media_cors(origins: tuple[str, ...]) -> None:
    """Let the hub's pages at ORIGINS (https://hub.example.org) upload videos straight to
    the S3 bucket: PUT from those origins, with the ETag answer header readable.

    Replaces the bucket's CORS rules. Only for ADVOCACY_STORAGE=s3.
    """
    from advocacy.uploads.operations import allow_browser_uploads

    try:
        allowed = allow_browser_uploads(list(origins))
    except Rejected as exc:
        raise click.ClickException(str(exc.message)) from None
    click.echo(f"The bucket now takes browser uploads from {', '.join(allowed)}.")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also schedule the periodic jobs (one scheduling worker is enough).")
@with_appcontext
def worker_command(workers: int, periodic: bool) -> None:
    """Run background work and periodic jobs from the queue (ADVOCACY_QUEUE_URL)."""
    from flask import current_app

    from advocacy.analytics.storing import ClickStorer
    from advocacy.queue import queue_of

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = queue_of(app)
    click.echo(f"Worker with {workers} thread(s); tasks: {', '.join(sorted(queue.tasks))}")
    storer = ClickStorer(app)
    storer.start()
    click.echo(f"Storing clicks from the click journal as {storer.consumer}")
    try:
        queue.huey.create_consumer(workers=workers, worker_type="thread",
                                   periodic=periodic).run()
    finally:
        storer.stop.set()


@click.group("clicks")
def clicks_group() -> None:
    """Clicks on tracked links waiting in the click journal."""


@clicks_group.command("store")
@with_appcontext
def clicks_store() -> None:
    """Store the clicks waiting in the journal now (the worker does this continuously)."""
    from flask import current_app

    from advocacy.analytics.storing import ClickStorer

    storer = ClickStorer(current_app._get_current_object())  # type: ignore[attr-defined]
    stored = storer.drain()
    click.echo(f"Stored {stored} click(s); {storer.journal.waiting()} waiting.")


@click.group("tokens")
def tokens_group() -> None:
    """Connected accounts' tokens and app secrets, encrypted at rest (ADVOCACY_TOKEN_KEYS)."""


@tokens_group.command("rotate")
@with_appcontext
def tokens_rotate() -> None:
    """Re-encrypt every stored token and app secret with the first key of
    ADVOCACY_TOKEN_KEYS; afterwards the keys after it can be removed.

    Prints counts only. Values no key decrypts are left as they are, counted, and make
    the command fail.
    """
    from advocacy.keyring import rotate_all

    report = rotate_all(db.session())
    db.commit()
    for column in report:
        click.echo(f"{column.table}.{column.column}: re-encrypted {column.rotated} value(s)"
                   + (f", {column.unreadable} no key decrypts" if column.unreadable else ""))
    rotated = sum(column.rotated for column in report)
    unreadable = sum(column.unreadable for column in report)
    click.echo(f"Re-encrypted {rotated} value(s) in {len(report)} column(s) with the newest key.")
    if unreadable:
        raise click.ClickException(
            f"{unreadable} value(s) no key decrypts were left as they are: keep the key that "
            "encrypted them, or have those accounts connected again.")


@click.command("compile-translations")
def compile_translations() -> None:
    """Compile the Dutch (and any other) message catalogs."""
    from advocacy.i18n import compile_catalogs

    for path in compile_catalogs():
        click.echo(f"compiled {path}")


def register(app: Flask) -> None:
    """Attach the hub's command groups to ``app.cli``."""
    for group in (db_group, users_group, topics_group, guidelines_group, stories_group,
                  media_group, demo_command, worker_command, clicks_group, tokens_group,
                  compile_translations):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from advocacy.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """advocacy: the employee advocacy hub."""
