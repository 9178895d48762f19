"""The story state machine (docs/api.md, *Story states*), in one place.

Every status change goes through :func:`next_status`; a transition that is
not in :data:`TRANSITIONS` raises :class:`IllegalTransition`, answered as 409.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from advocacy.errors import Conflict


class StoryStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"


class StoryAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    ARCHIVE = "archive"
    RETRACT = "retract"


S = StoryStatus
TRANSITIONS: dict[StoryAction, tuple[frozenset[StoryStatus], StoryStatus]] = {
    StoryAction.SUBMIT: (frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.WITHDRAWN}), S.SUBMITTED),
    StoryAction.WITHDRAW: (frozenset({S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED}), S.WITHDRAWN),
    StoryAction.APPROVE: (frozenset({S.SUBMITTED}), S.APPROVED),
    StoryAction.REQUEST_CHANGES: (frozenset({S.SUBMITTED}), S.CHANGES_REQUESTED),
    StoryAction.REJECT: (frozenset({S.SUBMITTED}), S.REJECTED),
    StoryAction.ARCHIVE: (frozenset({S.APPROVED}), S.ARCHIVED),
    StoryAction.RETRACT: (frozenset({S.APPROVED}), S.ARCHIVED),
}

#: The author may change text, topics and photos only in these states.
EDITABLE: frozenset[StoryStatus] = frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.WITHDRAWN})

STATUS_LABELS = {
    S.DRAFT: _l("Draft"),
    S.SUBMITTED: _l("Submitted"),
    S.CHANGES_REQUESTED: _l("Changes requested"),
    S.APPROVED: _l("Approved"),
    S.REJECTED: _l("Rejected"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.ARCHIVED: _l("Archived"),
}


class IllegalTransition(Conflict):
    """The story's status does not allow the action."""

    def __init__(self, status: StoryStatus, action: StoryAction) -> None:
        super().__init__(
            "illegal_transition",
            _l(
                "A story with the status “%(status)s” cannot be %(action)s.",
                status=STATUS_LABELS[status],
                action=ACTION_PAST[action],
            ),
            status=status.value,
            action=action.value,
        )


ACTION_PAST = {
    StoryAction.SUBMIT: _l("submitted"),
    StoryAction.WITHDRAW: _l("withdrawn"),
    StoryAction.APPROVE: _l("approved"),
    StoryAction.REQUEST_CHANGES: _l("sent back for changes"),
    StoryAction.REJECT: _l("rejected"),
    StoryAction.ARCHIVE: _l("archived"),
    StoryAction.RETRACT: _l("retracted"),
}


def allows(status: StoryStatus | str, action: StoryAction) -> bool:
    """Whether ``action`` may be taken on a story in ``status``."""
    return StoryStatus(status) in TRANSITIONS[action][0]


def next_status(status: StoryStatus | str, action: StoryAction) -> StoryStatus:
    """The status after ``action``, or :class:`IllegalTransition`."""
    current = StoryStatus(status)
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise IllegalTransition(current, action)
    return target
