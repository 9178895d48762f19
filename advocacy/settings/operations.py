"""Reading and changing hub settings; every change is announced (and so audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.settings.models import HubSetting
from advocacy.signals import setting_changed


@dataclass(frozen=True)
class Setting:
    name: str
    default: bool
    label: LazyString
    help: LazyString


SELF_APPROVAL = Setting(
    "curators_may_approve_own_stories", False,
    _l("Curators may approve and lightly edit their own stories"),
    _l("Off by default: a second pair of eyes checks every story. Turn it on for a "
       "one-person comms team."),
)
SETTINGS = {s.name: s for s in (SELF_APPROVAL,)}


def setting(which: Setting) -> bool:
    """The value in force: the admin's choice, or the default."""
    row = db.session.get(HubSetting, which.name)
    return bool(row.value) if row is not None else which.default


def change_setting(actor: User, which: Setting, value: bool) -> None:
    previous = setting(which)
    if previous == value:
        return
    row = db.session.get(HubSetting, which.name)
    if row is None:
        db.session.add(HubSetting(name=which.name, value=value, changed_by_id=actor.id))
    else:
        row.value = value
        row.changed_by_id = actor.id
    db.session.flush()
    setting_changed.send(which.name, actor=actor, value=value, previous=previous)


def all_settings() -> list[tuple[Setting, Any]]:
    return [(s, setting(s)) for s in SETTINGS.values()]
