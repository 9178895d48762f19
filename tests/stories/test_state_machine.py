"""The story state machine: every allowed transition, and every other one refused."""

from __future__ import annotations

import pytest

from advocacy.stories.states import (
    EDITABLE,
    TRANSITIONS,
    IllegalTransition,
    StoryAction,
    StoryStatus,
    next_status,
)

S, A = StoryStatus, StoryAction
ALLOWED = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.CHANGES_REQUESTED, A.SUBMIT): S.SUBMITTED,
    (S.WITHDRAWN, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.CHANGES_REQUESTED, A.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.APPROVED, A.ARCHIVE): S.ARCHIVED,
    (S.APPROVED, A.RETRACT): S.ARCHIVED,
}


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in S for a in A])
def test_each_status_and_action_pair_is_either_allowed_or_a_conflict(
    status: StoryStatus, action: StoryAction
) -> None:
    if (status, action) in ALLOWED:
        assert next_status(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_status(status, action)
        assert refused.value.status == 409
        assert refused.value.details == {"status": status.value, "action": action.value}


def test_the_table_is_the_whole_truth() -> None:
    table = {(s, a): target for a, (sources, target) in TRANSITIONS.items() for s in sources}
    assert table == ALLOWED


def test_rejected_and_archived_stories_are_final_and_not_editable() -> None:
    for final in (S.REJECTED, S.ARCHIVED):
        assert final not in EDITABLE
        assert not any(final in sources for sources, _ in TRANSITIONS.values())
