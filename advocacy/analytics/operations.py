"""What sharing did, for the people entitled to see it: an ambassador their own impact, an
author where their story travelled, curators and admins their teams (never individuals,
unless an ambassador agreed to be named)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from advocacy import database as db
from advocacy.accounts.models import Department, User
from advocacy.ambassadors.models import Ambassador
from advocacy.analytics.agents import VisitorKind
from advocacy.analytics.models import Click
from advocacy.database import utcnow
from advocacy.errors import NotFound
from advocacy.sharing.models import Share
from advocacy.stories import operations as stories
from advocacy.stories.models import Story


@dataclass
class NetworkFigures:
    shares: int = 0
    clicks: int = 0  # people, not previews or bots
    visitors: int = 0  # unique per day
    previews: int = 0  # networks fetching the link for their card

    def as_json(self) -> dict[str, int]:
        return {"shares": self.shares, "clicks": self.clicks, "visitors": self.visitors,
                "previews": self.previews}

    def add_clicks(self, kind: str, count: int, visitors: int) -> None:
        """One grouped row of clicks: people count as clicks, link previews apart, bots not."""
        if kind == VisitorKind.HUMAN:
            self.clicks, self.visitors = count, visitors
        elif kind == VisitorKind.PREVIEW:
            self.previews = count


@dataclass
class Figures:
    """Shares and clicks in all and per network, and per day for the chart."""

    total: NetworkFigures = field(default_factory=NetworkFigures)
    networks: dict[str, NetworkFigures] = field(default_factory=dict)
    days: list[tuple[date, int, int]] = field(default_factory=list)  # (day, shares, clicks)

    def as_json(self) -> dict[str, Any]:
        return {**self.total.as_json(),
                "networks": {name: figures.as_json()
                             for name, figures in sorted(self.networks.items())},
                "days": [{"day": day.isoformat(), "shares": shares, "clicks": clicks}
                         for day, shares, clicks in self.days]}

    @property
    def busiest_day(self) -> int:
        return max((max(shares, clicks) for _day, shares, clicks in self.days), default=0)


def _figures(which: ColumnElement[bool], days: int | None = None) -> Figures:
    """Figures over the shares ``which`` selects, in three grouped queries."""
    figures = Figures()
    for network, count in db.session.execute(
            select(Share.network, func.count(Share.id)).where(which).group_by(Share.network)):
        figures.networks.setdefault(network, NetworkFigures()).shares = count
    # The salt changes daily, so one person is one visitor per day: "unique per day".
    visitor_days = func.count(func.distinct(Click.visitor))
    for network, kind, count, visitors in db.session.execute(
            select(Share.network, Click.kind, func.count(Click.id), visitor_days)
            .join(Share, Share.id == Click.share_id).where(which)
            .group_by(Share.network, Click.kind)):
        figures.networks.setdefault(network, NetworkFigures()).add_clicks(kind, count, visitors)
    for row in figures.networks.values():
        figures.total.shares += row.shares
        figures.total.clicks += row.clicks
        figures.total.visitors += row.visitors
        figures.total.previews += row.previews
    if days:
        figures.days = _per_day(which, days)
    return figures


def _per_day(which: ColumnElement[bool], days: int) -> list[tuple[date, int, int]]:
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=utcnow().tzinfo)
    shares: dict[date, int] = {}
    clicks: dict[date, int] = {}
    for moment in db.session.scalars(
            select(Share.created_at).where(which, Share.created_at >= since)):
        shares[moment.date()] = shares.get(moment.date(), 0) + 1
    for moment in db.session.scalars(
            select(Click.at).join(Share, Share.id == Click.share_id)
            .where(which, Click.at >= since, Click.kind == VisitorKind.HUMAN)):
        clicks[moment.date()] = clicks.get(moment.date(), 0) + 1
    series = [first + timedelta(days=n) for n in range(days)]
    return [(day, shares.get(day, 0), clicks.get(day, 0)) for day in series]


def impact_of(user: User, days: int = 30) -> Figures:
    """An ambassador's own shares and what they did, with a daily series for the chart."""
    return _figures(Share.ambassador_id == user.id, days)


def story_for_travel(user: User, story_id: int) -> Story:
    """A story whose travel ``user`` may see: its author's and the comms team's; for anyone
    else it does not exist."""
    story = stories.story_for(user, story_id)
    if story.author_id != user.id and not user.is_curator:
        raise NotFound()
    return story


def travel_of(story: Story) -> Figures:
    """Where a story went: shares and clicks per network, whoever shared it."""
    return _figures(Share.story_id == story.id)


def clicks_of(share: Share) -> NetworkFigures:
    """One share's figures (for the ambassador who made it)."""
    figures = _figures(Share.id == share.id)
    return figures.networks.get(share.network, NetworkFigures(shares=1))


@dataclass
class TeamRow:
    department: str | None
    ambassadors: int
    figures: NetworkFigures


@dataclass
class NamedRow:
    name: str
    department: str | None
    figures: NetworkFigures


def team_report() -> list[TeamRow]:
    """Per department: how many ambassadors, shares and clicks. Nobody by name."""
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    rows: dict[int | None, TeamRow] = {}

    def row_of(dept: int | None) -> TeamRow:
        if dept not in rows:
            rows[dept] = TeamRow(names.get(dept) if dept else None, 0, NetworkFigures())
        return rows[dept]

    for dept, count in db.session.execute(
            select(User.department_id, func.count(Ambassador.user_id))
            .join(User, User.id == Ambassador.user_id).group_by(User.department_id)):
        row_of(dept).ambassadors = count
    for dept, count in db.session.execute(
            select(Share.department_id, func.count(Share.id)).group_by(Share.department_id)):
        row_of(dept).figures.shares = count
    for dept, kind, count, visitors in db.session.execute(
            select(Share.department_id, Click.kind, func.count(Click.id),
                   func.count(func.distinct(Click.visitor)))
            .join(Share, Share.id == Click.share_id).group_by(Share.department_id, Click.kind)):
        row_of(dept).figures.add_clicks(kind, count, visitors)
    return sorted(rows.values(), key=lambda r: (-r.figures.clicks, -r.figures.shares,
                                               r.department or "~"))


def named_ambassadors(limit: int = 20) -> list[NamedRow]:
    """Ambassadors who agreed to be named, by clicks: the only ranking anyone sees."""
    named = {a.user_id: a for a in db.session.scalars(
        select(Ambassador).where(Ambassador.named_in_reports.is_(True)))}
    figures = {user_id: NetworkFigures() for user_id in named}
    if named:
        for user_id, count in db.session.execute(
                select(Share.ambassador_id, func.count(Share.id))
                .where(Share.ambassador_id.in_(named)).group_by(Share.ambassador_id)):
            if user_id is not None:
                figures[user_id].shares = count
        for user_id, count in db.session.execute(
                select(Share.ambassador_id, func.count(Click.id))
                .join(Share, Share.id == Click.share_id)
                .where(Share.ambassador_id.in_(named), Click.kind == VisitorKind.HUMAN)
                .group_by(Share.ambassador_id)):
            if user_id is not None:
                figures[user_id].clicks = count
    rows = [NamedRow(a.user.name, a.user.department.name if a.user.department else None,
                     figures[user_id]) for user_id, a in named.items()]
    rows.sort(key=lambda r: (-r.figures.clicks, -r.figures.shares, r.name))
    return rows[:limit]
