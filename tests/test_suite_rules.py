"""The rules of the test run itself: nothing skips under CI, and dev.py hands pytest its
options as the README writes them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dev

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("argv", "embedded_only", "pytest_args"), [
    (["test", "--embedded-only", "-k", "story"], True, ["-k", "story"]),
    (["test", "--embedded-only", "tests/test_cli.py"], True, ["tests/test_cli.py"]),
    (["test"], False, []),
    (["test", "-x", "-k", "story and not api", "--embedded-only"], True,
     ["-x", "-k", "story and not api"]),
    (["test", "--", "-k", "story"], False, ["-k", "story"]),
    (["test", "--embedded", "-q"], False, ["--embedded", "-q"]),
])
def test_dev_test_passes_what_it_does_not_know_to_pytest(
    argv: list[str], embedded_only: bool, pytest_args: list[str]
) -> None:
    args = dev.parse_args(argv)
    assert (args.command, args.embedded_only, args.pytest_args) == (
        "test", embedded_only, pytest_args)


def test_dev_serve_still_refuses_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        dev.parse_args(["serve", "-k", "story"])
    assert "unrecognized arguments: -k story" in capsys.readouterr().err


def _run_a_skipping_suite(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    """A small suite with one test that skips, under this suite's conftest hooks."""
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import (  # noqa: F401\n"
        "    pytest_collectreport, pytest_runtest_logreport, pytest_sessionfinish,\n"
        "    pytest_terminal_summary)\n")
    (tmp_path / "test_some.py").write_text(
        "import pytest\n\n"
        "def test_passes():\n    assert True\n\n"
        "def test_skips():\n    pytest.skip('no printer attached')\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true" if ci else "false"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_skipped_test_fails_the_run_under_ci(tmp_path: Path) -> None:
    run = _run_a_skipping_suite(tmp_path, ci=True)
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "skipped under CI=true" in run.stdout
    assert "test_some.py::test_skips: Skipped: no printer attached" in run.stdout


def test_a_skipped_test_only_skips_outside_ci(tmp_path: Path) -> None:
    run = _run_a_skipping_suite(tmp_path, ci=False)
    assert run.returncode == pytest.ExitCode.OK, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout
