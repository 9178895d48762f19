"""The hub's brand guidelines as stored and managed: the current rule set, its history,
import and export, the admin pages, and checking stories and texts against it.

The rule engine itself is :mod:`advocacy.guidelines` (pure Python, no Flask)."""
