from __future__ import annotations

import json

import pytest
from flask import Flask

from advocacy import database as db
from advocacy.rulebook.operations import replace_rules
from tests.rulebook.test_rule_files import GOOD


@pytest.fixture()
def rules_in_force(app: Flask) -> None:
    """The GOOD rules of test_rule_files: a prefix phrase (warn) and personal data (block)."""
    with app.app_context():
        replace_rules(None, json.dumps(GOOD), via="cli")
        db.commit()
