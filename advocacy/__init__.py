"""advocacy: an open-source employee advocacy and content-sharing hub."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advocacy.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that pure packages (advocacy.guidelines) load without Flask.
    if name == "create_app":
        from advocacy.app import create_app

        return create_app
    raise AttributeError(name)
