"""Paged lists with a fixed number of queries whatever the page size."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from advocacy import database as db
from advocacy.errors import Rejected

T = TypeVar("T")
_PAGE = re.compile(r"[0-9]{1,6}")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def meta(self) -> dict[str, Any]:
        """The paging fields of a list response."""
        return {"page": self.page, "per_page": self.per_page, "total": self.total,
                "pages": self.pages}


@dataclass(frozen=True)
class Window(Generic[T]):
    """A page of a long, newest-first list without its total: one query fewer (a COUNT over
    thousands of rows costs more than the page itself); "older" exists when it does."""

    items: list[T]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def meta(self) -> dict[str, Any]:
        return {"page": self.page, "per_page": self.per_page, "has_next": self.has_next}


def parse_page(raw: str | None) -> int:
    """A 1-based page number from a query string value."""
    if raw is None or raw == "":
        return 1
    if not _PAGE.fullmatch(raw) or int(raw) < 1:
        raise Rejected("invalid_page", _l("The page number must be a whole number from 1."),
                       field="page")
    return int(raw)


def parse_per_page(raw: str | None, default: int) -> int:
    """How many items a page holds, from a query string value: 1 to :data:`MAX_PER_PAGE`
    (a larger number is refused rather than quietly answered with fewer)."""
    if raw is None or raw == "":
        return default
    if not _PAGE.fullmatch(raw) or not 1 <= int(raw) <= MAX_PER_PAGE:
        raise Rejected("invalid_per_page",
                       _l("Ask for 1 to %(max)d items per page.", max=MAX_PER_PAGE),
                       field="per_page", details={"max": MAX_PER_PAGE})
    return int(raw)


def paginate(query: Select[Any], page: int, per_page: int) -> Page[Any]:
    """One COUNT and one SELECT (relationships load by ``selectin``, a fixed few more)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
