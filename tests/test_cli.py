"""The advocacy command: users create, demo and db upgrade, as an admin would run them."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Department, User
from advocacy.stories.models import Story


def test_users_create_makes_the_department_on_the_fly(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Ann@Example.org", "--role", "curator",
                                 "--password", "long enough pw", "--name", "Ann",
                                 "--department", "Sales"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ann@example.org"))
        assert user is not None and user.role == "curator" and user.check_password(
            "long enough pw")
        assert user.department is not None and user.department.name == "Sales"
    again = runner.invoke(args=["users", "create", "ann@example.org", "--password", "x" * 12])
    assert again.exit_code != 0 and "exists" in again.output


def test_users_create_generates_a_password_when_none_is_given(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", "bo@example.org"])
    assert result.exit_code == 0 and "Password: " in result.output
    weak = app.test_cli_runner().invoke(args=["users", "create", "cy@example.org",
                                              "--password", "short"])
    assert weak.exit_code != 0 and "at least" in weak.output


def test_demo_seeds_a_marked_organisation_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert first.output.count("password:") == 3
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert {u.role for u in users} == {"employee", "curator", "admin"}
        assert all(u.is_demo and "DEMO" in u.name for u in users)
        stories = db.session.scalars(select(Story)).all()
        assert len(stories) >= 4 and all(s.is_demo and s.media for s in stories)
        assert all(d.is_demo for d in db.session.scalars(select(Department)))
        count = db.session.scalar(select(func.count(Story.id)))
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and second.output.count("password:") == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(Story.id))) == count


def test_db_upgrade_is_idempotent(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_migrations_match_the_models(app: Flask) -> None:
    """Nobody changed a model without writing its migration (checked on each backend)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from advocacy.database import EXTENSION_KEY, Base

    with app.app_context(), app.extensions[EXTENSION_KEY].connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_topics_are_created_and_listed(app: Flask) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["topics", "create", "sustainability", "Sustainability"])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["topics", "list"])
    assert "sustainability" in listed.output and "Sustainability" in listed.output
    duplicate = runner.invoke(args=["topics", "create", "sustainability", "Again"])
    assert duplicate.exit_code != 0 and "exists" in duplicate.output
    bad = runner.invoke(args=["topics", "create", "Not A Slug", "Name"])
    assert bad.exit_code != 0 and "lower-case" in bad.output
