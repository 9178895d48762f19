"""Alembic environment: migrations run on the engine of the app that invoked them."""

from __future__ import annotations

from alembic import context
from flask import current_app

import advocacy.models  # noqa: F401  (every model registers on Base.metadata)
from advocacy.database import EXTENSION_KEY, Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = current_app.extensions[EXTENSION_KEY]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
