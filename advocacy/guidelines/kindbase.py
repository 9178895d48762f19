"""What every kind of rule provides: reading its own fields, exporting them, checking."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from advocacy.guidelines.fields import Fields
from advocacy.guidelines.findings import Finding
from advocacy.guidelines.phrases import Phrase

if TYPE_CHECKING:
    from advocacy.guidelines.context import CheckContext
    from advocacy.guidelines.rules import Rule


class KindSpec(ABC):
    """The kind-specific part of a rule, validated."""

    kind: ClassVar[str]
    #: The fields this kind adds to the common ones, in export order.
    keys: ClassVar[tuple[str, ...]]
    #: Whether the rule set finds this kind's :meth:`phrases` itself, for all rules at once.
    indexed: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def read(cls, fields: Fields) -> KindSpec | None:
        """The spec from a rule's raw fields, or None after reporting its problems."""

    @abstractmethod
    def as_json(self) -> dict[str, Any]:
        """The kind's fields as exported (keys in :attr:`keys` order)."""

    def phrases(self) -> Iterable[Phrase]:
        """Phrases this rule has matched by the rule set's shared phrase index."""
        return ()

    @abstractmethod
    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        """The findings of ``rule`` on the subject of ``context``."""
