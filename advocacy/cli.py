"""The ``advocacy`` command: Flask's CLI group over the app factory, plus the hub's commands."""

from __future__ import annotations

import secrets
from pathlib import Path

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


@click.command("compile-translations")
def compile_translations() -> None:
    """Compile the Dutch (and any other) message catalogs."""
    from advocacy.i18n import compile_catalogs

    for path in compile_catalogs():
        click.echo(f"compiled {path}")


def register(app: Flask) -> None:
    """Attach the hub's command groups to ``app.cli``."""
    for group in (db_group, users_group, topics_group, demo_command, compile_translations):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from advocacy.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """advocacy: the employee advocacy hub."""
