"""Configuration: every ADVOCACY_ variable is documented, parsed and validated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advocacy.config import PREFIX, SETTINGS, from_environment

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(ADVOCACY_[A-Z0-9_]+)` \|", README.read_text(), re.M))
    expected = {PREFIX + s.name for s in SETTINGS} | {"ADVOCACY_TEST_BACKEND"}
    assert documented == expected


def test_settings_are_parsed_from_the_environment() -> None:
    config = from_environment({"ADVOCACY_MAX_PHOTOS": "3", "ADVOCACY_STORAGE": "s3",
                               "ADVOCACY_SESSION_COOKIE_SECURE": "true"})
    assert config["MAX_PHOTOS"] == 3 and config["STORAGE"] == "s3"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert from_environment({})["DATABASE_URL"] is None


def test_a_bad_value_names_the_variable() -> None:
    with pytest.raises(SystemExit, match="ADVOCACY_MAX_PHOTOS"):
        from_environment({"ADVOCACY_MAX_PHOTOS": "many"})
    with pytest.raises(SystemExit, match="ADVOCACY_SESSION_COOKIE_SECURE"):
        from_environment({"ADVOCACY_SESSION_COOKIE_SECURE": "perhaps"})
