"""advocacy: an open-source employee advocacy and content-sharing hub."""

from advocacy.app import create_app

__all__ = ["create_app"]
