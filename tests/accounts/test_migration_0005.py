"""Migration 0005 (token expiry, rate-limit counters) goes up, down and up again on the
backend under test, and tokens made before it keep working without an expiry."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from alembic import command as alembic_command
from sqlalchemy import inspect, text

from advocacy import database as db
from advocacy.accounts.models import hash_token
from advocacy.cli import alembic_config, upgrade_database
from tests.conftest import BACKEND, RUNNING, make_app


def _fresh_database(tmp_path: Path) -> str:
    if BACKEND == "services":
        return str(RUNNING["postgres"].create_database(f"migration_{uuid.uuid4().hex[:12]}"))
    return f"sqlite:///{tmp_path / 'migration.db'}"


def _schema(app: Any) -> tuple[set[str], set[str]]:
    inspector = inspect(app.extensions[db.EXTENSION_KEY])
    return ({c["name"] for c in inspector.get_columns("api_tokens")},
            set(inspector.get_table_names()))


def test_migration_0005_upgrades_and_downgrades(
    tmp_path: Path, backend_config: dict[str, Any]
) -> None:
    app = make_app(backend_config, DATABASE_URL=_fresh_database(tmp_path),
                   WTF_CSRF_ENABLED=False)
    with app.app_context():
        upgrade_database("0004")
        engine = app.extensions[db.EXTENSION_KEY]
        with engine.begin() as connection:  # an account with a token, made before 0005
            connection.execute(text(
                "INSERT INTO users (email, name, password_hash, role, active, session_version,"
                " is_demo, credit_as, created_at) VALUES ('old@example.org', 'Old', 'x',"
                " 'employee', true, 1, false, 'name', CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) SELECT"
                " id, 'old script', :hash, 'adv_old', CURRENT_TIMESTAMP FROM users"),
                {"hash": hash_token("adv_old_secret")})
        assert "expires_at" not in _schema(app)[0]

        upgrade_database("head")
        columns, tables = _schema(app)
        assert "expires_at" in columns and "rate_limit_counters" in tables

        alembic_command.downgrade(alembic_config(), "0004")
        columns, tables = _schema(app)
        assert "expires_at" not in columns and "rate_limit_counters" not in tables

        upgrade_database("head")
        engine.dispose()  # the app below opens its own connections
    me = app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer adv_old_secret"})
    assert me.status_code == 200 and me.json["email"] == "old@example.org"
