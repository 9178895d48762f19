"""Sharing reacts to opt-outs: the person goes from their shares, the totals stay."""

from __future__ import annotations

from typing import Any

from advocacy.accounts.models import User
from advocacy.sharing.operations import anonymise_shares
from advocacy.signals import ambassador_opted_out


@ambassador_opted_out.connect
def _opted_out(user: User, **_: Any) -> None:
    anonymise_shares(user)
